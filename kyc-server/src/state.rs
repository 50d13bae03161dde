//! Application state: configuration, backends and shared services.

use crate::{
    auth::TokenSigner,
    backend::face::{FaceAnalysis, FaceEngine, FaceImage, FaceMatch, ImageKind, ProviderError},
    breaker::{CircuitBreaker, GuardedFaceEngine},
    clock::{Clock, SystemClock},
    config::ServerConfig,
    cpu_pool::CpuPool,
    crypto::MasterKey,
    keyring::Keyring,
    limits::Limits,
    retry::RetryPolicy,
    telemetry::Metrics,
};
use std::{sync::Arc, time::Duration};

pub use kyc_backend::Backends;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartupError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The data directory could not be prepared.
    #[error("data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The master key could not be loaded or created.
    #[error("master key: {0}")]
    MasterKey(#[from] crate::crypto::CryptoError),
    /// A backend could not be opened.
    #[error("storage: {0}")]
    Storage(#[from] crate::backend::StoreError),
    /// The face models could not be loaded.
    #[cfg(feature = "face-onnx")]
    #[error("face engine: {0}")]
    Face(#[from] crate::backend::local::face::FaceLoadError),
    /// The screener could not be set up (lists file, provider settings).
    #[error("screening: {0}")]
    Screening(String),
    /// The AWS backends could not be set up.
    #[error("aws: {0}")]
    Aws(String),
    /// The document reader's models could not be loaded.
    #[cfg(feature = "ocr-onnx")]
    #[error(transparent)]
    Ocr(#[from] crate::backend::local::ocr::OcrLoadError),
}

/// Everything a request handler needs. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Configuration.
    pub config: Arc<ServerConfig>,
    /// Storage backends.
    pub backends: Backends,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Client-token signer.
    pub tokens: Arc<TokenSigner>,
    /// Rate limits and quotas.
    pub limits: Arc<Limits>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Threads for CPU-heavy work (image decoding), one per core.
    pub cpu: Arc<CpuPool>,
    /// The face engine, behind its circuit breaker.
    pub face: Arc<dyn FaceEngine>,
    /// The face engine's breaker (for `Retry-After`).
    pub face_breaker: Arc<CircuitBreaker>,
    /// The document reader (OCR).
    pub document: Arc<dyn crate::backend::document::DocumentReader>,
    /// The sanctions screener.
    pub screener: Arc<dyn crate::backend::screening::Screener>,
    /// A fixed gesture sequence instead of random ones: only settable in
    /// tests or in builds with the `danger-fixed-challenge` feature.
    pub(crate) fixed_challenge: Option<Vec<kyc_core::challenge::Gesture>>,
}

/// A face engine for states built without one: every call is `NotSupported`.
#[derive(Debug)]
struct NoFaceEngine;

#[async_trait::async_trait]
impl FaceEngine for NoFaceEngine {
    fn name(&self) -> &str {
        "none"
    }
    async fn analyze(&self, _: &FaceImage, _: ImageKind) -> Result<FaceAnalysis, ProviderError> {
        Err(ProviderError::NotSupported)
    }
    async fn compare(
        &self,
        _: (&FaceImage, ImageKind),
        _: &[(FaceImage, ImageKind)],
    ) -> Result<Vec<Option<FaceMatch>>, ProviderError> {
        Err(ProviderError::NotSupported)
    }
}

impl AppState {
    /// State over the given backends.
    pub fn new(
        config: ServerConfig,
        backends: Backends,
        clock: Arc<dyn Clock>,
        token_key: [u8; 32],
    ) -> Self {
        let limits = Arc::new(Limits::new(&config.rate_limit, backends.keys.clone()));
        let metrics = match config.log.emf {
            true => Metrics::new().with_emf(crate::emf::Emf::stdout(
                &config.log.emf_namespace,
                &config.log.emf_environment,
            )),
            false => Metrics::new(),
        };
        let face_breaker = Arc::new(CircuitBreaker::new(
            "face",
            config.liveness.engine_breaker_failures,
            Duration::from_secs(config.liveness.engine_breaker_cooldown_secs),
        ));
        Self {
            config: Arc::new(config),
            backends,
            clock,
            tokens: Arc::new(TokenSigner::new(token_key)),
            limits,
            metrics: Arc::new(metrics),
            cpu: CpuPool::per_core(),
            face: Arc::new(NoFaceEngine),
            face_breaker,
            document: Arc::new(crate::backend::document::NoDocumentReader),
            screener: Arc::new(crate::backend::screening::NoScreener),
            fixed_challenge: None,
        }
    }

    /// Uses `engine` (wrapped in this state's circuit breaker) as the face engine.
    pub fn with_face_engine(mut self, engine: Arc<dyn FaceEngine>) -> Self {
        self.face = Arc::new(GuardedFaceEngine::new(engine, self.face_breaker.clone()));
        self
    }

    /// Uses `reader` as the document reader.
    pub fn with_document_reader(
        mut self,
        reader: Arc<dyn crate::backend::document::DocumentReader>,
    ) -> Self {
        self.document = reader;
        self
    }

    /// Uses `screener` for sanctions screening.
    pub fn with_screener(mut self, screener: Arc<dyn crate::backend::screening::Screener>) -> Self {
        self.screener = screener;
        self
    }

    /// Replaces random challenges with `sequence` (tests replaying recorded footage).
    #[cfg(any(test, feature = "testing", feature = "danger-fixed-challenge"))]
    pub fn with_fixed_challenge(mut self, sequence: Vec<kyc_core::challenge::Gesture>) -> Self {
        self.fixed_challenge = Some(sequence);
        self
    }

    /// In-memory state with the system clock and a random token key.
    pub fn memory(config: ServerConfig) -> Self {
        let key = MasterKey::generate().derive(b"client-token-v1");
        Self::new(config, Backends::memory(), Arc::new(SystemClock), key)
    }

    /// How storage calls are retried.
    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            retries: self.config.storage.retry_attempts,
            base: Duration::from_millis(self.config.storage.retry_base_ms),
        }
    }
}

