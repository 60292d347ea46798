//! Billing orchestration, over the ledger and the engine: the rating of an account's period,
//! drafts, finalization and re-rating. The HTTP handlers and the command line both call it.

use axum::http::StatusCode;
use chrono::NaiveDate;
use ratecard::correction::{self, CorrectionRequest};
use ratecard::document::{self, Document, DocumentKind, DocumentRequest, Fx};
use ratecard::party::Customer;
use ratecard::{Period, UsageEvent};

use crate::api::AppState;
use crate::error::ApiError;
use crate::ledger::{Idempotency, Outcome, Stored};

/// The issue date when none is given: for a period's invoice (draft or final), the day after
/// the period, the first day it may carry; for a correction, the day it is made.
pub fn default_issue_date(period: &Period) -> NaiveDate {
    period.end.date_naive()
}

/// The draft invoice of an account's period, from the ledger's events.
pub fn draft(s: &AppState, account: &str, period: &Period) -> Result<Document, ApiError> {
    let rating = rating(s, account, period)?;
    let req = request_for(
        s,
        DocumentKind::DraftInvoice,
        None,
        default_issue_date(period),
        customer_of(s, account)?,
    );
    document::build(&req, &rating, &s.book, &s.vat, Fx::Rates(&s.fx)).map_err(ApiError::engine)
}

/// A period is finalized once it has ended (`now` is the caller's clock).
pub fn check_ended(period: &Period, now: chrono::DateTime<chrono::Utc>) -> Result<(), ApiError> {
    if period.end > now {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "period_not_ended",
            format!(
                "{} ends at {}: a period is finalized once it has ended",
                period.label(),
                ratecard::time::format_instant(&period.end)
            ),
        ));
    }
    Ok(())
}

/// An invoice or credit note is dated at most tomorrow (`now` is the caller's clock; a day of
/// slack for a caller ahead in its time zone). A series' dates never go back, so one document
/// dated in 9999 would refuse every later one of its series for good.
pub fn check_issue_date(
    issue_date: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ApiError> {
    let latest = now.date_naive().succ_opt().unwrap_or(NaiveDate::MAX);
    if issue_date > latest {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "issue_date_in_future",
            format!(
                "issue date {issue_date} is after {latest}: a document is dated when it is issued, and its series' later documents may not come before it"
            ),
        ));
    }
    Ok(())
}

/// Re-rates the original invoice `number` against the invoice as already corrected, and lets
/// the ledger number and store what corrects it, in one transaction.
pub fn rerate(
    s: &AppState,
    number: &str,
    issue_date: NaiveDate,
    key: Option<&Idempotency>,
) -> Result<Outcome, ApiError> {
    let original = stored_document(s, number)?;
    if let Some(of) = &original.corrects {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_an_original",
            format!("{number} corrects {of}: re-rate the original invoice"),
        ));
    }
    let year = chrono::Datelike::year(&issue_date);
    // Rated from the events the storing transaction reads, against the corrections it reads:
    // two re-rates at once see each other's documents and events, never a stale rating.
    let mut make =
        |stored: &Stored, earlier: &[Document], events: &[UsageEvent], cn: &str, inv: &str| {
            let period = stored.document.supply_period;
            let rerated = rate_of(s, &period, events).map_err(|e| e.message().to_string())?;
            let rerated = billing_every_event(rerated)?;
            let req = CorrectionRequest {
                issue_date,
                credit_note_number: Some(cn.to_string()),
                supplementary_number: Some(inv.to_string()),
            };
            let c = correction::correct(&stored.document, earlier, &rerated, &s.book, &s.vat, &req)
                .map_err(|e| e.to_string())?;
            Ok(c.credit_note
                .into_iter()
                .chain(c.supplementary_invoice)
                .collect())
        };
    let outcome = s.ledger.correct(number, year, key, &mut make)?;
    if outcome.created {
        archive_all(s, &outcome.documents);
    }
    Ok(outcome)
}

/// The account's rating for a period, from the ledger's events.
pub(crate) fn rating(
    s: &AppState,
    account: &str,
    period: &Period,
) -> Result<ratecard::Rating, ApiError> {
    rate_of(s, period, &s.ledger.events(account, period)?)
}

