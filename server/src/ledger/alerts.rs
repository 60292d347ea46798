//! Budgets, their alerts and the alerts' webhook deliveries, in either store. Work state and
//! settings beside the ledger, not ledger entries: a budget can be changed or removed; an alert,
//! once recorded, is kept, and recorded once per budget, month, threshold and basis (the key
//! says so, in the database).

use ratecard::budget::Budget;
use serde::Serialize;

use super::sql::{Backend, Row};
use super::{Ledger, Result, read_body};

/// A threshold crossed: recorded once, whatever the number of times it is seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Crossing {
    pub budget: String,
    pub account: String,
    pub period: String,
    pub threshold: i64,
    pub basis: String,
    /// The budget's status when the crossing was seen (JSON), sent as the webhook's `data`.
    #[serde(skip)]
    pub status: String,
    pub at: String,
}

/// One webhook delivery of an alert, and its attempts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Delivery {
    pub id: i64,
    pub url: String,
    /// The alert's key (`budget/period/threshold/basis`).
    pub event: String,
    #[serde(skip)]
    pub body: String,
    /// `pending`, `delivered` or `failed` (attempts exhausted; redeliver to try again).
    pub status: String,
    pub attempts: i64,
    pub next_at: String,
    pub created: String,
    pub log: Vec<Attempt>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Attempt {
    pub attempt: i64,
    pub at: String,
    /// `200`, `500`, or why no answer came (`connection refused`).
    pub outcome: String,
}

/// Budgets, alerts and deliveries.
pub trait Alerts {
    /// Creates or replaces a budget.
    fn put_budget(&self, b: &Budget, now: &str) -> Result<()>;
    /// The budgets, of one account or all, by id.
    fn budgets(&self, account: Option<&str>) -> Result<Vec<Budget>>;
    /// Removes a budget (its alerts stay); false when there was none.
    fn delete_budget(&self, id: &str) -> Result<bool>;
    /// Records the crossings not recorded before, each with a delivery to `url` when one is
    /// configured, in one transaction: returns those recorded now.
    fn record_crossings(
        &self,
        crossings: &[Crossing],
        url: Option<&str>,
        now: &str,
    ) -> Result<Vec<Crossing>>;
    /// The alerts recorded, newest first, of one account or all (at most `limit`).
    fn alerts(&self, account: Option<&str>, limit: i64) -> Result<Vec<Crossing>>;
    /// The deliveries due at `now` (pending, next attempt not after `now`), oldest first.
    fn due_deliveries(&self, now: &str, limit: i64) -> Result<Vec<Delivery>>;
    /// Takes a due delivery for one attempt: true for the one caller that moved its next
    /// attempt from `seen` to `until` (another process may be delivering too).
    fn claim_delivery(&self, id: i64, seen: &str, until: &str) -> Result<bool>;
    /// Logs an attempt; `next_at` None with `delivered` false means attempts are exhausted.
    fn record_attempt(
        &self,
        id: i64,
        at: &str,
        outcome: &str,
        delivered: bool,
        next_at: Option<&str>,
    ) -> Result<i64>;
    /// The deliveries with their attempts, newest first (at most `limit`).
    fn deliveries(&self, limit: i64) -> Result<Vec<Delivery>>;
    /// Makes a delivery due again now, whatever its status; false when there is none.
    fn redeliver(&self, id: i64, now: &str) -> Result<bool>;
    /// Keeps a new version of the allocation rules (JSON), after the others, with its audit
    /// entry (`allocation_rules`, its number, the digest of the text) in the same locked
    /// transaction: returns its number.
    fn save_allocation_rules(&self, body: &str, now: &str) -> Result<i64>;
    /// The allocation rules saved last, with their number and when they were saved.
    fn allocation_rules(&self) -> Result<Option<(i64, String, String)>>;
}

fn delivery(mut r: Row) -> Result<Delivery> {
    Ok(Delivery {
        id: r.take().int()?,
        url: r.take().text()?,
        event: r.take().text()?,
        body: r.take().text()?,
        status: r.take().text()?,
        attempts: r.take().int()?,
        next_at: r.take().text()?,
        created: r.take().text()?,
        log: Vec::new(),
    })
}