/// Loads the master key: `KYC_MASTER_KEY` if set, else the key file (created on first start).
pub fn load_master_key(
    config: &ServerConfig,
    env_key: Option<String>,
) -> Result<MasterKey, StartupError> {
    match env_key.filter(|k| !k.trim().is_empty()) {
        Some(k) => Ok(MasterKey::from_base64(&k)?),
        None => Ok(MasterKey::load_or_create(&config.master_key_path())?),
    }
}

/// Loads the keyring of `config.data_dir`: the master key (as
/// [`load_master_key`]), the previous one during a rotation
/// (`KYC_PREVIOUS_MASTER_KEY`, else `previous_master_key_file`, never
/// created) and the derivation root.
pub fn load_keyring(
    config: &ServerConfig,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Keyring, StartupError> {
    use crate::config::EnvVars;
    prepare_data_dir(config)?;
    let current = load_master_key(config, env(EnvVars::MASTER_KEY))?;
    let previous = match env(EnvVars::PREVIOUS_MASTER_KEY).filter(|k| !k.trim().is_empty()) {
        Some(k) => Some(MasterKey::from_base64(&k)?),
        None => match &config.previous_master_key_file {
            Some(path) => Some(MasterKey::load_existing(path)?),
            None => None,
        },
    };
    Ok(Keyring::open(&config.data_dir, current, previous)?)
}

/// Creates the data directory (mode 0700) if needed.
pub fn prepare_data_dir(config: &ServerConfig) -> Result<(), StartupError> {
    let path = &config.data_dir;
    let err = |source| StartupError::DataDir { path: path.display().to_string(), source };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path).map_err(err)?;
    // an existing directory keeps the mode it was made with: tighten it
    restrict(path, 0o700).map_err(err)
}

/// Sets `path`'s permission bits to `mode` (Unix; elsewhere a no-op).
pub(crate) fn restrict(path: &std::path::Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}

#[cfg(feature = "local")]
mod local_state {
    use super::*;
    use crate::backend::local::{
        Database, LocalObjectStore, SqliteAuditLog, SqliteJobQueue, SqliteKeyStore,
        SqliteLivenessStore, SqliteOcrDataStore, SqliteVerificationStore,
    };

    /// The embedded backends over a data directory.
    #[derive(Debug, Clone)]
    pub struct LocalBackends {
        /// The trait objects.
        pub backends: Backends,
        /// The object store, for maintenance (temp-file cleanup).
        pub objects: LocalObjectStore,
        /// The database.
        pub db: Arc<Database>,
    }