/// How much of `period` the views over consumption (the explorer, the allocation, the pricing
/// view) rate: while the period is under way (the current month), up to now, to the minute,
/// as the Now page and budgets count it: a resource still running has cost what it ran so far,
/// not the rest of the month (the explorer showed the whole month's hours on its first day). A
/// period over, or not begun, is rated whole.
pub(crate) fn seen(period: &Period, now: chrono::DateTime<chrono::Utc>) -> Period {
    use chrono::DurationRound;
    if now <= period.start || now >= period.end {
        return *period;
    }
    let minute = now
        .duration_trunc(chrono::Duration::minutes(1))
        .ok()
        .filter(|m| *m > period.start)
        .unwrap_or(now);
    Period::new(period.start, minute).unwrap_or(*period)
}

/// How old a kept rating of the current month may be and still be read (same events, cut up to
/// this much earlier): without it every kept one was stale a minute later, and each overview
/// rated every account's month again.
const SO_FAR_KEPT_FOR_S: i64 = 600;

/// What a view over consumption reads of a period at one instant (read once per request, so
/// every account is cut at the same minute): the part [`seen`] gives, and the label its kept
/// ratings go under. A whole period's is its own (`2026-12`), a cut one's `2026-12/so-far`: a
/// month's own label only ever holds whole ratings, which an older build reads unchecked.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub period: Period,
    whole: Period,
    pub label: String,
}

impl Seen {
    pub(crate) fn of(period: &Period, now: chrono::DateTime<chrono::Utc>) -> Seen {
        let cut = seen(period, now);
        let label = if cut == *period {
            period.label()
        } else {
            format!("{}/so-far", period.label())
        };
        Seen {
            period: cut,
            whole: *period,
            label,
        }
    }

    fn is_whole(&self) -> bool {
        self.period == self.whole
    }

    /// Whether something kept over `kept` answers: the same period when it is whole; for the
    /// current month, a cut made at most [`SO_FAR_KEPT_FOR_S`] before this one.
    fn answers(&self, kept: &Period) -> bool {
        if self.is_whole() {
            return *kept == self.period;
        }
        kept.start == self.period.start
            && kept.end <= self.period.end
            && self
                .period
                .end
                .signed_duration_since(kept.end)
                .num_seconds()
                <= SO_FAR_KEPT_FOR_S
    }
}

/// The rating of the events over what `seen` gives of the period: every event over a whole
/// period, or the events known at its cut, over it (the projection's "so far").
fn rate_seen(
    s: &AppState,
    seen: &Seen,
    events: &[UsageEvent],
) -> Result<ratecard::Rating, ApiError> {
    if seen.is_whole() {
        return rate_of(s, &seen.period, events);
    }
    ratecard::projection::so_far(&s.book, events, &seen.period, seen.period.end)
        .map(|(rating, _)| rating)
        .map_err(ApiError::engine)
}

/// [`rating`] over what `seen` gives of the period, kept: what the explorer and the allocation
/// read. A rating depends on the events, the price list and that part of the period, so one
/// kept at the account's current version with this price list, over the same part (or, for
/// the current month, cut a few minutes earlier), answers; otherwise it is made, and kept for
/// the next reader. Drafts and invoices are always rated afresh, over the whole period.
pub(crate) fn kept_rating(
    s: &AppState,
    account: &str,
    seen: &Seen,
) -> Result<ratecard::Rating, ApiError> {
    let (r, version, made) = kept_rating_versioned(s, account, seen)?;
    if let Some(text) = made {
        s.ledger
            .keep_rating(account, &seen.label, s.rating_key(), version, &text)?;
    }
    Ok(r)
}

/// The account's kept rating, with the version of the account's events it was made from (0
/// when the account has none), and its text when it was made now and is to be kept.
fn kept_rating_versioned(
    s: &AppState,
    account: &str,
    seen: &Seen,
) -> Result<(ratecard::Rating, i64, Option<String>), ApiError> {
    if let Some((text, version)) = s.ledger.kept_rating(account, &seen.label, s.rating_key())?
        && let Ok(r) = serde_json::from_str::<ratecard::Rating>(&text)
        && seen.answers(&r.period)
    {
        return Ok((r, version, None));
    }
    let (events, version) = s.ledger.events_versioned(account, &seen.whole)?;
    let r = rate_seen(s, seen, &events)?;
    let made = if version > 0 {
        serde_json::to_string(&r).ok()
    } else {
        None
    };
    Ok((r, version, made))
}