const DELIVERY_COLUMNS: &str = "id, url, event, body, status, attempts, next_at, created";

fn crossing(mut r: Row) -> Result<Crossing> {
    Ok(Crossing {
        budget: r.take().text()?,
        account: r.take().text()?,
        period: r.take().text()?,
        threshold: r.take().int()?,
        basis: r.take().text()?,
        status: r.take().text()?,
        at: r.take().text()?,
    })
}

impl<B: Backend> Alerts for Ledger<B> {
    fn put_budget(&self, b: &Budget, now: &str) -> Result<()> {
        let body = serde_json::to_string(b).map_err(|e| super::LedgerError::Db(e.to_string()))?;
        self.db.write_state(|tx| {
            tx.exec(
                "INSERT INTO budgets (id, account, body, updated) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET account = excluded.account, body = excluded.body, updated = excluded.updated",
                &[b.id.as_str().into(), b.account.as_str().into(), body.as_str().into(), now.into()],
            )?;
            Ok(())
        })
    }

    fn budgets(&self, account: Option<&str>) -> Result<Vec<Budget>> {
        self.db.read(|tx| {
            let rows = match account {
                Some(a) => tx.rows(
                    "SELECT body FROM budgets WHERE account = $1 ORDER BY id",
                    &[a.into()],
                )?,
                None => tx.rows("SELECT body FROM budgets ORDER BY id", &[])?,
            };
            rows.into_iter()
                .map(|mut r| read_body(&r.take().text()?, "budget"))
                .collect()
        })
    }

    fn delete_budget(&self, id: &str) -> Result<bool> {
        self.db
            .write_state(|tx| Ok(tx.exec("DELETE FROM budgets WHERE id = $1", &[id.into()])? == 1))
    }

    fn record_crossings(
        &self,
        crossings: &[Crossing],
        url: Option<&str>,
        now: &str,
    ) -> Result<Vec<Crossing>> {
        self.db.write_state(|tx| {
            let mut new = Vec::new();
            for c in crossings {
                let n = tx.exec(
                    "INSERT INTO budget_alerts (budget, account, period, threshold, basis, status, at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (budget, period, threshold, basis) DO NOTHING",
                    &[
                        c.budget.as_str().into(),
                        c.account.as_str().into(),
                        c.period.as_str().into(),
                        c.threshold.into(),
                        c.basis.as_str().into(),
                        c.status.as_str().into(),
                        c.at.as_str().into(),
                    ],
                )?;
                if n != 1 {
                    continue;
                }
                if let Some(url) = url {
                    let event = format!("{}/{}/{}/{}", c.budget, c.period, c.threshold, c.basis);
                    let body = format!(
                        r#"{{"type":"budget.threshold_crossed","id":{},"created":{},"data":{}}}"#,
                        serde_json::Value::String(event.clone()),
                        serde_json::Value::String(c.at.clone()),
                        c.status
                    );
                    tx.exec(
                        "INSERT INTO webhook_deliveries (url, event, body, status, attempts, next_at, created) VALUES ($1, $2, $3, 'pending', 0, $4, $4)",
                        &[url.into(), event.as_str().into(), body.as_str().into(), now.into()],
                    )?;
                }
                new.push(c.clone());
            }
            Ok(new)
        })
    }

    fn alerts(&self, account: Option<&str>, limit: i64) -> Result<Vec<Crossing>> {
        self.db.read(|tx| {
            let cols = "budget, account, period, threshold, basis, status, at";
            let rows = match account {
                Some(a) => tx.rows(
                    &format!("SELECT {cols} FROM budget_alerts WHERE account = $1 ORDER BY at DESC, budget, threshold LIMIT $2"),
                    &[a.into(), limit.into()],
                )?,
                None => tx.rows(
                    &format!("SELECT {cols} FROM budget_alerts ORDER BY at DESC, budget, threshold LIMIT $1"),
                    &[limit.into()],
                )?,
            };
            rows.into_iter().map(crossing).collect()
        })
    }

    fn due_deliveries(&self, now: &str, limit: i64) -> Result<Vec<Delivery>> {
        self.db.read(|tx| {
            tx.rows(
                &format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE status = 'pending' AND next_at <= $1 ORDER BY id LIMIT $2"),
                &[now.into(), limit.into()],
            )?
            .into_iter()
            .map(delivery)
            .collect()
        })
    }

