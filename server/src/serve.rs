//! The HTTP server loop (HTTP/1.1), with a bound on everything a client controls:
//! - **headers**: a client has [`Limits::header`] from connecting to send a request's headers,
//!   and the same to send the next request's on a kept-alive connection (hyper's header-read
//!   timer), so a silent, idle or trickling connection is closed;
//! - **body**: [`Limits::body`] between two pieces of a body, and [`Limits::request`] for the
//!   whole request, body trickled a byte at a time included (408 `timeout` past either);
//! - **connections**: at most [`Limits::connections`] at once; the next waits to be accepted;
//! - **shutdown**: on Ctrl-C or SIGTERM the listener closes, requests in flight get
//!   [`Limits::drain`] to finish, and connections still open then are dropped, a half-sent
//!   upload included.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;

/// Time bounds on clients.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header: Duration,
    pub body: Duration,
    /// The whole of one request, from its headers to its answer.
    pub request: Duration,
    pub drain: Duration,
    pub connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header: Duration::from_secs(10),
            body: Duration::from_secs(30),
            request: Duration::from_secs(120),
            drain: Duration::from_secs(10),
            connections: 512,
        }
    }
}

impl Limits {
    /// From `RATECARD_HEADER_TIMEOUT_S`, `RATECARD_BODY_TIMEOUT_S`,
    /// `RATECARD_REQUEST_TIMEOUT_S` and `RATECARD_DRAIN_S` (seconds), each defaulting as above.
    pub fn from_env() -> Self {
        let d = Limits::default();
        let read = |name: &str, default: Duration| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.parse::<u64>().ok())
                .filter(|s| *s > 0)
                .map_or(default, Duration::from_secs)
        };
        Limits {
            header: read("RATECARD_HEADER_TIMEOUT_S", d.header),
            body: read("RATECARD_BODY_TIMEOUT_S", d.body),
            request: read("RATECARD_REQUEST_TIMEOUT_S", d.request),
            drain: read("RATECARD_DRAIN_S", d.drain),
            connections: d.connections,
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then drains within the limit.
pub async fn run(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let app = app
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            limits.body,
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            limits.request,
        ));
    // HTTP/1.1 only: its header timer runs from the connection's first byte, which the
    // protocol-sniffing auto builder would read without a timer.
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header)
        .keep_alive(true);
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(limits.connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(s) => s,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, a reset before accept: keep serving the others.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(app.clone());
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _slot = slot;
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection closed with an error");
            }
        });
    }
    drop(listener);
    match tokio::time::timeout(limits.drain, graceful.shutdown()).await {
        Ok(()) => tracing::info!("all requests in flight finished"),
        Err(_) => tracing::warn!(
            seconds = limits.drain.as_secs(),
            "drain limit reached: the connections still open are dropped"
        ),
    }
    Ok(())
}