/// The most text of ratings and rollups made by the explorer held before it is kept.
const KEEP_BATCH_BYTES: usize = 64 << 20;

/// A rating's rollup at the default rounding, as kept text.
fn rating_rollup(rating: &ratecard::Rating) -> Option<String> {
    ratecard::explore::Rollup::of(rating, ratecard::RoundingMode::default())
        .ok()
        .and_then(|r| serde_json::to_string(&r).ok())
}

/// The label a period's rollups are kept under: `YYYY-MM/rollup/half_up` (and
/// `YYYY-MM/so-far/rollup/half_up` for the current month, after its ratings' label).
fn rollup_label(label: &str, rounding: ratecard::RoundingMode) -> String {
    let how = match rounding {
        ratecard::RoundingMode::HalfUp => "half_up",
        ratecard::RoundingMode::HalfEven => "half_even",
    };
    format!("{label}/rollup/{how}")
}

/// The rollups of `accounts` for the period ([`ratecard::explore::Rollup`]): each made from
/// the account's [`kept_rating`] and kept at the version of the events that rating was made
/// from, so a late event retires both. `every` says `accounts` are all the ledger's: their
/// rollups are then read in one query; otherwise one account at a time. Those missing are made
/// and kept in one transaction.
pub(crate) fn kept_rollups(
    s: &AppState,
    accounts: &[String],
    every: bool,
    seen: &Seen,
    rounding: ratecard::RoundingMode,
) -> Result<Vec<ratecard::explore::Rollup>, ApiError> {
    use ratecard::explore::Rollup;
    let label = rollup_label(&seen.label, rounding);
    let catalog = s.rating_key();
    // A rollup kept over another part of the period (the current month cut too long ago) is
    // made again.
    let read = |text: &str| {
        serde_json::from_str::<Rollup>(text)
            .ok()
            .filter(|r| seen.answers(&r.period))
    };
    let mut kept: std::collections::HashMap<String, Rollup> = if every {
        s.ledger
            .kept_ratings(&label, catalog)?
            .into_iter()
            .filter_map(|k| Some((k.account, read(&k.rating)?)))
            .collect()
    } else {
        let mut found = std::collections::HashMap::new();
        for a in accounts {
            if let Some((text, _)) = s.ledger.kept_rating(a, &label, catalog)?
                && let Some(r) = read(&text)
            {
                found.insert(a.clone(), r);
            }
        }
        found
    };
    let mut out = Vec::with_capacity(accounts.len());
    // What was made here, kept a batch at a time: the ratings and the rollups, each batch in
    // one transaction, flushed past `KEEP_BATCH_BYTES` of text.
    let (mut ratings, mut rollups) = (Vec::new(), Vec::new());
    let mut pending = 0usize;
    let flush = |ratings: &mut Vec<crate::ledger::Kept>,
                 rollups: &mut Vec<crate::ledger::Kept>|
     -> Result<(), ApiError> {
        s.ledger.keep_ratings(&seen.label, catalog, ratings)?;
        s.ledger.keep_ratings(&label, catalog, rollups)?;
        ratings.clear();
        rollups.clear();
        Ok(())
    };
    for a in accounts {
        if let Some(r) = kept.remove(a) {
            out.push(r);
            continue;
        }
        let made = kept_rating_versioned(s, a, seen).and_then(|(rating, version, made)| {
            let r = Rollup::of(&rating, rounding).map_err(ApiError::engine)?;
            Ok((r, version, made))
        });
        let (r, version, made) = match made {
            Ok(m) => m,
            Err(e) => {
                // What was made before this account is kept all the same.
                flush(&mut ratings, &mut rollups)?;
                return Err(e);
            }
        };
        if let Some(text) = made {
            pending = pending.saturating_add(text.len());
            ratings.push(crate::ledger::Kept {
                account: a.clone(),
                version,
                rating: text,
            });
        }
        if version > 0
            && let Ok(text) = serde_json::to_string(&r)
        {
            pending = pending.saturating_add(text.len());
            rollups.push(crate::ledger::Kept {
                account: a.clone(),
                version,
                rating: text,
            });
        }
        out.push(r);
        if pending > KEEP_BATCH_BYTES {
            flush(&mut ratings, &mut rollups)?;
            pending = 0;
        }
    }
    flush(&mut ratings, &mut rollups)?;
    Ok(out)
}

