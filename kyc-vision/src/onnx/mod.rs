//! Loading ONNX models with tract and running them on `f32` tensors (shared by
//! the face engine and the document reader), and pixel sampling into tensors.

pub(crate) mod geometry;

use crate::VisionError;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};
use tract_onnx::prelude::*;

/// A loaded, optimised model with a fixed input shape.
#[derive(Debug, Clone)]
pub(crate) struct Model {
    plan: Arc<TypedSimplePlan>,
    input_shape: Vec<usize>,
}

pub(crate) fn inference_err(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> VisionError {
    VisionError::Inference(e.into())
}

/// A parsed, not yet optimised model: plans for several input shapes are
/// made from it (e.g. one per text-line width bucket).
#[derive(Debug, Clone)]
pub(crate) struct Parsed(InferenceModel);

impl Parsed {
    /// Parses an ONNX file, ignoring the shapes it declares for values and
    /// outputs (each plan infers them from its input).
    pub(crate) fn parse(bytes: &[u8]) -> TractResult<Self> {
        tract_onnx::onnx()
            .with_ignore_value_info(true)
            .with_ignore_output_shapes(true)
            .model_for_read(&mut std::io::Cursor::new(bytes))
            .map(Self)
    }

    /// A string from the file's `metadata_props`.
    pub(crate) fn metadata(&self, key: &str) -> Option<String> {
        let t = self.0.properties.get(&format!("onnx.metadata_props.{key}"))?;
        t.to_plain_array_view::<String>().ok()?.iter().next().cloned()
    }

    /// An optimised plan for one input shape.
    pub(crate) fn plan(&self, input_shape: &[usize]) -> TractResult<Model> {
        Model::from_inference(self.0.clone(), input_shape)
    }
}

/// The optimised plans of one parsed model, made on first use of each input
/// shape and kept (a model whose input size varies: pages, text-line widths).
#[derive(Debug)]
pub(crate) struct PlanCache {
    parsed: Parsed,
    plans: Mutex<HashMap<Vec<usize>, Model>>,
}

impl PlanCache {
    pub(crate) fn new(parsed: Parsed) -> Self {
        Self { parsed, plans: Mutex::new(HashMap::new()) }
    }

    /// The plan for `input_shape`.
    pub(crate) fn get(&self, input_shape: &[usize]) -> Result<Model, VisionError> {
        let mut plans = self.plans.lock().map_err(|_| VisionError::Poisoned)?;
        if let Some(p) = plans.get(input_shape) {
            return Ok(p.clone());
        }
        let p = self.parsed.plan(input_shape).map_err(inference_err)?;
        plans.insert(input_shape.to_vec(), p.clone());
        Ok(p)
    }
}

impl Model {
    /// Parses `bytes`, fixes the input to `input_shape` (letting output
    /// shapes follow), optimises.
    pub(crate) fn load(bytes: &[u8], input_shape: &[usize]) -> TractResult<Self> {
        Parsed::parse(bytes)?.plan(input_shape)
    }

    fn from_inference(mut model: InferenceModel, input_shape: &[usize]) -> TractResult<Self> {
        model.set_input_fact(0, f32::fact(input_shape).into())?;
        for i in 0..model.outputs.len() {
            model.set_output_fact(i, InferenceFact::default())?;
        }
        let plan = model.into_optimized()?.into_runnable()?;
        Ok(Self { plan, input_shape: input_shape.to_vec() })
    }

    /// Runs on one input tensor; returns every output as a flat `f32` vector.
    pub(crate) fn run(&self, input: Vec<f32>) -> Result<Vec<Vec<f32>>, VisionError> {
        // moves the buffer into the tensor without copying it
        let array = tract_ndarray::ArrayD::from_shape_vec(self.input_shape.as_slice(), input)
            .map_err(inference_err)?;
        let tensor = Tensor::from(array);
        let outputs = self.plan.run(tvec!(tensor.into())).map_err(inference_err)?;
        outputs
            .iter()
            .map(|t| {
                let view = t.to_plain_array_view::<f32>().map_err(inference_err)?;
                Ok(view.iter().copied().collect())
            })
            .collect()
    }
}

/// Decodes a JPEG/PNG after the same header checks as uploads (so no pixel is
/// decoded from a body that claims too many), refusing more than `max_pixels`.
pub(crate) fn decode_image(bytes: &[u8], max_pixels: u64) -> Result<image::RgbImage, VisionError> {
    let info = kyc_core::image::inspect(bytes)
        .map_err(|_| VisionError::Rejected("not a JPEG or PNG image"))?;
    if info.pixels() > max_pixels {
        return Err(VisionError::Rejected("image too large"));
    }
    image::load_from_memory(bytes)
        .map(|i| i.to_rgb8())
        .map_err(|_| VisionError::Rejected("undecodable image"))
}
