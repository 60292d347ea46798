//! Usage events in: `POST /api/v1/events`.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use ratecard::event;

use crate::alerting;
use crate::api::{MAX_REJECTS, Shared, blocking, body, json_response};
use crate::error::{ApiError, ApiResult};

/// What a batch did: events stored, events already stored (by id), events refused and why.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub(crate) struct IngestReport {
    accepted: usize,
    duplicate: usize,
    rejected: usize,
    rejects: Vec<ratecard::Reject>,
}

pub(crate) async fn ingest(State(s): State<Shared>, b: Result<Bytes, BytesRejection>) -> ApiResult {
    let bytes = body(b)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "the body is not UTF-8",
        )
    })?;
    if text.trim_start().starts_with('[')
        // Checked without holding the elements (a vector of them was 67 MB for 8 MB of `1`s).
        && serde_json::from_str::<serde::de::IgnoredAny>(text).is_err()
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "the body is not a JSON array of events",
        ));
    }
    let text = text.to_string();
    let (report, mut rejects) = blocking(&s, {
        let s = s.clone();
        move || {
            // Past the bound, rejects are counted, not kept: the batch is refused anyway.
            let mut parsed = event::parse_bounded(&text, MAX_REJECTS + 1);
            parsed.reject_conflicting_ids();
            let left_out = parsed.rejects_left_out;
            let mut rejects = parsed.rejects;
            let mut good = Vec::with_capacity(parsed.events.len());
            for e in parsed.events {
                match ratecard::meter::check(&s.book, &e) {
                    Ok(()) => good.push(e),
                    Err(r) => rejects.push(r),
                }
            }
            // A batch this wrong is refused whole, and the answer stays small.
            let count = rejects.len().saturating_add(left_out);
            if count > MAX_REJECTS {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "too_many_rejects",
                    format!(
                        "{} events of the batch are invalid, more than the {MAX_REJECTS} a batch may have; nothing was stored. The first: {}",
                        count,
                        rejects.iter().take(3).map(|r| r.to_string()).collect::<Vec<_>>().join("; ")
                    ),
                ));
            }
            let report = s.ledger.ingest(&good)?;
            // The budgets of the accounts and months the batch touched, once it is stored: a
            // failure here is logged, and the next minute's pass checks them again.
            if report.accepted > 0 {
                let mut accounts: Vec<String> = good.iter().map(|e| e.account.to_string()).collect();
                accounts.sort();
                accounts.dedup();
                let mut months: Vec<ratecard::Period> =
                    good.iter().filter_map(|e| alerting::month_of(e.at)).collect();
                months.sort();
                months.dedup();
                // Months far back are left to an explicit check: at most the last three.
                let skip = months.len().saturating_sub(3);
                if let Err(e) = alerting::check_budgets(&s, Some(&accounts), &months[skip..], chrono::Utc::now()) {
                    tracing::warn!(error = ?e, "budget check after ingestion");
                }
            }
            Ok((report, rejects))
        }
    })
    .await?;
    for id in &report.conflicting {
        rejects.push(ratecard::Reject {
            line: None,
            id: Some(id.clone()),
            field: Some("id".into()),
            reason: "this id was stored before with other content".into(),
        });
    }
    tracing::info!(
        accepted = report.accepted,
        duplicate = report.duplicate,
        rejected = rejects.len(),
        "events ingested"
    );
    json_response(
        StatusCode::OK,
        &IngestReport {
            accepted: report.accepted,
            duplicate: report.duplicate,
            rejected: rejects.len(),
            rejects,
        },
    )
}
