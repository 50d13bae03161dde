//! CloudWatch metrics through the logs: the embedded metric format (EMF).
//!
//! With `[log] emf = true` (`KYC_LOG_EMF`), each of the workstreams' four
//! metrics is also written as one EMF JSON line to stdout, the stream
//! CloudWatch Logs collects from Lambda (and from ECS `awslogs` or the
//! CloudWatch agent), which turns it into a CloudWatch metric without an API
//! call: namespace `[log] emf_namespace`, dimensions `Environment` and, for
//! the counts by code, `Environment` + `Code`. A line holds the metric, the
//! environment and a stable code, never an id or PII.
//!
//! | metric | unit | when |
//! |---|---|---|
//! | `UploadErrors` | Count | an upload refused or failed, by error code |
//! | `LivenessFails` | Count | a liveness attempt or face match failed, by reason |
//! | `OCRLatency` | Milliseconds | one document read |
//! | `SanctionsFlags` | Count | a screening came out `potential_match` or `match` |

use serde_json::{Value, json};
use std::{
    fmt,
    io::Write,
    sync::{Arc, Mutex},
    time::{SystemTime, UNIX_EPOCH},
};

/// One of the metrics sent to CloudWatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmfMetric {
    /// Uploads refused or failed.
    UploadErrors,
    /// Failed liveness attempts and face matches.
    LivenessFails,
    /// Time to read one document.
    OcrLatency,
    /// Screenings flagged.
    SanctionsFlags,
    /// Jobs that ran out of attempts (dimension `Code`: the job kind).
    JobsDeadLettered,
}

impl EmfMetric {
    /// The CloudWatch metric name.
    pub fn name(self) -> &'static str {
        match self {
            Self::UploadErrors => "UploadErrors",
            Self::LivenessFails => "LivenessFails",
            Self::OcrLatency => "OCRLatency",
            Self::SanctionsFlags => "SanctionsFlags",
            Self::JobsDeadLettered => "JobsDeadLettered",
        }
    }

    /// The CloudWatch unit.
    pub fn unit(self) -> &'static str {
        match self {
            Self::OcrLatency => "Milliseconds",
            _ => "Count",
        }
    }
}

/// The EMF document of one observation at `timestamp_ms`.
pub fn document(
    namespace: &str,
    environment: &str,
    metric: EmfMetric,
    value: f64,
    code: Option<&str>,
    timestamp_ms: i64,
) -> Value {
    let dimensions = match code {
        Some(_) => json!([["Environment"], ["Environment", "Code"]]),
        None => json!([["Environment"]]),
    };
    let mut doc = json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": dimensions,
                "Metrics": [{ "Name": metric.name(), "Unit": metric.unit() }],
            }],
        },
        "Environment": environment,
        metric.name(): value,
    });
    if let Some(code) = code {
        doc["Code"] = json!(code);
    }
    doc
}

/// Writes EMF lines; cheap to clone.
#[derive(Clone)]
pub struct Emf {
    namespace: String,
    environment: String,
    out: Arc<Mutex<Box<dyn Write + Send>>>,
}

impl fmt::Debug for Emf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emf")
            .field("namespace", &self.namespace)
            .field("environment", &self.environment)
            .finish_non_exhaustive()
    }
}

impl Emf {
    /// Lines to stdout.
    pub fn stdout(namespace: &str, environment: &str) -> Self {
        Self::to_writer(namespace, environment, Box::new(std::io::stdout()))
    }

    /// Lines to `out` (tests).
    pub fn to_writer(namespace: &str, environment: &str, out: Box<dyn Write + Send>) -> Self {
        Self {
            namespace: namespace.to_owned(),
            environment: environment.to_owned(),
            out: Arc::new(Mutex::new(out)),
        }
    }

