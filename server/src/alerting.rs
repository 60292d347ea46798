//! Budget alerts and their webhook. After each ingestion (for the accounts and months it
//! touched) and once a minute (for the current month), budgets are evaluated by the engine;
//! each threshold crossed is recorded once by the ledger, with a delivery to the webhook. A
//! background loop posts due deliveries: a JSON body signed with HMAC-SHA256 in the
//! `Ratecard-Signature` header (`t=<unix seconds>,v1=<hex of HMAC(secret, "<t>.<body>")>`, as
//! Stripe signs), retried with exponential backoff, every attempt logged.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use ratecard::Period;
use ratecard::budget;
use sha2::Sha256;

use crate::api::AppState;
use crate::error::ApiError;
use crate::ledger::alerts::Crossing;

/// Where alerts are posted, and how.
#[derive(Clone)]
pub struct Webhook {
    /// `http://host[:port]/path`.
    pub url: String,
    pub secret: Vec<u8>,
    /// The wait after the first failed attempt; it doubles after each one (at most an hour).
    pub backoff: Duration,
    /// Attempts before a delivery is `failed` (a redelivery starts it again).
    pub max_attempts: i64,
    pub timeout: Duration,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Webhook({})", self.url)
    }
}

impl Webhook {
    /// A webhook to `url` signed with `secret`: 8 attempts, 1 s doubling, 10 s timeout.
    pub fn new(url: &str, secret: &[u8]) -> Result<Self, String> {
        target(url)?;
        if secret.len() < 16 {
            return Err("the webhook secret must be at least 16 bytes".into());
        }
        Ok(Webhook {
            url: url.to_string(),
            secret: secret.to_vec(),
            backoff: Duration::from_secs(1),
            max_attempts: 8,
            timeout: Duration::from_secs(10),
        })
    }

    /// `RATECARD_WEBHOOK_URL` with `RATECARD_WEBHOOK_SECRET`; none when no URL is set.
    pub fn from_env() -> Result<Option<Self>, String> {
        let Ok(url) = std::env::var("RATECARD_WEBHOOK_URL") else {
            return Ok(None);
        };
        let secret = std::env::var("RATECARD_WEBHOOK_SECRET").map_err(|_| {
            "RATECARD_WEBHOOK_URL is set: set RATECARD_WEBHOOK_SECRET too (the key alerts are signed with)".to_string()
        })?;
        Webhook::new(&url, secret.as_bytes()).map(Some)
    }

    /// The wait before attempt `n + 1`, after `n` failed attempts.
    pub fn wait_after(&self, failed: i64) -> Duration {
        let doublings = u32::try_from(failed.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
        self.backoff
            .saturating_mul(1u32 << doublings)
            .min(Duration::from_secs(3600))
    }
}

/// The `Ratecard-Signature` header of `body` sent at `t` (Unix seconds).
pub fn signature(secret: &[u8], t: i64, body: &str) -> String {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    m.update(format!("{t}.{body}").as_bytes());
    let hex: String = m
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={t},v1={hex}")
}

/// `http://host[:port]/path` as (host:port, path). Only plain HTTP: put a TLS proxy in front
/// of an HTTPS receiver.
fn target(url: &str) -> Result<(String, String), String> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        format!("webhook URL `{url}`: only http:// is supported (an https receiver needs a local TLS proxy)")
    })?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if host.is_empty() || path.contains(['\r', '\n', ' ']) {
        return Err(format!("webhook URL `{url}` has no host or a bad path"));
    }
    let host = if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:80")
    };
    Ok((host, path.to_string()))
}

/// Posts `body` to the webhook; the status, or why there is none.
fn post(w: &Webhook, body: &str, now: DateTime<Utc>) -> Result<u16, String> {
    let (host, path) = target(&w.url)?;
    let addr = host
        .to_socket_addrs()
        .map_err(|e| format!("resolving {host}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host} resolves to no address"))?;
    let mut s = TcpStream::connect_timeout(&addr, w.timeout).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(w.timeout))
        .map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(w.timeout))
        .map_err(|e| e.to_string())?;
    let sig = signature(&w.secret, now.timestamp(), body);
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nRatecard-Signature: {sig}\r\nUser-Agent: ratecard-webhook\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    // The status line is all that is read: up to its end, at most 8 KiB.
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.contains(&b'\n') && head.len() < 8192 {
        match s.read(&mut buf).map_err(|e| e.to_string())? {
            0 => break,
            n => head.extend_from_slice(&buf[..n]),
        }
    }
    let line = String::from_utf8_lossy(&head);
    line.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| "no HTTP status in the answer".to_string())
}