    impl LocalBackends {
        /// Opens (creating on first start) the database and object store under `data_dir`.
        pub fn open(config: &ServerConfig, keys: Arc<Keyring>) -> Result<Self, StartupError> {
            prepare_data_dir(config)?;
            let db = Database::open(&config.data_dir.join("kyc.db"), config.storage.durability)?;
            // SQLite creates its files with the umask's mode (often 0644)
            for name in ["kyc.db", "kyc.db-wal", "kyc.db-shm"] {
                let f = config.data_dir.join(name);
                if f.exists() {
                    restrict(&f, 0o600).map_err(|source| StartupError::DataDir {
                        path: f.display().to_string(),
                        source,
                    })?;
                }
            }
            let ocr_key = crate::crypto::DataKey::from_bytes(
                keys.derive(crate::backend::local::ocr_data::OCR_DATA_KEY_LABEL),
            );
            let audit_key = crate::crypto::audit_chain_key(&keys);
            let objects = LocalObjectStore::open(&config.data_dir, keys)?;
            Ok(Self {
                backends: Backends {
                    objects: Arc::new(objects.clone()),
                    verifications: Arc::new(SqliteVerificationStore::new(db.clone())),
                    keys: Arc::new(SqliteKeyStore::new(db.clone())),
                    audit: Arc::new(SqliteAuditLog::new(db.clone(), audit_key)),
                    liveness: Arc::new(SqliteLivenessStore::new(db.clone())),
                    jobs: Arc::new(SqliteJobQueue::new(db.clone())),
                    ocr: Arc::new(SqliteOcrDataStore::new(db.clone(), ocr_key)),
                },
                objects,
                db,
            })
        }
    }

    impl AppState {
        /// State over the embedded backends in `config.data_dir`.
        pub fn local(
            config: ServerConfig,
            master_key_env: Option<String>,
        ) -> Result<(Self, LocalBackends), StartupError> {
            let env = move |name: &str| {
                (name == crate::config::EnvVars::MASTER_KEY).then(|| master_key_env.clone())?
            };
            Self::local_with_env(config, env)
        }

        /// State over the embedded backends, the keys read through `env`
        /// (`KYC_MASTER_KEY`, `KYC_PREVIOUS_MASTER_KEY`).
        pub fn local_with_env(
            config: ServerConfig,
            env: impl Fn(&str) -> Option<String>,
        ) -> Result<(Self, LocalBackends), StartupError> {
            let keys = Arc::new(load_keyring(&config, env)?);
            let local = LocalBackends::open(&config, keys.clone())?;
            let state = Self::new(
                config,
                local.backends.clone(),
                Arc::new(SystemClock),
                keys.derive(b"client-token-v1"),
            );
            Ok((state.with_local_engines()?, local))
        }

        /// State over the backends `config.backend.kind` names: the embedded
        /// ones (returned too, for their maintenance tasks) or, in a build
        /// with the `aws` feature, the AWS ones. What `kyc serve` and the
        /// Lambda entry points start from.
        pub async fn for_config(
            config: ServerConfig,
            env: impl Fn(&str) -> Option<String>,
        ) -> Result<(Self, Option<LocalBackends>), StartupError> {
            match config.backend.kind {
                crate::config::BackendKind::Local => {
                    let (state, local) = Self::local_with_env(config, env)?;
                    Ok((state, Some(local)))
                }
                #[cfg(feature = "aws")]
                crate::config::BackendKind::Aws => {
                    Ok((Self::aws_with_env(config, env).await?, None))
                }
                #[cfg(not(feature = "aws"))]
                crate::config::BackendKind::Aws => Err(StartupError::Aws(
                    "backend.kind = \"aws\" needs a build with the `aws` feature".into(),
                )),
            }
        }

        /// Adds the local face engine and document reader (each when its
        /// feature is on) and the screener the configuration asks for.
        pub fn with_local_engines(self) -> Result<Self, StartupError> {
            let key = std::env::var(crate::config::EnvVars::SCREENING_API_KEY).ok();
            self.with_engines_of(true, true, key.as_deref())
        }

        /// Adds the local face engine (when `face`) and document reader
        /// (when `documents`), each when its feature is on, and the screener
        /// (a provider's with `screening_key`).
        #[cfg_attr(not(feature = "aws"), allow(dead_code))]
        pub(crate) fn with_engines_of(
            self,
            face: bool,
            documents: bool,
            screening_key: Option<&str>,
        ) -> Result<Self, StartupError> {
            let state = self;
            #[cfg(feature = "face-onnx")]
            let state = if face {
                let engine = crate::backend::local::face::LocalFaceEngine::load(
                    &state.config.face,
                    CpuPool::per_core(),
                )?;
                // the face engine and image decoding share one CPU pool
                Self { cpu: engine.cpu_pool(), ..state }.with_face_engine(Arc::new(engine))
            } else {
                state
            };
            #[cfg(not(feature = "face-onnx"))]
            let _ = face;
            #[cfg(not(feature = "ocr-onnx"))]
            let _ = documents;
            #[cfg(feature = "ocr-onnx")]
            let state = if !documents {
                state
            } else {
                let reader =
                    crate::backend::local::ocr::LocalDocumentReader::load(state.cpu.clone())?;
                // plans are made off the start-up path: the server listens meanwhile
                let warming = reader.clone();
                std::thread::spawn(move || {
                    if let Err(e) = warming.models().warm() {
                        tracing::warn!(error = %e, "document reader plans will be made on first use");
                    }
                });
                state.with_document_reader(Arc::new(reader))
            };
            let screener = crate::backend::screening::from_config(&state.config, screening_key)?;
            Ok(state.with_screener(screener))
        }
    }
}

