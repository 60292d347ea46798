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
    State(s): State<Shared>,
    Query(q): Query<CatalogQuery>,
    b: Result<Bytes, BytesRejection>,
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
            Some(book) => ratecard::estimate(book, &request).map_err(ApiError::engine),
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