/// The account's period cut in days ([`ratecard::daily::days`]): each day's cost, kept as
/// [`kept_rating`] keeps a period's rating (under the label `YYYY-MM/days`), so a closed
/// month's days are rated once per version of the account's events.
pub(crate) fn kept_days(
    s: &AppState,
    account: &str,
    seen: &Seen,
) -> Result<Vec<ratecard::Rating>, ApiError> {
    let label = format!("{}/days", seen.label);
    let catalog = s.rating_key();
    // The current month's days end at its cut, today's cut short (see [`seen`]).
    if let Some((text, _)) = s.ledger.kept_rating(account, &label, catalog)?
        && let Ok(r) = serde_json::from_str::<Vec<ratecard::Rating>>(&text)
        && let (Some(first), Some(last)) = (r.first(), r.last())
        && seen.answers(&Period::new(first.period.start, last.period.end).unwrap_or(seen.whole))
    {
        return Ok(r);
    }
    let (events, version) = s.ledger.events_versioned(account, &seen.whole)?;
    let days = ratecard::daily::days(
        &s.book,
        &seen.period,
        &events,
        ratecard::RoundingMode::default(),
    )
    .map_err(ApiError::engine)?;
    if version > 0
        && let Ok(text) = serde_json::to_string(&days)
    {
        s.ledger
            .keep_rating(account, &label, catalog, version, &text)?;
    }
    Ok(days)
}

/// An account's period valued twice from one metering: with the service's price book (what
/// is billed) and with `other` (the pricing view). A sku `other` does not sell is refused,
/// named.
pub(crate) fn rating_and_view(
    s: &AppState,
    account: &str,
    seen: &Seen,
    other: &ratecard::PriceBook,
) -> Result<(ratecard::Rating, ratecard::Rating), ApiError> {
    let mut events = s.ledger.events(account, &seen.whole)?;
    // The current month up to its cut, as the explorer rates it (see [`seen`]).
    events.retain(|e| e.at <= seen.period.end);
    let metered = ratecard::meter(&s.book, seen.period, &events).map_err(ApiError::engine)?;
    let billed = ratecard::rate(&s.book, &metered).map_err(ApiError::engine)?;
    let view = ratecard::reprice(&metered, other).map_err(ApiError::engine)?;
    Ok((billed, view))
}

/// The rating of a period from these events.
fn rate_of(
    s: &AppState,
    period: &Period,
    events: &[UsageEvent],
) -> Result<ratecard::Rating, ApiError> {
    let metered = ratecard::meter(&s.book, *period, events).map_err(ApiError::engine)?;
    ratecard::rate(&s.book, &metered).map_err(ApiError::engine)
}

/// A rating that bills every stored event, for a document that stays: the ledger's events were
/// accepted under the service's price list, so one this price list rejects (a close or a server
/// started with another `--catalog`) would be usage left off a final invoice without a word.
fn billing_every_event(rating: ratecard::Rating) -> Result<ratecard::Rating, String> {
    match rating.rejects.first() {
        None => Ok(rating),
        Some(first) => Err(format!(
            "the price list `{}` rejects {} of the stored events ({first}): invoice with the price list they were accepted under",
            rating.catalog,
            rating.rejects.len()
        )),
    }
}

pub(crate) fn customer_of(s: &AppState, account: &str) -> Result<Customer, ApiError> {
    s.ledger.customer(account)?.ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("account `{account}` has no customer details (PUT /api/v1/accounts/{account}/customer)"))
    })
}

pub(crate) fn request_for(
    s: &AppState,
    kind: DocumentKind,
    number: Option<String>,
    issue_date: chrono::NaiveDate,
    buyer: Customer,
) -> DocumentRequest {
    DocumentRequest {
        number,
        ..DocumentRequest::new(kind, issue_date, s.seller.clone(), buyer)
    }
}

