//! The audit trail's keyed hash chain, computed here so every storage
//! backend gets it.
//!
//! Each record's hash is HMAC-SHA256, under a [`ChainKey`] the server
//! derives from its master key, over the record's sequence number, the
//! previous record's hash and the canonical JSON of its event; the first
//! record links to [`GENESIS`]. Changing, removing or reordering any record
//! breaks every later link, and someone who can write the database but does
//! not hold the key cannot re-hash the records after a change. Removing the
//! *last* records leaves a valid shorter chain: that is caught by
//! [`Checkpoint`]s, heads of the chain kept somewhere else, which
//! [`ChainVerifier::with_checkpoints`] holds the log to.
//!
//! Audit events never carry PII: ids, steps, statuses, codes and scores only.

use crate::{
    ErrorCode, Timestamp, VerificationId,
    api::v1::{Step, StepStatus},
};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::{collections::BTreeMap, fmt, str::FromStr};

/// The `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The key the chain's hashes are computed under.
#[derive(Clone)]
pub struct ChainKey([u8; 32]);

impl ChainKey {
    /// A key from its bytes (the server derives them from its master key).
    pub const fn from_bytes(key: [u8; 32]) -> Self {
        Self(key)
    }
}

impl fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChainKey(..)")
    }
}

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

/// The hash of a record with these contents, under `key`.
pub fn record_hash(key: &ChainKey, seq: u64, prev_hash: &str, event: &AuditEvent) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(&key.0) else {
        // HMAC takes keys of any length: unreachable
        return String::new();
    };
    mac.update(b"kyc-audit-v2\n");
    mac.update(&seq.to_be_bytes());
    mac.update(prev_hash.as_bytes());
    // serde_json writes struct fields in declaration order and map keys sorted: canonical
    mac.update(&serde_json::to_vec(event).unwrap_or_default());
    hex(&mac.finalize().into_bytes())
}

/// The record that follows `prev` (or starts the chain).
pub fn chain(key: &ChainKey, prev: Option<&AuditRecord>, event: AuditEvent) -> AuditRecord {
    let (seq, prev_hash) = match prev {
        Some(p) => (p.seq + 1, p.hash.clone()),
        None => (1, GENESIS.to_owned()),
    };
    let hash = record_hash(key, seq, &prev_hash, &event);
    AuditRecord { seq, prev_hash, hash, event }
}

/// A head of the chain, written down outside the log (`kyc audit head`,
/// the server's checkpoint file): the log must still hold record `seq`
/// with this `hash`. Its text form is `seq:hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Sequence number of the head record.
    pub seq: u64,
    /// Its hash (keyed: nobody without the key can make one up).
    pub hash: String,
}

impl From<&AuditRecord> for Checkpoint {
    fn from(r: &AuditRecord) -> Self {
        Self { seq: r.seq, hash: r.hash.clone() }
    }
}

impl fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

/// A checkpoint that is not `seq:hash` with a 64-digit hex hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a checkpoint is SEQ:HASH (a record number, a colon and 64 hex digits)")]
pub struct BadCheckpoint;

impl FromStr for Checkpoint {
    type Err = BadCheckpoint;

    fn from_str(s: &str) -> Result<Self, BadCheckpoint> {
        let (seq, hash) = s.trim().split_once(':').ok_or(BadCheckpoint)?;
        let seq: u64 = seq.parse().map_err(|_| BadCheckpoint)?;
        let hash = hash.to_ascii_lowercase();
        if seq == 0 || hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(BadCheckpoint);
        }
        Ok(Self { seq, hash })
    }
}

/// What is wrong at a broken link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakKind {
    /// A sequence number is missing or repeated (a record was removed or inserted).
    SequenceGap,
    /// `prev_hash` does not match the previous record's hash.
    PrevHashMismatch,
    /// The record's content does not match its hash (altered, or hashed
    /// without the key).
    HashMismatch,
    /// The record differs from a checkpoint taken of it (rewritten).
    CheckpointMismatch,
    /// The log ends before a checkpointed record (truncated); the break's
    /// `seq` is the first missing record.
    Truncated,
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

/// Checks records one at a time, in sequence order, in constant memory
/// (plus the checkpoints it is given).
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    key: ChainKey,
    last_seq: u64,
    last_hash: String,
    checkpoints: BTreeMap<u64, Vec<String>>,
}

impl ChainVerifier {
    /// A verifier for a chain under `key`, starting at record 1.
    pub fn new(key: ChainKey) -> Self {
        Self { key, last_seq: 0, last_hash: GENESIS.to_owned(), checkpoints: BTreeMap::new() }
    }

    /// Also holds the log to these checkpoints: each checkpointed record
    /// must be present ([`ChainVerifier::finish`]) with the same hash.
    #[must_use]
    pub fn with_checkpoints(mut self, checkpoints: impl IntoIterator<Item = Checkpoint>) -> Self {
        for c in checkpoints {
            self.checkpoints.entry(c.seq).or_default().push(c.hash);
        }
        self
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
        if record_hash(&self.key, r.seq, &r.prev_hash, &r.event) != r.hash {
            return Err(brk(BreakKind::HashMismatch));
        }
        if let Some(hashes) = self.checkpoints.get(&r.seq)
            && hashes.iter().any(|h| *h != r.hash)
        {
            return Err(brk(BreakKind::CheckpointMismatch));
        }
        self.last_seq = r.seq;
        self.last_hash.clone_from(&r.hash);
        Ok(())
    }

