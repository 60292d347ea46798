//! The public endpoints: price lists and estimates.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use ratecard::EstimateRequest;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{Shared, blocking, body, json_response, parse};
use crate::error::{ApiError, ApiResult};

pub(crate) async fn catalogs(State(s): State<Shared>) -> ApiResult {
    let list: Vec<Value> = s
        .catalogs
        .iter()
        .map(|(id, b)| json!({ "id": id, "currency": b.currency(), "versions": b.versions().iter().map(|v| v.version.clone()).collect::<Vec<_>>() }))
        .collect();
    json_response(StatusCode::OK, &list)
}

pub(crate) async fn catalog(State(s): State<Shared>, Path(id): Path<String>) -> ApiResult {
    let b = s.catalogs.get(&id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no catalog `{id}`"),
        )
    })?;
    json_response(StatusCode::OK, &b.versions())
}

#[derive(Deserialize)]
pub(crate) struct CatalogQuery {
    catalog: Option<String>,
}

pub(crate) async fn estimate(
    s: State<Shared>,
    q: Query<CatalogQuery>,
    b: Result<Bytes, BytesRejection>,
) -> ApiResult {
    priced(s, q, b, |book, r| {
        to_value(&ratecard::estimate(book, r).map_err(ApiError::engine)?)
    })
    .await
}

/// Every way to pay for the request's usage: on demand, monthly plans, each savings plan.
pub(crate) async fn payment_options(
    s: State<Shared>,
    q: Query<CatalogQuery>,
    b: Result<Bytes, BytesRejection>,
) -> ApiResult {
    priced(s, q, b, |book, r| {
        let options = ratecard::estimate::payment_options(book, r).map_err(ApiError::engine)?;
        Ok(json!({ "options": options }))
    })
    .await
}

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value, ApiError> {
    serde_json::to_value(v)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))
}

/// An estimate request priced by `run` with the price list of `?catalog=` (the default one
/// otherwise), off the async threads.
async fn priced(
    State(s): State<Shared>,
    Query(q): Query<CatalogQuery>,
    b: Result<Bytes, BytesRejection>,
    run: fn(&ratecard::PriceBook, &EstimateRequest) -> Result<Value, ApiError>,
) -> ApiResult {
    let request: EstimateRequest = parse(&body(b)?, "estimate request")?;
    let id = q.catalog.unwrap_or_else(|| s.book.id().to_string());
    if !s.catalogs.contains_key(&id) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no catalog `{id}`"),
        ));
    }
    let result = blocking(&s, {
        let s = s.clone();
        move || match s.catalogs.get(&id) {
            Some(book) => run(book, &request),
            None => Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no catalog",
            )),
        }
    })
    .await?;
    json_response(StatusCode::OK, &result)
}