fn instant(t: DateTime<Utc>) -> String {
    ratecard::time::format_instant(&t)
}

/// Evaluates the budgets of `accounts` (all when None) in `periods` at `now` (each period's
/// end once it has ended), and records the thresholds crossed: those recorded now.
pub fn check_budgets(
    s: &AppState,
    accounts: Option<&[String]>,
    periods: &[Period],
    now: DateTime<Utc>,
) -> Result<Vec<Crossing>, ApiError> {
    let mut budgets = s.ledger.budgets(None)?;
    if let Some(list) = accounts {
        budgets.retain(|b| list.contains(&b.account));
    }
    let mut crossings = Vec::new();
    for p in periods.iter().filter(|p| p.start < now) {
        let as_of = now.min(p.end);
        let mut events_of: std::collections::BTreeMap<&str, Vec<ratecard::UsageEvent>> =
            Default::default();
        for b in &budgets {
            if !events_of.contains_key(b.account.as_str()) {
                events_of.insert(&b.account, s.ledger.events(&b.account, p)?);
            }
            let events = &events_of[b.account.as_str()];
            let st = budget::evaluate(
                &s.book,
                events,
                b,
                p,
                as_of,
                ratecard::RoundingMode::default(),
            )
            .map_err(ApiError::engine)?;
            let status = serde_json::to_string(&st).map_err(|e| {
                ApiError::new(
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    e.to_string(),
                )
            })?;
            for t in st.thresholds.iter().filter(|t| t.crossed) {
                crossings.push(Crossing {
                    budget: b.id.clone(),
                    account: b.account.clone(),
                    period: st.period.clone(),
                    threshold: i64::from(t.threshold),
                    basis: b.basis.name().to_string(),
                    status: status.clone(),
                    at: instant(now),
                });
            }
        }
    }
    let url = s.webhook.as_ref().map(|w| w.url.as_str());
    Ok(s.ledger.record_crossings(&crossings, url, &instant(now))?)
}

/// One pass over the deliveries due at `now`: each is claimed (so that two processes do not
/// both post it), posted, and its attempt logged. Returns how many were attempted.
pub fn deliver_due(s: &AppState, now: DateTime<Utc>) -> Result<usize, ApiError> {
    let Some(w) = &s.webhook else { return Ok(0) };
    let due = s.ledger.due_deliveries(&instant(now), 100)?;
    let lease = now
        .checked_add_signed(chrono::Duration::from_std(w.timeout * 3).unwrap_or_default())
        .unwrap_or(now);
    let mut n = 0;
    for d in due {
        if !s.ledger.claim_delivery(d.id, &d.next_at, &instant(lease))? {
            continue;
        }
        n += 1;
        let outcome = post(w, &d.body, now);
        let delivered = matches!(outcome, Ok(200..=299));
        let said = match &outcome {
            Ok(code) => code.to_string(),
            Err(e) => e.clone(),
        };
        let failed = d.attempts.saturating_add(1);
        let next = (!delivered && failed < w.max_attempts).then(|| {
            let wait = chrono::Duration::from_std(w.wait_after(failed)).unwrap_or_default();
            instant(now.checked_add_signed(wait).unwrap_or(now))
        });
        s.ledger
            .record_attempt(d.id, &instant(now), &said, delivered, next.as_deref())?;
        tracing::info!(delivery = d.id, event = d.event, outcome = said, "webhook");
    }
    Ok(n)
}

/// The calendar month holding `t`.
pub fn month_of(t: DateTime<Utc>) -> Option<Period> {
    Period::parse(&t.format("%Y-%m").to_string()).ok()
}

/// The background work of `serve`: due deliveries every second, and the current month's
/// budgets every minute.
pub async fn run(s: crate::api::Shared) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut n: u64 = 0;
    loop {
        tick.tick().await;
        n = n.wrapping_add(1);
        let st = s.clone();
        let result = tokio::task::spawn_blocking(move || {
            let now = Utc::now();
            if n % 60 == 1
                && let Some(p) = month_of(now)
            {
                check_budgets(&st, None, &[p], now)?;
            }
            deliver_due(&st, now)
        })
        .await;
        match result {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = ?e, "alerts"),
            Err(e) => tracing::error!(error = %e, "alerts task panicked"),
        }
    }
}
