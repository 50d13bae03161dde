//! A small pool of threads for CPU-heavy work (image decoding, and later
//! face and OCR models).
//!
//! One thread per core, fed from one queue: many concurrent requests queue
//! here instead of decoding at once, and large buffers are only ever
//! allocated on these few threads, which keeps the allocator from spreading
//! freed megabytes across dozens of per-thread arenas (measured in
//! `benches/upload.rs`: peak RSS under 64 concurrent phone-size uploads fell
//! from 640 MB on tokio's blocking pool to the figure in the bench report).

use std::{
    fmt,
    sync::{Arc, Mutex, PoisonError, mpsc},
    thread,
};
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// The pool was shut down, or a job panicked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the CPU pool could not run the job")]
pub struct PoolError;

/// A fixed set of worker threads.
pub struct CpuPool {
    sender: Mutex<mpsc::Sender<Job>>,
    threads: usize,
}

impl fmt::Debug for CpuPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CpuPool").field("threads", &self.threads).finish()
    }
}

impl CpuPool {
    /// `threads` workers (at least one), named `kyc-cpu-N`.
    pub fn new(threads: usize) -> Arc<Self> {
        let threads = threads.max(1);
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads {
            let rx = Arc::clone(&rx);
            let spawned = thread::Builder::new().name(format!("kyc-cpu-{i}")).spawn(move || {
                loop {
                    let job = rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    match job {
                        // a panicking job must not take the worker down with it
                        Ok(job) => {
                            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                        }
                        Err(_) => return, // the pool was dropped
                    }
                }
            });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a CPU worker thread");
            }
        }
        Arc::new(Self { sender: Mutex::new(tx), threads })
    }

    /// One worker per available core.
    pub fn per_core() -> Arc<Self> {
        Self::new(thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get))
    }

    /// Number of worker threads.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Runs `f` on a worker and awaits its result.
    pub async fn run<T, F>(&self, f: F) -> Result<T, PoolError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            // a panic inside `f` drops `tx`, which the caller sees as PoolError
            let _ = tx.send(f());
        });
        self.sender
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(job)
            .map_err(|_| PoolError)?;
        rx.await.map_err(|_| PoolError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_and_survives_panics() {
        let pool = CpuPool::new(2);
        assert_eq!(pool.run(|| 2 + 2).await, Ok(4));
        let r: Result<(), _> = pool.run(|| panic!("boom")).await;
        assert_eq!(r, Err(PoolError));
        // both workers survive panics
        for i in 0..4 {
            let _: Result<(), _> = pool.run(|| panic!("boom")).await;
            assert_eq!(pool.run(move || i * 10).await, Ok(i * 10));
        }
    }
}
