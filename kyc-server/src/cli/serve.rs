//! `kyc serve`: the HTTP API, the job worker, the retention sweeper and the
//! quota flusher, until SIGINT/SIGTERM.

use super::shared::{env_lookup, print_line};
use crate::{
    AppState,
    config::ServerConfig,
    service::{audit::write_checkpoint, retention::run_sweeper},
};
use anyhow::Context;
use std::{process::ExitCode, time::Duration};

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// The TLS acceptor when `[tls]` is set, and the task that reloads a
/// renewed certificate.
#[cfg(feature = "tls")]
fn tls_acceptor(
    config: &ServerConfig,
) -> anyhow::Result<(Option<crate::server::Tls>, Option<tokio::task::JoinHandle<()>>)> {
    let Some((cert, key)) = config.tls.files() else { return Ok((None, None)) };
    let resolver = std::sync::Arc::new(crate::tls::ReloadingCert::load(cert, key)?);
    let acceptor = crate::tls::acceptor(resolver.clone())?;
    let every = Duration::from_secs(config.tls.reload_interval_secs);
    let reloader = tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match resolver.reload_if_changed() {
                Ok(true) => tracing::info!("TLS certificate reloaded"),
                Ok(false) => {}
                Err(e) => tracing::error!(
                    error = %e,
                    error_code = "tls_reload_failed",
                    "renewed TLS certificate not loaded; the old one stays"
                ),
            }
        }
    });
    Ok((Some(acceptor), Some(reloader)))
}

#[cfg(not(feature = "tls"))]
fn tls_acceptor(
    _: &ServerConfig,
) -> anyhow::Result<(Option<crate::server::Tls>, Option<tokio::task::JoinHandle<()>>)> {
    // validation refuses [tls] in a build without the feature
    Ok((None, None))
}

/// Runs the server until a shutdown signal.
pub(crate) async fn serve(config: ServerConfig) -> anyhow::Result<ExitCode> {
    crate::telemetry::init_tracing(&config.log);
    let addr = config.listen_addr()?;
    let sweep_every = Duration::from_secs(config.sweep_interval_secs);
    let (state, local) = AppState::for_config(config, env_lookup).await?;
    #[cfg(feature = "danger-fixed-challenge")]
    let state = match env_lookup(crate::config::EnvVars::DANGER_FIXED_CHALLENGE) {
        Some(seq) if !seq.trim().is_empty() => {
            let gestures = seq
                .split(',')
                .map(|g| serde_json::from_value(serde_json::Value::String(g.trim().to_owned())))
                .collect::<Result<Vec<kyc_core::challenge::Gesture>, _>>()
                .with_context(|| {
                    format!(
                        "{}: use e.g. turn_left,blink,turn_right",
                        crate::config::EnvVars::DANGER_FIXED_CHALLENGE
                    )
                })?;
            tracing::warn!(
                error_code = "danger_fixed_challenge",
                "DANGER: liveness challenges are fixed, not random (test build)"
            );
            state.with_fixed_challenge(gestures)
        }
        _ => state,
    };
    let (tls, reloader) = tls_acceptor(&state.config)?;
    let listener =
        tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
    let bound = listener.local_addr()?;

    let sweeper = tokio::spawn(run_sweeper(state.clone(), sweep_every));
    let worker = tokio::spawn(crate::service::jobs::run_worker(state.clone()));
    let flusher = tokio::spawn(crate::limits::run_quota_flusher(state.clone()));
    let cleaner = local.map(|local| {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(600));
            loop {
                tick.tick().await;
                if let Err(e) = local.objects.remove_stale_temp_files(Duration::from_secs(3600)) {
                    tracing::warn!(error = %e, "temp-file cleanup failed");
                }
            }
        })
    });

    let checkpointer = state.config.audit.checkpoint_file.clone().map(|path| {
        let state = state.clone();
        let every = Duration::from_secs(state.config.audit.checkpoint_interval_secs);
        tokio::spawn(async move {
            let mut last = None;
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let now = state.clock.now();
                match write_checkpoint(state.backends.audit.as_ref(), &path, last.clone(), now)
                    .await
                {
                    Ok(head) => last = head,
                    Err(e) => tracing::error!(
                        error = %e,
                        error_code = "audit_checkpoint_failed",
                        "audit checkpoint not written"
                    ),
                }
            }
        })
    });

    tracing::info!(listen = %bound, data_dir = %state.config.data_dir.display(), "kyc server started");
    let scheme = if tls.is_some() { "https" } else { "http" };
    let data = match state.config.backend.kind {
        crate::config::BackendKind::Local => state.config.data_dir.display().to_string(),
        crate::config::BackendKind::Aws => {
            format!("s3://{} and DynamoDB", state.config.backend.aws.bucket)
        }
    };
    print_line(&format!("kyc listening on {scheme}://{bound} (data in {data})"))?;
    let limits = crate::server::ListenerLimits::from(&state.config.http);
    crate::server::serve(listener, crate::app(state.clone()), limits, tls, shutdown_signal())
        .await?;
    for task in
        [sweeper, worker, flusher].into_iter().chain(cleaner).chain(checkpointer).chain(reloader)
    {
        task.abort();
    }
    if let Some(path) = &state.config.audit.checkpoint_file {
        // the last head, so a stop is never followed by an unanchored tail
        let now = state.clock.now();
        if let Err(e) = write_checkpoint(state.backends.audit.as_ref(), path, None, now).await {
            tracing::error!(error = %e, error_code = "audit_checkpoint_failed", "audit checkpoint not written");
        }
    }
    state.limits.flush(state.clock.now()).await;
    tracing::info!("kyc server stopped");
    Ok(ExitCode::SUCCESS)
}