#[cfg(feature = "local")]
pub use local_state::LocalBackends;

#[cfg(all(feature = "aws", feature = "local"))]
mod aws_state {
    use super::*;
    use crate::config::{AwsDocumentReader, AwsFaceEngine};
    use kyc_server_aws::{
        AwsSettings, DynamoAuditLog, DynamoJobQueue, DynamoKeyStore, DynamoLivenessStore,
        DynamoOcrDataStore, DynamoVerificationStore, RekognitionFaceEngine, S3ObjectStore,
        TextractDocumentReader,
    };

    impl AppState {
        /// State over the AWS backends `config.backend.aws` names (S3, KMS,
        /// DynamoDB; region, credentials and endpoint from the standard AWS
        /// environment), the local engines, and keys derived from
        /// `KYC_MASTER_KEY` alone, so every instance sharing that key signs
        /// and checks the same client tokens and chains the same audit log.
        pub async fn aws_with_env(
            config: ServerConfig,
            env: impl Fn(&str) -> Option<String>,
        ) -> Result<Self, StartupError> {
            let sdk = Self::aws_settings(&config).sdk_config().await;
            Self::aws_with_sdk(config, &sdk, env).await
        }

        /// [`AppState::aws_with_env`] with the SDK configuration given (an
        /// emulator's, in tests): the names under `backend.aws.ssm_prefix`
        /// from Parameter Store, the screening provider's key from
        /// `screening.http.api_key_secret` in Secrets Manager (unless
        /// `KYC_SCREENING_API_KEY` is set), then [`AppState::aws`].
        pub async fn aws_with_sdk(
            mut config: ServerConfig,
            sdk: &aws_config::SdkConfig,
            env: impl Fn(&str) -> Option<String>,
        ) -> Result<Self, StartupError> {
            Self::aws_names_from_ssm(&mut config, sdk).await?;
            use crate::config::EnvVars;
            let from_env = env(EnvVars::SCREENING_API_KEY).filter(|k| !k.trim().is_empty());
            #[cfg(feature = "http-client")]
            let secret = match (&config.screening.http.api_key_secret, &from_env) {
                (Some(id), None)
                    if config.screening.provider == crate::config::ScreenerKind::Http =>
                {
                    Some(
                        kyc_server_aws::secret(sdk, id, "apiKey")
                            .await
                            .map_err(StartupError::Aws)?,
                    )
                }
                _ => None,
            };
            #[cfg(not(feature = "http-client"))]
            let secret = None;
            let key = from_env.or(secret);
            let master = Self::aws_master_key(sdk, &env).await?;
            Self::aws(config, sdk, |name| match name {
                EnvVars::SCREENING_API_KEY => key.clone(),
                EnvVars::MASTER_KEY => master.clone(),
                other => env(other),
            })
        }

        /// Replaces the names in `config.backend.aws` with the parameters under
        /// its `ssm_prefix` (if set), then checks them: the error names the path.
        pub async fn aws_names_from_ssm(
            config: &mut ServerConfig,
            sdk: &aws_config::SdkConfig,
        ) -> Result<(), StartupError> {
            let Some(prefix) = config.backend.aws.ssm_prefix.clone() else { return Ok(()) };
            let params =
                kyc_server_aws::parameters(sdk, &prefix).await.map_err(StartupError::Aws)?;
            let taken = config.backend.aws.apply_parameters(&params);
            tracing::info!(prefix = %prefix, taken, "deployment names read from SSM Parameter Store");
            config.backend.aws.check_names()?;
            Ok(())
        }

