//! The monthly close: every account of a period invoiced, by one or more workers (threads of
//! one process, and processes on one ledger).
//!
//! A worker claims an account before invoicing it (`Store::claim`, a lease in the ledger), so
//! two workers never invoice one account at once; the ledger's finalize gives back an invoice
//! already made, so a close killed at any point and run again finishes the period with no
//! duplicate, and the numbering transaction leaves no gap. A dead worker's claims expire after
//! the lease, and the others take them over.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use ratecard::Period;

use crate::api::AppState;
use crate::billing;

/// How far a close has got, for its progress line.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Accounts invoiced (or found invoiced) by this run, and failed.
    pub done: usize,
    pub failed: usize,
    /// Accounts the period had to invoice when this run started.
    pub total: usize,
    /// Events of the accounts done.
    pub events: u64,
    pub elapsed: Duration,
    /// The run has ended: what it did not do, other workers did.
    pub finished: bool,
}

impl Progress {
    /// "closed 12 of 25 accounts, 480 events, 1,234 events/s, about 3 s left".
    pub fn line(&self) -> String {
        let secs = self.elapsed.as_secs_f64().max(1e-3);
        let rate = self.events as f64 / secs;
        let per_account = secs / (self.done + self.failed).max(1) as f64;
        let left = self.total.saturating_sub(self.done + self.failed) as f64 * per_account;
        let mut line = format!(
            "closed {} of {} accounts, {} events, {:.0} events/s",
            self.done, self.total, self.events, rate
        );
        if self.failed > 0 {
            line.push_str(&format!(", {} failed", self.failed));
        }
        let rest = self.total.saturating_sub(self.done + self.failed);
        if rest > 0 && self.finished {
            line.push_str(&format!(", the other {rest} by other workers"));
        } else if rest > 0 {
            line.push_str(&format!(", about {left:.0} s left"));
        }
        line
    }
}

/// What a close did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Invoices this run made, by account.
    pub made: BTreeMap<String, String>,
    /// Invoices that were already there (made before, or by another worker), by account.
    pub found: BTreeMap<String, String>,
    /// Accounts that could not be invoiced, with why.
    pub failed: BTreeMap<String, String>,
    /// Final documents stored without their files (PDF, Factur-X), with why: they stay final;
    /// their files are made again by the next close or start, or by the first reader.
    pub unarchived: BTreeMap<String, String>,
    pub events: u64,
}

struct Shared {
    queue: VecDeque<(String, u64)>,
    report: Report,
    progress: Progress,
    last_shown: Option<Instant>,
}

impl Shared {
    /// Whether this run has made, found or failed `account`'s invoice.
    fn ended(&self, account: &str) -> bool {
        let r = &self.report;
        r.made.contains_key(account)
            || r.found.contains_key(account)
            || r.failed.contains_key(account)
    }

    /// Counts one account's outcome: its invoice made (`true`) or found, with its number, or
    /// why it failed. An account is counted once: a worker whose queue was refilled while a
    /// sibling invoiced that account takes it again and finds the sibling's invoice, which
    /// this run made (it was counted twice, made and "already made", past the total).
    fn record(&mut self, account: String, events: u64, outcome: Result<(bool, String), String>) {
        if self.ended(&account) {
            return;
        }
        match outcome {
            Ok((created, number)) => {
                let list = if created {
                    &mut self.report.made
                } else {
                    &mut self.report.found
                };
                list.insert(account, number);
                self.progress.done += 1;
                self.progress.events = self.progress.events.saturating_add(events);
                self.report.events = self.progress.events;
            }
            Err(e) => {
                self.report.failed.insert(account, e);
                self.progress.failed += 1;
            }
        }
    }
}

/// How long a claim holds: `RATECARD_CLOSE_LEASE_S`, 60 s by default.
fn lease() -> Duration {
    let s = std::env::var("RATECARD_CLOSE_LEASE_S")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(60);
    Duration::from_secs(s.clamp(1, 3_600))
}

fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Closes `period`: invoices, dated `issue_date`, every account with events before its end and
/// no final invoice of it yet, with `workers` threads. `show` gets a progress line at most
/// every 200 ms, and the last one.
pub fn close(
    s: &AppState,
    period: &Period,
    issue_date: NaiveDate,
    workers: usize,
    show: &(dyn Fn(&Progress) + Sync),
) -> Result<Report, String> {
    billing::check_ended(period, chrono::Utc::now()).map_err(|e| e.message().to_string())?;
    billing::check_issue_date(issue_date, chrono::Utc::now())
        .map_err(|e| e.message().to_string())?;
    let start = Instant::now();
    let todo = s
        .ledger
        .accounts_to_close(period, "INV")
        .map_err(|e| e.to_string())?;
    let total = todo.len();
    let shared = Mutex::new(Shared {
        queue: todo.into(),
        report: Report::default(),
        progress: Progress {
            done: 0,
            failed: 0,
            total,
            events: 0,
            elapsed: Duration::ZERO,
            finished: false,
        },
        last_shown: None,
    });
    let run = format!(
        "{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
    );
    let lease = lease();
    let result: Result<(), String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers.max(1))
            .map(|w| {
                let worker = format!("{run}-{w}");
                let shared = &shared;
                scope
                    .spawn(move || work(s, period, issue_date, &worker, lease, shared, start, show))
            })
            .collect();
        for h in handles {
            h.join()
                .map_err(|_| "a close worker panicked".to_string())??;
        }
        Ok(())
    });
    result?;
    // The files of any invoice a stopped run stored without archiving.
    let archived =
        billing::archive_missing(s.ledger.as_ref()).map_err(|e| e.message().to_string())?;
    let mut shared = shared.into_inner().unwrap_or_else(|p| p.into_inner());
    shared.report.unarchived.extend(archived.failed);
    let mut last = shared.progress;
    last.elapsed = start.elapsed();
    last.finished = true;
    show(&last);
    Ok(shared.report)
}

#[allow(clippy::too_many_arguments)]
fn work(
    s: &AppState,
    period: &Period,
    issue_date: NaiveDate,
    worker: &str,
    lease: Duration,
    shared: &Mutex<Shared>,
    start: Instant,
    show: &(dyn Fn(&Progress) + Sync),
) -> Result<(), String> {
    let lock = || shared.lock().unwrap_or_else(|p| p.into_inner());
    loop {
        let next = lock().queue.pop_front();
        let Some((account, events)) = next else {
            // The queue is empty: what is left is held by other workers (or dead ones, whose
            // claims expire). Read the ledger again until nothing is left but failures.
            let left = s
                .ledger
                .accounts_to_close(period, "INV")
                .map_err(|e| e.to_string())?;
            let mut g = lock();
            let left: Vec<(String, u64)> = left.into_iter().filter(|(a, _)| !g.ended(a)).collect();
            if left.is_empty() {
                return Ok(());
            }
            if g.queue.is_empty() {
                g.queue.extend(left);
            }
            drop(g);
            std::thread::sleep(Duration::from_millis(200));
            continue;
        };
        if lock().ended(&account) {
            // Read again while a sibling was invoicing it: this run's own, already counted.
            continue;
        }
        let now = chrono::Utc::now();
        let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
        let claimed = s
            .ledger
            .claim(period, &account, worker, &stamp(now), &stamp(until))
            .map_err(|e| e.to_string())?;
        if !claimed {
            continue;
        }
        let outcome = billing::finalize_period(s, &account, period, issue_date, None);
        let outcome = outcome
            .map(|o| {
                let number = o.documents.first().and_then(|d| d.number.clone());
                (o.created, number.unwrap_or_default())
            })
            .map_err(|e| e.message().to_string());
        // Counted before the claim is let go: a sibling that claims the account next finds it
        // counted (released first, the sibling could count this run's invoice as found first).
        lock().record(account.clone(), events, outcome);
        s.ledger
            .release(period, &account, worker)
            .map_err(|e| e.to_string())?;
        let mut g = lock();
        let due = g
            .last_shown
            .is_none_or(|t| t.elapsed() >= Duration::from_millis(200));
        if due {
            g.last_shown = Some(Instant::now());
            let mut p = g.progress;
            p.elapsed = start.elapsed();
            drop(g);
            show(&p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared() -> Shared {
        Shared {
            queue: VecDeque::new(),
            report: Report::default(),
            progress: Progress {
                done: 0,
                failed: 0,
                total: 2,
                events: 0,
                elapsed: Duration::ZERO,
                finished: false,
            },
            last_shown: None,
        }
    }

    /// A worker refills its queue while a sibling is invoicing `acme`, takes it again once the
    /// sibling is done, and finds the invoice: this run made it once, and says so once.
    #[test]
    fn an_account_read_again_is_counted_once() {
        let mut g = shared();
        g.record("acme".into(), 40, Ok((true, "INV-2026-000001".into())));
        assert!(g.ended("acme"));
        g.record("acme".into(), 40, Ok((false, "INV-2026-000001".into())));
        g.record("beta".into(), 10, Err("no price".into()));
        g.record("beta".into(), 10, Ok((true, "INV-2026-000002".into())));
        assert_eq!(g.report.made.len(), 1);
        assert!(g.report.found.is_empty(), "{:?}", g.report.found);
        assert_eq!(g.report.failed.len(), 1);
        assert_eq!((g.progress.done, g.progress.failed), (1, 1));
        assert_eq!(g.report.events, 40);
    }
}
