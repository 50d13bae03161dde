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
    /// `kyc_job_duration_seconds{kind}`: one job execution, whatever its result.
    pub job_duration: Family<JobKindLabels, Histogram, fn() -> Histogram>,
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

/// Labels by job kind.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobKindLabels {
    /// Job kind.
    pub kind: String,
}

fn job_histogram() -> Histogram {
    // 5 ms … ~80 s: a screening lookup to a slow OCR with retries
    Histogram::new(exponential_buckets(0.005, 2.0, 15))
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
        let job_duration =
            Family::<JobKindLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                job_histogram as fn() -> Histogram,
            );
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
            "job_duration_seconds",
            "Time to run one job, by kind",
            job_duration.clone(),
        );
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
            job_duration,
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

    /// Counts a job execution by its result (`ok`, `retry`, `dead`); a dead
    /// letter also goes to CloudWatch (`JobsDeadLettered`).
    pub fn job_settled(&self, kind: &str, result: &str) {
        self.jobs
            .get_or_create(&JobLabels { kind: kind.to_owned(), result: result.to_owned() })
            .inc();
        if result == "dead" {
            self.to_cloudwatch(EmfMetric::JobsDeadLettered, 1.0, Some(kind));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The metric names a PromQL text uses (`kyc_…`, the histogram and
    /// counter suffixes taken off).
    fn names_in(text: &str) -> std::collections::BTreeSet<String> {
        let mut names = std::collections::BTreeSet::new();
        let mut rest = text;
        while let Some(at) = rest.find("kyc_") {
            let tail = &rest[at..];
            let end = tail
                .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
                .unwrap_or(tail.len());
            let name = &tail[..end];
            let base = ["_bucket", "_count", "_sum", "_total"]
                .iter()
                .find_map(|s| name.strip_suffix(s))
                .unwrap_or(name);
            names.insert(base.to_owned());
            rest = &tail[end..];
        }
        names
    }

    #[test]
    fn the_dashboard_and_the_alerts_name_only_exported_metrics() {
        // a family shows in the exposition once it has a child: give each one
        let m = Metrics::new();
        let route = || RouteLabels { method: "POST".into(), route: "/upload-id".into() };
        m.http_requests
            .get_or_create(&HttpLabels {
                method: "POST".into(),
                route: "/upload-id".into(),
                status: 200,
            })
            .inc();
        m.http_duration.get_or_create(&route()).observe(0.1);
        m.upload_errors.get_or_create(&CodeLabels { code: "malformed_image".into() }).inc();
        m.liveness_fail_reasons
            .get_or_create(&ReasonLabels { reason: "face_changed".into() })
            .inc();
        m.jobs.get_or_create(&JobLabels { kind: "ocr".into(), result: "ok".into() }).inc();
        m.job_duration.get_or_create(&JobKindLabels { kind: "ocr".into() }).observe(1.0);
        m.ocr_alerts.get_or_create(&CodeLabels { code: "fields_missing".into() }).inc();
        m.sanctions_flags.get_or_create(&CodeLabels { code: "potential_match".into() }).inc();
        let rendered = m.render();
        let exported: std::collections::BTreeSet<String> = rendered
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_owned)
            .collect();
        assert!(exported.contains("kyc_job_duration_seconds"), "{exported:?}");
        for (file, text) in [
            ("deploy/grafana/kyc.json", include_str!("../../deploy/grafana/kyc.json")),
            (
                "deploy/prometheus/kyc-alerts.yml",
                include_str!("../../deploy/prometheus/kyc-alerts.yml"),
            ),
        ] {
            let used = names_in(text);
            assert!(used.len() >= 6, "{file} names {used:?}");
            let unknown: Vec<_> = used.difference(&exported).collect();
            assert!(
                unknown.is_empty(),
                "{file} names metrics the server does not export: {unknown:?}"
            );
        }
        // the workstreams' four are on both
        for m in [
            "kyc_upload_errors",
            "kyc_liveness_fails",
            "kyc_ocr_latency_seconds",
            "kyc_sanctions_flags",
        ] {
            assert!(names_in(include_str!("../../deploy/grafana/kyc.json")).contains(m), "{m}");
            assert!(
                names_in(include_str!("../../deploy/prometheus/kyc-alerts.yml")).contains(m),
                "{m}"
            );
        }
        assert!(
            names_in("rate(kyc_http_request_duration_seconds_bucket{x}[5m])")
                .contains("kyc_http_request_duration_seconds")
        );
    }
}
