//! The local face engine as a [`FaceEngine`]: `kyc_vision::face` run on the
//! server's CPU pool (one thread per core, off tokio's threads).

use super::vision_err;
use crate::{
    backend::face::{FaceAnalysis, FaceEngine, FaceImage, FaceMatch, ImageKind, ProviderError},
    cpu_pool::CpuPool,
};
use async_trait::async_trait;
pub use kyc_vision::face::{
    Calibration, Descriptor, FaceConfig as LocalFaceConfig, FaceLoadError, FaceModels, Metric,
    StageTimings,
};
use std::sync::Arc;

/// The local ONNX face engine on the CPU pool.
#[derive(Debug, Clone)]
pub struct LocalFaceEngine {
    models: Arc<FaceModels>,
    cpu: Arc<CpuPool>,
}

impl LocalFaceEngine {
    /// Loads every model (once; takes well under a second) to run on `cpu`.
    pub fn load(config: &LocalFaceConfig, cpu: Arc<CpuPool>) -> Result<Self, FaceLoadError> {
        Ok(Self { models: Arc::new(FaceModels::load(config)?), cpu })
    }

    /// The models, for synchronous use (benchmarks, the CLI).
    pub fn models(&self) -> &FaceModels {
        &self.models
    }

    /// The CPU pool the engine runs on (share it with other CPU-heavy work).
    pub fn cpu_pool(&self) -> Arc<CpuPool> {
        Arc::clone(&self.cpu)
    }

    async fn descriptor(
        &self,
        image: FaceImage,
        kind: ImageKind,
    ) -> Result<Option<Descriptor>, ProviderError> {
        let models = Arc::clone(&self.models);
        self.cpu
            .run(move || models.descriptor(&image.0, kind).map_err(vision_err))
            .await
            .map_err(|_| ProviderError::Unavailable)?
    }
}

#[async_trait]
impl FaceEngine for LocalFaceEngine {
    fn name(&self) -> &str {
        self.models.name()
    }

    async fn analyze(
        &self,
        image: &FaceImage,
        kind: ImageKind,
    ) -> Result<FaceAnalysis, ProviderError> {
        let models = Arc::clone(&self.models);
        let image = image.clone();
        self.cpu
            .run(move || models.analyze(&image.0, kind).map_err(vision_err))
            .await
            .map_err(|_| ProviderError::Unavailable)?
    }

    async fn compare(
        &self,
        reference: (&FaceImage, ImageKind),
        probes: &[(FaceImage, ImageKind)],
    ) -> Result<Vec<Option<FaceMatch>>, ProviderError> {
        let reference = self.descriptor(reference.0.clone(), reference.1);
        let probes = crate::util::join_all(
            probes.iter().map(|(img, kind)| self.descriptor(img.clone(), *kind)),
        );
        let (reference, probes) = tokio::join!(reference, probes);
        let reference =
            reference?.ok_or(ProviderError::Rejected("no face in the reference image"))?;
        probes.into_iter().map(|p| Ok(p?.map(|d| self.models.compare(&reference, &d)))).collect()
    }
}
