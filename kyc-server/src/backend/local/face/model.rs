//! Loading ONNX models with tract and running them on `f32` tensors.

use crate::backend::face::ProviderError;
use std::sync::Arc;
use tract_onnx::prelude::*;

/// A loaded, optimised model with a fixed input shape.
#[derive(Debug, Clone)]
pub(crate) struct Model {
    plan: Arc<TypedSimplePlan>,
    input_shape: Vec<usize>,
}

pub(crate) fn backend_err(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> ProviderError {
    ProviderError::Backend { provider: "local-onnx", source: e.into() }
}

impl Model {
    /// Parses `bytes`, fixes the input to `input_shape` (letting output
    /// shapes follow), optimises.
    pub(crate) fn load(bytes: &[u8], input_shape: &[usize]) -> TractResult<Self> {
        let mut model = tract_onnx::onnx()
            .with_ignore_value_info(true)
            .with_ignore_output_shapes(true)
            .model_for_read(&mut std::io::Cursor::new(bytes))?;
        model.set_input_fact(0, f32::fact(input_shape).into())?;
        for i in 0..model.outputs.len() {
            model.set_output_fact(i, InferenceFact::default())?;
        }
        let plan = model.into_optimized()?.into_runnable()?;
        Ok(Self { plan, input_shape: input_shape.to_vec() })
    }

    /// Runs on one input tensor; returns every output as a flat `f32` vector.
    pub(crate) fn run(&self, input: Vec<f32>) -> Result<Vec<Vec<f32>>, ProviderError> {
        // moves the buffer into the tensor without copying it
        let array = tract_ndarray::ArrayD::from_shape_vec(self.input_shape.as_slice(), input)
            .map_err(backend_err)?;
        let tensor = Tensor::from(array);
        let outputs = self.plan.run(tvec!(tensor.into())).map_err(backend_err)?;
        outputs
            .iter()
            .map(|t| {
                let view = t.to_plain_array_view::<f32>().map_err(backend_err)?;
                Ok(view.iter().copied().collect())
            })
            .collect()
    }
}