/// A calendar month, `YYYY-MM`: what invoices cover.
pub fn period_of(text: &str) -> Result<Period, ApiError> {
    let p = Period::parse(text).map_err(|e| ApiError::bad(e.to_string()))?;
    if !p.is_calendar_month() {
        return Err(ApiError::bad(format!(
            "`{text}`: invoices cover a calendar month, YYYY-MM"
        )));
    }
    Ok(p)
}

/// Finalizes an account's period: rates it from the ledger, and lets the ledger check, number
/// and store the invoice in one transaction. A period already finalized gives its invoice back.
pub fn finalize_period(
    s: &AppState,
    account: &str,
    period: &Period,
    issue_date: chrono::NaiveDate,
    key: Option<&crate::ledger::Idempotency>,
) -> Result<crate::ledger::Outcome, ApiError> {
    let last_day = document::supply_date(period);
    if issue_date <= last_day {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "issue_date_before_period_end",
            format!(
                "issue date {issue_date}: an invoice for {} is issued after its last day, {last_day}",
                period.label()
            ),
        ));
    }
    let buyer = customer_of(s, account)?;
    let year = chrono::Datelike::year(&issue_date);
    // Rated from the events the storing transaction reads, so none acknowledged before it is
    // left out; and only when the period has no invoice yet (a retry rates nothing).
    // The rating's rollup is kept for the explorer with the invoice, in its transaction: a
    // closed month's overview then reads no event.
    let mut make = |number: String, events: &[UsageEvent]| {
        let rating = rate_of(s, period, events).map_err(|e| e.message().to_string())?;
        let rating = billing_every_event(rating)?;
        let keep = rating_rollup(&rating).map(|text| crate::ledger::KeepAlong {
            period: rollup_label(&period.label(), ratecard::RoundingMode::default()),
            catalog: s.rating_key().to_string(),
            rating: text,
        });
        let req = request_for(
            s,
            DocumentKind::FinalInvoice,
            Some(number),
            issue_date,
            buyer.clone(),
        );
        let document = document::build(&req, &rating, &s.book, &s.vat, Fx::Rates(&s.fx))
            .map_err(|e| e.to_string())?;
        Ok(crate::ledger::Invoiced { document, keep })
    };
    let outcome = s
        .ledger
        .finalize_period(account, period, "INV", year, key, &mut make)?;
    if outcome.created {
        archive_all(s, &outcome.documents);
    }
    Ok(outcome)
}

/// The files of a final invoice or credit note: those kept for it, or made now and kept. The
/// first files kept stay (a second maker's are dropped), so once made a document's PDF and XML
/// are the same bytes ever after, whatever template or font comes later.
pub fn archived(
    ledger: &dyn crate::ledger::Store,
    doc: &Document,
) -> Result<crate::ledger::Archive, ApiError> {
    let number = doc.number.as_deref().ok_or_else(|| {
        ApiError::bad(format!(
            "a {} has no number: only final documents are archived",
            doc.kind.name()
        ))
    })?;
    if let Some(a) = ledger.archive(number)? {
        return Ok(a);
    }
    let made = archive_files(doc)?;
    ledger.put_archive(number, &made)?;
    Ok(ledger.archive(number)?.unwrap_or(made))
}

/// The language of a document's archived PDF: French for a French seller, English otherwise.
pub fn archive_lang(doc: &Document) -> crate::pdf::Lang {
    if doc.seller.country == "FR" {
        crate::pdf::Lang::Fr
    } else {
        crate::pdf::Lang::En
    }
}

/// A final document's files: its Factur-X in the seller's language (French for a French
/// seller) and the CII it embeds.
fn archive_files(doc: &Document) -> Result<crate::ledger::Archive, ApiError> {
    let pdf = crate::pdf::facturx(doc, archive_lang(doc))
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e))?;
    let xml = ratecard::export::cii(doc).map_err(ApiError::engine)?;
    Ok(crate::ledger::Archive { pdf, xml })
}

