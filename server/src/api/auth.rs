//! The bearer token of the write and account endpoints.

use axum::http::{HeaderMap, StatusCode, header};

use crate::api::AppState;
use crate::error::ApiError;

/// Checks the bearer token of a write (or account) endpoint.
pub(crate) fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = &state.token else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_token_configured",
            "this endpoint needs a bearer token, and the server has none configured (set RATECARD_TOKEN)",
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match given {
        None => {
            tracing::warn!("auth failure: no bearer token");
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "missing bearer token",
            ))
        }
        Some(t) if constant_time_eq(t.as_bytes(), expected.as_bytes()) => Ok(()),
        Some(_) => {
            tracing::warn!("auth failure: wrong bearer token");
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "wrong bearer token",
            ))
        }
    }
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