    /// After the last record: whether a checkpoint lies past it (the log
    /// was truncated).
    pub fn finish(&self) -> Result<(), ChainBreak> {
        if self.checkpoints.range(self.last_seq + 1..).next().is_some() {
            return Err(ChainBreak { seq: self.last_seq + 1, kind: BreakKind::Truncated });
        }
        Ok(())
    }

    /// The last record checked, as a checkpoint.
    pub fn head(&self) -> Option<Checkpoint> {
        (self.last_seq > 0).then(|| Checkpoint { seq: self.last_seq, hash: self.last_hash.clone() })
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

    const KEY: ChainKey = ChainKey::from_bytes([9; 32]);

    fn build(n: i64) -> Vec<AuditRecord> {
        let mut out: Vec<AuditRecord> = Vec::new();
        for i in 0..n {
            let r = chain(&KEY, out.last(), event(i));
            out.push(r);
        }
        out
    }

    fn verify_against(
        records: &[AuditRecord],
        checkpoints: &[Checkpoint],
    ) -> Result<u64, ChainBreak> {
        let mut v = ChainVerifier::new(KEY).with_checkpoints(checkpoints.iter().cloned());
        for r in records {
            v.push(r)?;
        }
        v.finish()?;
        Ok(v.checked())
    }

    fn verify(records: &[AuditRecord]) -> Result<u64, ChainBreak> {
        verify_against(records, &[])
    }

    proptest! {
        /// Records are stored as JSON and verified after reading them back:
        /// every float (f32 confidences widened to f64 included) must parse to
        /// the same value, or the chain breaks (serde_json's `float_roundtrip`).
        #[test]
        fn records_verify_after_a_json_round_trip(c in any::<f32>().prop_filter("finite", |c| c.is_finite()), x in any::<f64>().prop_filter("finite", |x| x.is_finite())) {
            let mut e = event(1);
            e.detail = serde_json::json!({"confidence": c, "latency": x});
            let r = chain(&KEY, None, e);
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
        records[2].hash = record_hash(&KEY, 3, &records[2].prev_hash, &records[2].event);
        assert_eq!(verify(&records), Err(ChainBreak { seq: 4, kind: BreakKind::PrevHashMismatch }));
    }

    #[test]
    fn rewriting_and_rehashing_without_the_key_is_detected() {
        // the attacker edits record 3 and re-links every later record, with
        // any key but the server's (the unkeyed v1 formula included)
        let mallory = ChainKey::from_bytes([0; 32]);
        let mut records = build(10);
        records[2].event.status = StepStatus::Failed;
        for i in 2..records.len() {
            if i > 2 {
                records[i].prev_hash = records[i - 1].hash.clone();
            }
            let r = &records[i];
            records[i].hash = record_hash(&mallory, r.seq, &r.prev_hash, &r.event);
        }
        assert_eq!(verify(&records), Err(ChainBreak { seq: 3, kind: BreakKind::HashMismatch }));
        // a whole log forged from scratch under another key fails at record 1
        let forged: Vec<AuditRecord> = {
            let mut out: Vec<AuditRecord> = Vec::new();
            for i in 0..5 {
                let r = chain(&mallory, out.last(), event(i));
                out.push(r);
            }
            out
        };
        assert_eq!(verify(&forged), Err(ChainBreak { seq: 1, kind: BreakKind::HashMismatch }));
    }

    #[test]
    fn truncation_is_caught_by_a_checkpoint() {
        let records = build(10);
        let head = Checkpoint::from(&records[9]);
        assert_eq!(verify_against(&records, std::slice::from_ref(&head)), Ok(10));
        // the last 3 records deleted: a valid chain of 7, but not the one checkpointed
        let cut = &records[..7];
        assert_eq!(verify(cut), Ok(7));
        assert_eq!(
            verify_against(cut, std::slice::from_ref(&head)),
            Err(ChainBreak { seq: 8, kind: BreakKind::Truncated })
        );
        // an older checkpoint still inside the log is fine
        assert_eq!(verify_against(cut, &[Checkpoint::from(&records[4])]), Ok(7));
        // a checkpoint whose record was replaced (re-hashed with the key: an
        // insider) no longer matches
        let mut rewritten = build(10);
        rewritten[4].event.actor = "insider".into();
        for i in 4..rewritten.len() {
            if i > 4 {
                rewritten[i].prev_hash = rewritten[i - 1].hash.clone();
            }
            let r = &rewritten[i];
            rewritten[i].hash = record_hash(&KEY, r.seq, &r.prev_hash, &r.event);
        }
        assert_eq!(verify(&rewritten), Ok(10));
        assert_eq!(
            verify_against(&rewritten, std::slice::from_ref(&head)),
            Err(ChainBreak { seq: 10, kind: BreakKind::CheckpointMismatch })
        );
    }

    #[test]
    fn checkpoints_parse_from_their_text_form() {
        let records = build(3);
        let c = Checkpoint::from(&records[2]);
        assert_eq!(c.to_string().parse::<Checkpoint>(), Ok(c.clone()));
        assert_eq!(format!(" {} ", c.to_string().to_uppercase()).parse::<Checkpoint>(), Ok(c));
        let hex64 = "a".repeat(64);
        let bad = [
            String::new(),
            "3".into(),
            "3:".into(),
            format!("0:{hex64}"),
            format!("x:{hex64}"),
            format!("3:{}", "g".repeat(64)),
            "3:abc".into(),
        ];
        for bad in bad {
            assert_eq!(bad.parse::<Checkpoint>(), Err(BadCheckpoint), "{bad}");
        }
    }

    #[test]
    fn the_key_is_not_printed() {
        assert_eq!(format!("{:?}", ChainKey::from_bytes([0xab; 32])), "ChainKey(..)");
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