    fn claim_delivery(&self, id: i64, seen: &str, until: &str) -> Result<bool> {
        self.db.write_state(|tx| {
            Ok(tx.exec(
                "UPDATE webhook_deliveries SET next_at = $1 WHERE id = $2 AND next_at = $3 AND status = 'pending'",
                &[until.into(), id.into(), seen.into()],
            )? == 1)
        })
    }

    fn record_attempt(
        &self,
        id: i64,
        at: &str,
        outcome: &str,
        delivered: bool,
        next_at: Option<&str>,
    ) -> Result<i64> {
        self.db.write_state(|tx| {
            let attempt = match tx.row(
                "SELECT attempts FROM webhook_deliveries WHERE id = $1",
                &[id.into()],
            )? {
                Some(mut r) => r.take().int()?.saturating_add(1),
                None => return Ok(0),
            };
            tx.exec(
                "INSERT INTO webhook_attempts (delivery, attempt, at, outcome) VALUES ($1, $2, $3, $4)",
                &[id.into(), attempt.into(), at.into(), outcome.into()],
            )?;
            let status = match (delivered, next_at) {
                (true, _) => "delivered",
                (false, Some(_)) => "pending",
                (false, None) => "failed",
            };
            tx.exec(
                "UPDATE webhook_deliveries SET attempts = $1, status = $2, next_at = $3 WHERE id = $4",
                &[attempt.into(), status.into(), next_at.unwrap_or(at).into(), id.into()],
            )?;
            Ok(attempt)
        })
    }

    fn deliveries(&self, limit: i64) -> Result<Vec<Delivery>> {
        self.db.read(|tx| {
            let mut out: Vec<Delivery> = tx
                .rows(
                    &format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries ORDER BY id DESC LIMIT $1"),
                    &[limit.into()],
                )?
                .into_iter()
                .map(delivery)
                .collect::<Result<_>>()?;
            for d in &mut out {
                d.log = tx
                    .rows(
                        "SELECT attempt, at, outcome FROM webhook_attempts WHERE delivery = $1 ORDER BY attempt",
                        &[d.id.into()],
                    )?
                    .into_iter()
                    .map(|mut r| {
                        Ok(Attempt {
                            attempt: r.take().int()?,
                            at: r.take().text()?,
                            outcome: r.take().text()?,
                        })
                    })
                    .collect::<Result<_>>()?;
            }
            Ok(out)
        })
    }

    fn redeliver(&self, id: i64, now: &str) -> Result<bool> {
        self.db.write_state(|tx| {
            Ok(tx.exec(
                "UPDATE webhook_deliveries SET status = 'pending', next_at = $1 WHERE id = $2",
                &[now.into(), id.into()],
            )? == 1)
        })
    }

    fn save_allocation_rules(&self, body: &str, now: &str) -> Result<i64> {
        // Saved and audited in one transaction, under the ledger's lock, and the version read
        // back is this insert's own: saved then audited apart, a crash between left rules in
        // force unaudited, and two saves at once on PostgreSQL could both audit the later one.
        self.db.write(|tx| {
            let mut r = tx
                .row(
                    "INSERT INTO allocation_rules (body, saved) VALUES ($1, $2) RETURNING seq",
                    &[body.into(), now.into()],
                )?
                .ok_or_else(|| super::LedgerError::Db("no allocation rules saved".into()))?;
            let seq = r.take().int()?;
            super::append_audit(
                tx,
                &self.key,
                "allocation_rules",
                &seq.to_string(),
                &ratecard::canonical::sha256_hex(body),
            )?;
            Ok(seq)
        })
    }

    fn allocation_rules(&self) -> Result<Option<(i64, String, String)>> {
        self.db.read(|tx| {
            tx.row(
                "SELECT seq, body, saved FROM allocation_rules ORDER BY seq DESC LIMIT 1",
                &[],
            )?
            .map(|mut r| Ok((r.take().int()?, r.take().text()?, r.take().text()?)))
            .transpose()
        })
    }
}
