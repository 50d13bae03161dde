//! Per-key rate limits (token bucket) and daily quotas.
//!
//! Rate limits are in memory, per process. Quotas are counted in memory and
//! added to the key store every few seconds by [`Limits::flush`], so several
//! server processes share one daily budget (each may overshoot it by what it
//! counted since its last flush).

use crate::{backend::KeyStore, config::RateLimitConfig, error::ApiError};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock as _};
use kyc_core::{ErrorCode, Timestamp};
use std::{
    collections::HashMap,
    net::IpAddr,
    num::NonZeroU32,
    sync::{Arc, Mutex, PoisonError},
};

const DAY_SECS: i64 = 86_400;

/// Whose daily budget a request spends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Budget {
    /// An API key's own (`rate_limit.daily_quota`): the integrator's.
    Key(String),
    /// One verification's client tokens (`rate_limit.client_token_daily_quota`).
    ClientToken(kyc_core::VerificationId),
}

impl Budget {
    /// The usage row it is counted in (client tokens' rows are `ct:{id}`,
    /// never an API key id).
    fn bucket(&self) -> String {
        match self {
            Self::Key(k) => k.clone(),
            Self::ClientToken(v) => format!("ct:{v}"),
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Count {
    /// Total in the store when last read or flushed.
    stored: u64,
    /// Counted here since.
    pending: u64,
}

/// Rate limiter and quota counter.
#[derive(Debug)]
pub struct Limits {
    limiter: DefaultKeyedRateLimiter<String>,
    daily_quota: u64,
    client_token_daily_quota: u64,
    keys: Arc<dyn KeyStore>,
    counts: Mutex<HashMap<(String, i64), Count>>,
    failed_auth_per_minute: u32,
    /// Failed authentications per client address in the current minute.
    failures: Mutex<HashMap<IpAddr, (i64, u32)>>,
}

/// Addresses remembered at most (older minutes are dropped first).
const MAX_TRACKED_ADDRESSES: usize = 100_000;

impl Limits {
    /// Limits from config, counting quotas in `keys`.
    pub fn new(cfg: &RateLimitConfig, keys: Arc<dyn KeyStore>) -> Self {
        let rps = NonZeroU32::new(cfg.requests_per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(cfg.burst.max(cfg.requests_per_second)).unwrap_or(rps);
        Self {
            limiter: RateLimiter::keyed(Quota::per_second(rps).allow_burst(burst)),
            daily_quota: cfg.daily_quota,
            client_token_daily_quota: cfg.client_token_daily_quota,
            keys,
            counts: Mutex::new(HashMap::new()),
            failed_auth_per_minute: cfg.failed_auth_per_minute,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Before authentication: 429 while `addr` has spent this minute's
    /// budget of failed authentications (guessing keys or tokens).
    pub fn admit_address(&self, addr: Option<IpAddr>, now: Timestamp) -> Result<(), ApiError> {
        let Some(ip) = addr else { return Ok(()) };
        let minute = now.unix_secs().div_euclid(60);
        let failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        match failures.get(&ip) {
            Some((m, n)) if *m == minute && *n >= self.failed_auth_per_minute => {
                let retry = (minute + 1) * 60 - now.unix_secs();
                Err(ApiError::new(
                    ErrorCode::RateLimited,
                    "too many failed authentications from this address",
                )
                .with_retry_after(u64::try_from(retry).unwrap_or(1)))
            }
            _ => Ok(()),
        }
    }

    /// Counts a failed authentication from `addr`.
    pub fn record_auth_failure(&self, addr: Option<IpAddr>, now: Timestamp) {
        let Some(ip) = addr else { return };
        let minute = now.unix_secs().div_euclid(60);
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        if failures.len() >= MAX_TRACKED_ADDRESSES {
            failures.retain(|_, (m, _)| *m == minute);
        }
        let entry = failures.entry(ip).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }

    /// Admits one request: `rate_key` for the token bucket, `quota` for the
    /// daily budget. Errors are 429 with `Retry-After`.
    pub async fn admit(
        &self,
        rate_key: &str,
        quota: &Budget,
        now: Timestamp,
    ) -> Result<(), ApiError> {
        let limit = match quota {
            Budget::Key(_) => self.daily_quota,
            Budget::ClientToken(_) => self.client_token_daily_quota,
        };
        let bucket = quota.bucket();
        let quota_key = bucket.as_str();
        if let Err(not_until) = self.limiter.check_key(&rate_key.to_owned()) {
            let wait = not_until.wait_time_from(self.limiter.clock().now());
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return Err(ApiError::new(ErrorCode::RateLimited, "too many requests for this key")
                .with_retry_after(secs));
        }
        let day = now.unix_secs().div_euclid(DAY_SECS);
        let k = (quota_key.to_owned(), day);
        let known = self.lock().contains_key(&k);
        if !known {
            // first request of the day in this process: learn the stored total
            let stored = self.keys.add_usage(quota_key, day, 0).await.map_err(ApiError::from)?;
            self.lock().entry(k.clone()).or_insert(Count { stored, pending: 0 });
        }
        let mut counts = self.lock();
        let c = counts.entry(k).or_default();
        if c.stored + c.pending >= limit {
            let retry = (day + 1) * DAY_SECS - now.unix_secs();
            return Err(ApiError::new(
                ErrorCode::QuotaExceeded,
                "daily quota exceeded for this key",
            )
            .with_retry_after(u64::try_from(retry).unwrap_or(1)));
        }
        c.pending += 1;
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, i64), Count>> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds pending counts to the store, forgets past days and idle buckets.
    pub async fn flush(&self, now: Timestamp) {
        let today = now.unix_secs().div_euclid(DAY_SECS);
        let pending: Vec<((String, i64), u64)> = {
            let mut counts = self.lock();
            counts.retain(|(_, day), c| *day >= today || c.pending > 0);
            counts
                .iter_mut()
                .filter(|(_, c)| c.pending > 0)
                .map(|(k, c)| (k.clone(), std::mem::take(&mut c.pending)))
                .collect()
        };
        for ((key, day), n) in pending {
            match self.keys.add_usage(&key, day, n).await {
                Ok(total) => {
                    if let Some(c) = self.lock().get_mut(&(key.clone(), day)) {
                        c.stored = total;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not store quota usage; will retry");
                    if let Some(c) = self.lock().get_mut(&(key.clone(), day)) {
                        c.pending += n;
                    }
                }
            }
        }
        self.limiter.retain_recent();
    }
}

/// How often [`run_quota_flusher`] writes the usage counters.
pub const QUOTA_FLUSH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(2);

/// Flushes `state`'s usage counters every [`QUOTA_FLUSH_INTERVAL`] until the
/// task is dropped (`kyc serve`, and the API function while it runs).
pub async fn run_quota_flusher(state: crate::AppState) {
    let mut tick = tokio::time::interval(QUOTA_FLUSH_INTERVAL);
    loop {
        tick.tick().await;
        state.limits.flush(state.clock.now()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::memory::MemoryKeyStore;

    fn key(k: &str) -> Budget {
        Budget::Key(k.to_owned())
    }

    #[test]
    fn failed_authentications_are_limited_per_address_and_minute() {
        let l = limits(1000, 1000, 1000, Arc::new(MemoryKeyStore::new()));
        let now = Timestamp::from_unix_secs(1_764_064_800);
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        for _ in 0..3 {
            l.admit_address(Some(a), now).unwrap();
            l.record_auth_failure(Some(a), now);
        }
        let e = l.admit_address(Some(a), now).unwrap_err();
        assert_eq!(e.code(), ErrorCode::RateLimited);
        l.admit_address(Some(b), now).unwrap();
        l.admit_address(None, now).unwrap();
        l.admit_address(Some(a), now.add_secs(60)).unwrap();
    }

    #[tokio::test]
    async fn client_tokens_spend_their_verification_budget_not_the_key_quota() {
        let l = limits(1000, 1000, 3, Arc::new(MemoryKeyStore::new()));
        let now = Timestamp::from_unix_secs(1_764_064_800);
        let v = crate::backend::testing::new_id();
        let ct = Budget::ClientToken(v);
        l.admit("ct", &ct, now).await.unwrap();
        l.admit("ct", &ct, now).await.unwrap();
        assert_eq!(l.admit("ct", &ct, now).await.unwrap_err().code(), ErrorCode::QuotaExceeded);
        // the integrator's key still has its whole quota
        for _ in 0..3 {
            l.admit("k", &key("k"), now).await.unwrap();
        }
        // another verification has its own budget
        l.admit("ct2", &Budget::ClientToken(crate::backend::testing::new_id()), now).await.unwrap();
    }

    fn limits(rps: u32, burst: u32, quota: u64, keys: Arc<dyn KeyStore>) -> Limits {
        let cfg = RateLimitConfig {
            requests_per_second: rps,
            burst,
            daily_quota: quota,
            client_token_daily_quota: 2,
            failed_auth_per_minute: 3,
        };
        Limits::new(&cfg, keys)
    }

    #[tokio::test]
    async fn rate_limit_allows_the_burst_then_429() {
        let l = limits(1, 3, 1000, Arc::new(MemoryKeyStore::new()));
        let now = Timestamp::from_unix_secs(1_764_064_800);
        for _ in 0..3 {
            l.admit("a", &key("a"), now).await.unwrap();
        }
        let e = l.admit("a", &key("a"), now).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::RateLimited);
        l.admit("b", &key("b"), now).await.unwrap();
    }

    #[tokio::test]
    async fn quota_counts_per_day_and_persists() {
        let store: Arc<dyn KeyStore> = Arc::new(MemoryKeyStore::new());
        let l = limits(1000, 1000, 3, store.clone());
        let now = Timestamp::from_unix_secs(1_764_064_800); // 10:00 UTC
        for _ in 0..3 {
            l.admit("k", &key("k"), now).await.unwrap();
        }
        let e = l.admit("k", &key("k"), now).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::QuotaExceeded);
        let r = axum::response::IntoResponse::into_response(e);
        assert_eq!(r.headers()["retry-after"], "50400"); // 14 h to midnight
        l.flush(now).await;
        assert_eq!(store.add_usage("k", 20_417, 0).await.unwrap(), 3);
        // a second process sharing the store sees the usage
        let other = limits(1000, 1000, 3, store);
        assert_eq!(
            other.admit("k", &key("k"), now).await.unwrap_err().code(),
            ErrorCode::QuotaExceeded
        );
        // the next day starts afresh
        l.admit("k", &key("k"), now.add_secs(14 * 3600)).await.unwrap();
    }
}