    /// Writes one observation (a lost line is a lost data point, never an error).
    pub fn record(&self, metric: EmfMetric, value: f64, code: Option<&str>) {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let ts = i64::try_from(now.as_millis()).unwrap_or(i64::MAX);
        let doc = document(&self.namespace, &self.environment, metric, value, code, ts);
        let mut line = doc.to_string();
        line.push('\n');
        if let Ok(mut out) = self.out.lock() {
            // one write per line, so concurrent lines never interleave
            let _ = out.write_all(line.as_bytes()).and_then(|()| out.flush());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_by_code_has_both_dimension_sets_and_its_value_at_the_top() {
        let d = document(
            "KYC",
            "prod",
            EmfMetric::UploadErrors,
            1.0,
            Some("image_too_small"),
            1_764_064_800_000,
        );
        insta::assert_json_snapshot!(d, @r#"
        {
          "Code": "image_too_small",
          "Environment": "prod",
          "UploadErrors": 1.0,
          "_aws": {
            "CloudWatchMetrics": [
              {
                "Dimensions": [
                  [
                    "Environment"
                  ],
                  [
                    "Environment",
                    "Code"
                  ]
                ],
                "Metrics": [
                  {
                    "Name": "UploadErrors",
                    "Unit": "Count"
                  }
                ],
                "Namespace": "KYC"
              }
            ],
            "Timestamp": 1764064800000
          }
        }
        "#);
    }

    /// What the EMF specification requires of a document: every dimension
    /// and metric named in `_aws` is a top-level member of the right type.
    fn assert_valid(d: &Value) {
        let directive = &d["_aws"]["CloudWatchMetrics"][0];
        assert!(d["_aws"]["Timestamp"].is_i64());
        assert!(!directive["Namespace"].as_str().unwrap().is_empty());
        for set in directive["Dimensions"].as_array().unwrap() {
            for dim in set.as_array().unwrap() {
                assert!(d[dim.as_str().unwrap()].is_string(), "{dim} in {d}");
            }
        }
        for m in directive["Metrics"].as_array().unwrap() {
            assert!(d[m["Name"].as_str().unwrap()].is_number(), "{m} in {d}");
        }
    }

    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_metric_is_written_as_one_valid_line() {
        let lines = Lines::default();
        let emf = Emf::to_writer("KYC", "dev", Box::new(lines.clone()));
        emf.record(EmfMetric::OcrLatency, 812.5, None);
        emf.record(EmfMetric::LivenessFails, 1.0, Some("face_changed"));
        emf.record(EmfMetric::SanctionsFlags, 1.0, Some("potential_match"));
        emf.record(EmfMetric::UploadErrors, 1.0, Some("unsupported_media_type"));
        emf.record(EmfMetric::JobsDeadLettered, 1.0, Some("ocr"));
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        let docs: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(docs.len(), 5);
        for d in &docs {
            assert_valid(d);
        }
        assert_eq!(
            (docs[4]["JobsDeadLettered"].as_f64(), docs[4]["Code"].as_str()),
            (Some(1.0), Some("ocr"))
        );
        assert_eq!(docs[0]["OCRLatency"], 812.5);
        assert_eq!(docs[0]["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"], "Milliseconds");
        assert!(docs[0].get("Code").is_none());
        assert_eq!(docs[1]["Code"], "face_changed");
    }

    #[test]
    fn the_server_metrics_reach_cloudwatch_and_prometheus_alike() {
        let lines = Lines::default();
        let metrics = crate::telemetry::Metrics::new().with_emf(Emf::to_writer(
            "KYC",
            "stage",
            Box::new(lines.clone()),
        ));
        metrics.upload_error(kyc_core::ErrorCode::ImageTooSmall);
        metrics.ocr_read(std::time::Duration::from_millis(640));
        metrics.sanctions_flag("match");
        metrics.liveness_fails("face_changed");
        metrics.job_settled("screen", "retry"); // a retry is no dead letter
        metrics.job_settled("screen", "dead");
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        let names: Vec<String> = text
            .lines()
            .map(|l| {
                let d: Value = serde_json::from_str(l).unwrap();
                assert_valid(&d);
                assert_eq!(d["Environment"], "stage");
                d["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(
            names,
            ["UploadErrors", "OCRLatency", "SanctionsFlags", "LivenessFails", "JobsDeadLettered"]
        );
        let prom = metrics.render();
        assert!(prom.contains("kyc_upload_errors_total{code=\"image_too_small\"} 1"), "{prom}");
        assert!(prom.contains("kyc_sanctions_flags_total{code=\"match\"} 1"), "{prom}");
        assert!(prom.contains("kyc_jobs_total{kind=\"screen\",result=\"dead\"} 1"), "{prom}");
    }
}