/// Archives every final document that has no files yet, in batches of 100: what a process
/// stopped between storing a document and archiving it left. `serve` runs it when it starts,
/// a close when it ends. A document that cannot be archived is named and passed over: the
/// others are still archived, and what stored it is still reported.
pub fn archive_missing(ledger: &dyn crate::ledger::Store) -> Result<Archived, ApiError> {
    let mut out = Archived::default();
    loop {
        // Read past the documents that failed: each is named once, and the sweep goes on.
        let limit = 100usize.saturating_add(out.failed.len());
        let numbers = ledger.unarchived(i64::try_from(limit).unwrap_or(i64::MAX))?;
        let todo: Vec<&String> = numbers
            .iter()
            .filter(|n| !out.failed.iter().any(|(f, _)| f == *n))
            .collect();
        if todo.is_empty() {
            return Ok(out);
        }
        let mut progressed = false;
        for n in todo {
            if let Some(stored) = ledger.document(n)? {
                match archived(ledger, &stored.document) {
                    Ok(_) => out.done = out.done.saturating_add(1),
                    Err(e) => out.failed.push((n.clone(), e.message().to_string())),
                }
                progressed = true;
            }
        }
        if !progressed {
            return Ok(out);
        }
    }
}

/// What [`archive_missing`] did: the documents it archived, and those it could not, with why.
#[derive(Debug, Default)]
pub struct Archived {
    pub done: usize,
    pub failed: Vec<(String, String)>,
}

/// Archives the final documents just stored. A failure is logged, not returned: the documents
/// are final already, and the first reader of their files makes them then.
fn archive_all(s: &AppState, docs: &[Document]) {
    for d in docs.iter().filter(|d| {
        matches!(
            d.kind,
            DocumentKind::FinalInvoice | DocumentKind::CreditNote
        )
    }) {
        if let Err(e) = archived(s.ledger.as_ref(), d) {
            tracing::warn!(number = ?d.number, error = %e.message(), "archiving");
        }
    }
}

pub(crate) fn stored_document(
    s: &AppState,
    number: &str,
) -> Result<crate::ledger::Stored, ApiError> {
    s.ledger.document(number)?.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no document `{number}`"),
        )
    })
}

/// `docs`, read with a limit one past `limit`, when they are all: an export that holds only
/// some of the documents would be a wrong file (a tax authority's journal with entries missing)
/// written with success.
fn complete<T>(docs: Vec<T>, limit: i64, what: &str) -> Result<Vec<T>, ApiError> {
    if i64::try_from(docs.len()).map_or(true, |n| n > limit) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_many_documents",
            format!("{what} holds at most {limit} documents, and there are more"),
        ));
    }
    Ok(docs)
}

/// Most documents one FOCUS export holds.
pub const MAX_FOCUS_DOCUMENTS: i64 = 100_000;

/// The allocation rules the ledger applies: the last saved, else the shipped ones
/// (`catalog/allocation/demo.json`).
pub fn allocation_rules(
    ledger: &dyn crate::ledger::Store,
) -> Result<ratecard::allocation::AllocationRules, ApiError> {
    let text = match ledger.allocation_rules()? {
        Some((_, body, _)) => body,
        None => ratecard::samples::ALLOCATION_RULES.to_string(),
    };
    crate::api::parse(text.as_bytes(), "allocation rules")
}

/// The FOCUS 1.2 dataset of a period's final documents (invoices, credit notes, supplementary
/// invoices), to be written as CSV or Parquet. Each line's tags are its resource's, from the events of the period. With
/// allocation rules, FOCUS 1.3's `Allocated*` columns too: shared usage split over the targets
/// ([`ratecard::focus::table_allocated`]).
pub fn focus(
    ledger: &dyn crate::ledger::Store,
    period: &Period,
    rules: Option<&ratecard::allocation::AllocationRules>,
) -> Result<ratecard::focus::Table, ApiError> {
    let docs = complete(
        ledger.documents_in(&period.label(), MAX_FOCUS_DOCUMENTS.saturating_add(1))?,
        MAX_FOCUS_DOCUMENTS,
        "a FOCUS export",
    )?;
    let mut tags: std::collections::BTreeMap<(String, String), String> = Default::default();
    let accounts: std::collections::BTreeSet<&str> =
        docs.iter().map(|d| d.account.as_str()).collect();
    for a in accounts {
        // As the rating reads them: in time order, later values winning.
        for (key, t) in ratecard::event::resource_tags(&ledger.events(a, period)?) {
            tags.insert(
                key,
                serde_json::to_string(&t).unwrap_or_else(|_| "{}".into()),
            );
        }
    }
    let list: Vec<&Document> = docs.iter().map(|d| &d.document).collect();
    let lookup = |account: &str, resource: Option<&str>| {
        resource
            .and_then(|r| tags.get(&(account.to_string(), r.to_string())))
            .cloned()
            .unwrap_or_else(|| "{}".into())
    };
    match rules {
        Some(r) => ratecard::focus::table_allocated(&list, &lookup, r, period),
        None => ratecard::focus::table(&list, &lookup),
    }
    .map_err(ApiError::engine)
}

