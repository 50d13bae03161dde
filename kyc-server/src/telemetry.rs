//! Structured logs and Prometheus metrics.
//!
//! Logs are `tracing` events, JSON by default, on stderr, with
//! `verification_id`, `step`, `status` and `error_code` fields. Names,
//! document numbers, birth dates and images are never logged: the types that
//! carry them have redacting `Debug` implementations and handlers log ids and
//! codes only.

use crate::config::{LogConfig, LogFormat};
use crate::emf::{Emf, EmfMetric};
use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{
        counter::Counter,
        family::Family,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Installs the global `tracing` subscriber (once per process; later calls are no-ops).
pub fn init_tracing(cfg: &LogConfig) {
    let filter = EnvFilter::try_new(&cfg.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match cfg.format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(std::io::stderr),
            )
            .try_init(),
        LogFormat::Text => registry.with(fmt::layer().with_writer(std::io::stderr)).try_init(),
    };
    // an already-installed subscriber (tests, embedding applications) is kept
    let _ = result;
}

/// Labels of HTTP request metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    /// HTTP method.
    pub method: String,
    /// Matched route pattern (never the raw path: ids are not labels).
    pub route: String,
    /// Status code.
    pub status: u16,
}

/// Labels of the request-duration histogram.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// HTTP method.
    pub method: String,
    /// Matched route pattern.
    pub route: String,
}

/// Labels by error code.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabels {
    /// Stable error code.
    pub code: String,
}

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// The server's metrics, rendered at `/metrics`.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// `kyc_http_requests_total{method,route,status}`
    pub http_requests: Family<HttpLabels, Counter>,
    /// `kyc_http_request_duration_seconds{method,route}`
    pub http_duration: Family<RouteLabels, Histogram, fn() -> Histogram>,
    /// `kyc_upload_errors_total{code}` (the workstreams' `UploadErrors`)
    pub upload_errors: Family<CodeLabels, Counter>,
    /// `kyc_uploads_total`: documents stored.
    pub uploads: Counter,
    /// `kyc_verifications_created_total`
    pub verifications_created: Counter,
    /// `kyc_verifications_erased_total`
    pub verifications_erased: Counter,
    /// `kyc_liveness_fails_total{reason}` (the workstreams' `LivenessFails`)
    pub liveness_fail_reasons: Family<ReasonLabels, Counter>,
    /// `kyc_liveness_frames_total`: frames accepted.
    pub liveness_frames: Counter,
    /// `kyc_jobs_total{kind,result}`: job executions.
    pub jobs: Family<JobLabels, Counter>,
    /// `kyc_ocr_latency_seconds` (the workstreams' `OCRLatency`): one document read.
    pub ocr_latency: Histogram,
    /// `kyc_ocr_alerts_total{code}`: readings that need review (`fields_missing`, …).
    pub ocr_alerts: Family<CodeLabels, Counter>,
    /// `kyc_sanctions_flags_total{code}` (the workstreams' `SanctionsFlags`):
    /// screenings that came out `potential_match` or `match`.
    pub sanctions_flags: Family<CodeLabels, Counter>,
    /// The CloudWatch copy of the workstreams' four metrics (`[log] emf`).
    emf: Option<Emf>,
}

/// Labels by reason.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    /// Stable reason code.
    pub reason: String,
}

/// Labels of job metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobLabels {
    /// Job kind.
    pub kind: String,
    /// `ok`, `retry` or `dead`.
    pub result: String,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("kyc");
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_duration =
            Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram as fn() -> Histogram,
            );
        let upload_errors = Family::<CodeLabels, Counter>::default();
        let uploads = Counter::default();
        let verifications_created = Counter::default();
        let verifications_erased = Counter::default();
        let liveness_fail_reasons = Family::<ReasonLabels, Counter>::default();
        let liveness_frames = Counter::default();
        let jobs = Family::<JobLabels, Counter>::default();
        let ocr_latency = Histogram::new(exponential_buckets(0.05, 1.6, 14));
        let ocr_alerts = Family::<CodeLabels, Counter>::default();
        let sanctions_flags = Family::<CodeLabels, Counter>::default();
        registry.register(
            "sanctions_flags",
            "Screenings flagged potential_match or match (SanctionsFlags)",
            sanctions_flags.clone(),
        );
        registry.register(
            "ocr_latency_seconds",
            "Time to read one document (OCRLatency)",
            ocr_latency.clone(),
        );
        registry.register(
            "ocr_alerts",
            "Document readings that need review, by code",
            ocr_alerts.clone(),
        );
        registry.register(
            "liveness_fails",
            "Failed liveness attempts and face matches by reason (LivenessFails)",
            liveness_fail_reasons.clone(),
        );
        registry.register("liveness_frames", "Liveness frames accepted", liveness_frames.clone());
        registry.register("jobs", "Job executions by kind and result", jobs.clone());
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            http_requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            http_duration.clone(),
        );
        registry.register(
            "upload_errors",
            "Rejected or failed document uploads (UploadErrors)",
            upload_errors.clone(),
        );
        registry.register("uploads", "Documents stored", uploads.clone());
        registry.register(
            "verifications_created",
            "Verifications created",
            verifications_created.clone(),
        );
        registry.register(
            "verifications_erased",
            "Verifications erased (deleted or expired)",
            verifications_erased.clone(),
        );
        Self {
            registry,
            http_requests,
            http_duration,
            upload_errors,
            uploads,
            verifications_created,
            verifications_erased,
            ocr_latency,
            ocr_alerts,
            sanctions_flags,
            liveness_fail_reasons,
            liveness_frames,
            jobs,
            emf: None,
        }
    }

    /// Also writes the workstreams' four metrics to `emf`.
    pub fn with_emf(mut self, emf: Emf) -> Self {
        self.emf = Some(emf);
        self
    }

    fn to_cloudwatch(&self, metric: EmfMetric, value: f64, code: Option<&str>) {
        if let Some(emf) = &self.emf {
            emf.record(metric, value, code);
        }
    }

    /// Counts a failed upload.
    pub fn upload_error(&self, code: kyc_core::ErrorCode) {
        self.upload_errors.get_or_create(&CodeLabels { code: code.as_str().to_owned() }).inc();
        self.to_cloudwatch(EmfMetric::UploadErrors, 1.0, Some(code.as_str()));
    }

    /// Counts a failed liveness attempt or face match.
    pub fn liveness_fails(&self, reason: &str) {
        self.liveness_fail_reasons.get_or_create(&ReasonLabels { reason: reason.to_owned() }).inc();
        self.to_cloudwatch(EmfMetric::LivenessFails, 1.0, Some(reason));
    }

    /// Records the time one document read took.
    pub fn ocr_read(&self, took: std::time::Duration) {
        self.ocr_latency.observe(took.as_secs_f64());
        self.to_cloudwatch(EmfMetric::OcrLatency, took.as_secs_f64() * 1e3, None);
    }

    /// Counts a screening flagged `code` (`potential_match`, `match`).
    pub fn sanctions_flag(&self, code: &str) {
        self.sanctions_flags.get_or_create(&CodeLabels { code: code.to_owned() }).inc();
        self.to_cloudwatch(EmfMetric::SanctionsFlags, 1.0, Some(code));
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // writing into a String cannot fail
        let _ = encode(&mut out, &self.registry);
        out
    }
}