        /// The master key of an AWS deployment: `KYC_MASTER_KEY`, else the
        /// member `masterKey` (or the whole string) of the Secrets Manager
        /// secret `KYC_MASTER_KEY_SECRET` names, read once at startup (a
        /// rotated secret takes effect on the next start; the chain key and
        /// the client-token key derive from it, so every instance must read
        /// the same version). `None` when neither is set.
        pub async fn aws_master_key(
            sdk: &aws_config::SdkConfig,
            env: impl Fn(&str) -> Option<String>,
        ) -> Result<Option<String>, StartupError> {
            use crate::config::EnvVars;
            let set = |n: &str| env(n).filter(|v| !v.trim().is_empty());
            if let Some(key) = set(EnvVars::MASTER_KEY) {
                return Ok(Some(key));
            }
            let Some(id) = set(EnvVars::MASTER_KEY_SECRET) else { return Ok(None) };
            kyc_server_aws::secret(sdk, id.trim(), "masterKey")
                .await
                .map(Some)
                .map_err(|e| StartupError::Aws(format!("{}: {e}", EnvVars::MASTER_KEY_SECRET)))
        }

        /// The keys of an AWS deployment: derived from `KYC_MASTER_KEY` alone
        /// (required; every instance and the CLI must share it).
        pub fn aws_keyring(env: impl Fn(&str) -> Option<String>) -> Result<Keyring, StartupError> {
            use crate::config::EnvVars;
            let master =
                env(EnvVars::MASTER_KEY).filter(|k| !k.trim().is_empty()).ok_or_else(|| {
                    StartupError::Aws(format!(
                        "{} (or {}, a Secrets Manager secret holding it) is required with \
                         backend.kind = \"aws\" (every instance must share it)",
                        EnvVars::MASTER_KEY,
                        EnvVars::MASTER_KEY_SECRET
                    ))
                })?;
            Ok(Keyring::ephemeral(MasterKey::from_base64(&master)?))
        }

        /// The AWS settings `config.backend.aws` names.
        pub fn aws_settings(config: &ServerConfig) -> AwsSettings {
            let a = &config.backend.aws;
            AwsSettings {
                bucket: a.bucket.clone(),
                kms_key_id: a.kms_key_id.clone(),
                audit_table: a.audit_table.clone(),
                ocr_table: a.ocr_table.clone(),
                keys_table: a.keys_table.clone(),
                liveness_table: a.liveness_table.clone(),
                verifications_table: a.verifications_table.clone(),
                jobs_table: a.jobs_table.clone(),
                dead_letter_queues: a.dead_letter_queues.clone(),
                ..AwsSettings::default()
            }
        }

        /// [`AppState::aws_with_env`] with the SDK configuration given
        /// (an emulator's endpoint and credentials, in tests).
        pub fn aws(
            config: ServerConfig,
            sdk: &aws_config::SdkConfig,
            env: impl Fn(&str) -> Option<String>,
        ) -> Result<Self, StartupError> {
            let keys = Self::aws_keyring(&env)?;
            let settings = Self::aws_settings(&config);
            let ocr_key = crate::crypto::DataKey::from_bytes(
                keys.derive(crate::backend::local::ocr_data::OCR_DATA_KEY_LABEL),
            );
            let backends = Backends {
                objects: Arc::new(S3ObjectStore::new(sdk, &settings)),
                verifications: Arc::new(DynamoVerificationStore::new(
                    sdk,
                    &settings.verifications_table,
                    &settings.jobs_table,
                )),
                keys: Arc::new(DynamoKeyStore::new(sdk, &settings.keys_table)),
                audit: Arc::new(DynamoAuditLog::new(
                    sdk,
                    &settings.audit_table,
                    crate::crypto::audit_chain_key(&keys),
                )),
                liveness: Arc::new(DynamoLivenessStore::new(sdk, &settings.liveness_table)),
                jobs: Arc::new(DynamoJobQueue::new(sdk, &settings.jobs_table)),
                ocr: Arc::new(DynamoOcrDataStore::new(sdk, &settings.ocr_table, ocr_key)),
            };
            let token_key = keys.derive(b"client-token-v1");
            let rekognition = config.backend.aws.face_engine == AwsFaceEngine::Rekognition;
            let textract = config.backend.aws.document_reader == AwsDocumentReader::Textract;
            let mut state = Self::new(config, backends, Arc::new(SystemClock), token_key)
                .with_engines_of(
                    !rekognition,
                    !textract,
                    env(crate::config::EnvVars::SCREENING_API_KEY).as_deref(),
                )?;
            // the AWS engines sit behind the same circuit breaker as the local one
            if rekognition {
                state = state.with_face_engine(Arc::new(RekognitionFaceEngine::new(sdk)));
            }
            if textract {
                state = state.with_document_reader(Arc::new(TextractDocumentReader::new(sdk)));
            }
            Ok(state)
        }
    }
}
