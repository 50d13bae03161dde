//! The audit trail's hash chain, computed here so every storage backend gets it.
//!
//! Each record's hash is SHA-256 over its sequence number, the previous
//! record's hash and the canonical JSON of its event; the first record links to
//! [`GENESIS`]. Changing, removing or reordering any record breaks every later
//! link, which [`ChainVerifier`] reports at the first broken record.
//!
//! Audit events never carry PII: ids, steps, statuses, codes and scores only.

use crate::{
    ErrorCode, Timestamp, VerificationId,
    api::v1::{Step, StepStatus},
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Something that happened, as the caller reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    /// When it happened.
    pub at: Timestamp,
    /// The verification concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_id: Option<VerificationId>,
    /// Pipeline step.
    pub step: Step,
    /// What happened.
    pub status: StepStatus,
    /// Error code, for failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<ErrorCode>,
    /// Who caused it: an API key id, `client`, `system` (never a secret).
    pub actor: String,
    /// Non-PII details (scores, sizes, reason codes).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub detail: serde_json::Value,
}

/// An event with its place in the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    /// 1-based position in the log.
    pub seq: u64,
    /// Hex hash of the previous record ([`GENESIS`] for the first).
    pub prev_hash: String,
    /// Hex hash of this record.
    pub hash: String,
    /// The event.
    pub event: AuditEvent,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hash of a record with these contents.
pub fn record_hash(seq: u64, prev_hash: &str, event: &AuditEvent) -> String {
    let mut h = Sha256::new();
    h.update(b"kyc-audit-v1\n");
    h.update(seq.to_be_bytes());
    h.update(prev_hash.as_bytes());
    // serde_json writes struct fields in declaration order and map keys sorted: canonical
    h.update(serde_json::to_vec(event).unwrap_or_default());
    hex(&h.finalize())
}

/// The record that follows `prev` (or starts the chain).
pub fn chain(prev: Option<&AuditRecord>, event: AuditEvent) -> AuditRecord {
    let (seq, prev_hash) = match prev {
        Some(p) => (p.seq + 1, p.hash.clone()),
        None => (1, GENESIS.to_owned()),
    };
    let hash = record_hash(seq, &prev_hash, &event);
    AuditRecord { seq, prev_hash, hash, event }
}

/// What is wrong at a broken link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakKind {
    /// A sequence number is missing or repeated (a record was removed or inserted).
    SequenceGap,
    /// `prev_hash` does not match the previous record's hash.
    PrevHashMismatch,
    /// The record's content does not match its hash (it was altered).
    HashMismatch,
}

/// The first broken link of a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("audit chain broken at record {seq}: {kind:?}")]
pub struct ChainBreak {
    /// Sequence number of the first bad record.
    pub seq: u64,
    /// What is wrong.
    pub kind: BreakKind,
}

/// Checks records one at a time, in sequence order, in constant memory.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    last_seq: u64,
    last_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self { last_seq: 0, last_hash: GENESIS.to_owned() }
    }
}

impl ChainVerifier {
    /// A verifier for a chain starting at record 1.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the next record.
    pub fn push(&mut self, r: &AuditRecord) -> Result<(), ChainBreak> {
        let brk = |kind| ChainBreak { seq: r.seq, kind };
        if r.seq != self.last_seq + 1 {
            return Err(ChainBreak { seq: self.last_seq + 1, kind: BreakKind::SequenceGap });
        }
        if r.prev_hash != self.last_hash {
            return Err(brk(BreakKind::PrevHashMismatch));
        }
        if record_hash(r.seq, &r.prev_hash, &r.event) != r.hash {
            return Err(brk(BreakKind::HashMismatch));
        }
        self.last_seq = r.seq;
        self.last_hash.clone_from(&r.hash);
        Ok(())
    }

    /// Records checked so far.
    pub const fn checked(&self) -> u64 {
        self.last_seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn event(i: i64) -> AuditEvent {
        AuditEvent {
            at: Timestamp::from_unix_millis(1_764_064_800_000 + i),
            verification_id: None,
            step: Step::Upload,
            status: StepStatus::Succeeded,
            code: None,
            actor: "k_test".into(),
            detail: serde_json::json!({"bytes": i, "b": 1, "a": 2}),
        }
    }

    fn build(n: i64) -> Vec<AuditRecord> {
        let mut out: Vec<AuditRecord> = Vec::new();
        for i in 0..n {
            let r = chain(out.last(), event(i));
            out.push(r);
        }
        out
    }

    fn verify(records: &[AuditRecord]) -> Result<u64, ChainBreak> {
        let mut v = ChainVerifier::new();
        for r in records {
            v.push(r)?;
        }
        Ok(v.checked())
    }

    proptest! {
        /// Records are stored as JSON and verified after reading them back:
        /// every float (f32 confidences widened to f64 included) must parse to
        /// the same value, or the chain breaks (serde_json's `float_roundtrip`).
        #[test]
        fn records_verify_after_a_json_round_trip(c in any::<f32>().prop_filter("finite", |c| c.is_finite()), x in any::<f64>().prop_filter("finite", |x| x.is_finite())) {
            let mut e = event(1);
            e.detail = serde_json::json!({"confidence": c, "latency": x});
            let r = chain(None, e);
            let back: AuditRecord = serde_json::from_slice(&serde_json::to_vec(&r).unwrap()).unwrap();
            prop_assert_eq!(verify(&[back]), Ok(1));
        }
    }

    #[test]
    fn intact_chain_verifies() {
        let records = build(10);
        assert_eq!(records[0].prev_hash, GENESIS);
        assert_eq!(verify(&records), Ok(10));
    }

    #[test]
    fn reports_the_first_broken_link() {
        let mut records = build(10);
        records[4].event.status = StepStatus::Failed;
        assert_eq!(verify(&records), Err(ChainBreak { seq: 5, kind: BreakKind::HashMismatch }));

        let mut records = build(10);
        records.remove(6);
        assert_eq!(verify(&records), Err(ChainBreak { seq: 7, kind: BreakKind::SequenceGap }));

        // re-hashing an altered record still breaks the next link
        let mut records = build(10);
        records[2].event.actor = "mallory".into();
        records[2].hash = record_hash(3, &records[2].prev_hash, &records[2].event);
        assert_eq!(verify(&records), Err(ChainBreak { seq: 4, kind: BreakKind::PrevHashMismatch }));
    }

    proptest! {
        #[test]
        fn any_single_alteration_is_detected(n in 2i64..30, victim in 0usize..30, delta in 1i64..1000) {
            let mut records = build(n);
            let victim = victim % records.len();
            records[victim].event.at = records[victim].event.at.add_millis(delta);
            let err = verify(&records).unwrap_err();
            prop_assert_eq!(err.seq, victim as u64 + 1);
        }
    }
}