/// Most documents a year's journal posts.
pub const MAX_JOURNAL_DOCUMENTS: i64 = 1_000_000;

/// The journal entries of the final documents issued in `year`, by issue date (then in the
/// order they were stored), with the account map given or the default one.
pub fn journal(
    ledger: &dyn crate::ledger::Store,
    book: &ratecard::PriceBook,
    year: i32,
    map: &ratecard::accounting::AccountMap,
) -> Result<Vec<ratecard::accounting::Entry>, ApiError> {
    let mut docs = complete(
        ledger.documents_of_year(year, MAX_JOURNAL_DOCUMENTS.saturating_add(1))?,
        MAX_JOURNAL_DOCUMENTS,
        "a year's journal",
    )?;
    // A stable sort: within a day, the order they were stored.
    docs.sort_by_key(|d| d.document.issue_date);
    let posted: Vec<ratecard::accounting::Posted> = docs
        .iter()
        .map(|d| ratecard::accounting::Posted {
            account: &d.account,
            document: &d.document,
        })
        .collect();
    ratecard::accounting::journal(&posted, map, Some(book)).map_err(ApiError::engine)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The current month is seen up to now, to the minute (now itself in its first minute); a
    /// month over or to come, whole.
    #[test]
    fn a_month_under_way_is_seen_up_to_now() {
        let t = |s: &str| ratecard::time::parse_instant(s).unwrap();
        let dec = Period::parse("2026-12").unwrap();
        assert_eq!(
            seen(&dec, t("2026-12-01T23:54:31Z")),
            Period::new(t("2026-12-01T00:00:00Z"), t("2026-12-01T23:54:00Z")).unwrap()
        );
        assert_eq!(
            seen(&dec, t("2026-12-01T00:00:31Z")),
            Period::new(t("2026-12-01T00:00:00Z"), t("2026-12-01T00:00:31Z")).unwrap()
        );
        for now in [
            "2027-01-01T00:00:00Z",
            "2026-11-30T23:59:59Z",
            "2026-12-01T00:00:00Z",
        ] {
            assert_eq!(seen(&dec, t(now)), dec, "{now}");
        }
    }

    /// What was kept answers a view: a whole month's rating only over the whole month, under
    /// the month's own label; the current month's, under its own label, when cut at most ten
    /// minutes before (each minute made every account's month again).
    #[test]
    fn a_kept_cut_answers_for_ten_minutes() {
        let t = |s: &str| ratecard::time::parse_instant(s).unwrap();
        let dec = Period::parse("2026-12").unwrap();
        let cut = |end: &str| Period::new(t("2026-12-01T00:00:00Z"), t(end)).unwrap();
        let now = Seen::of(&dec, t("2026-12-10T12:30:45Z"));
        assert_eq!(now.label, "2026-12/so-far");
        assert!(now.answers(&cut("2026-12-10T12:30:00Z")));
        assert!(now.answers(&cut("2026-12-10T12:20:00Z")));
        assert!(!now.answers(&cut("2026-12-10T12:19:00Z")));
        assert!(!now.answers(&cut("2026-12-10T12:31:00Z")));
        assert!(!now.answers(&dec));
        let over = Seen::of(&dec, t("2027-01-01T00:00:05Z"));
        assert_eq!(over.label, "2026-12");
        assert!(over.answers(&dec));
        assert!(!over.answers(&cut("2026-12-31T23:59:00Z")));
    }

    /// An export past its bound is refused, never written with some documents missing.
    #[test]
    fn an_export_holds_every_document_or_none() {
        assert_eq!(complete(vec![1, 2], 2, "x").map(|v| v.len()).ok(), Some(2));
        let e = complete(vec![1, 2, 3], 2, "a year's journal").unwrap_err();
        assert_eq!(
            e.to_string(),
            "too_many_documents: a year's journal holds at most 2 documents, and there are more"
        );
    }
}
