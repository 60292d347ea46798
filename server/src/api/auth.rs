//! Who may call what. A route declares its [`Scope`]; the router checks the caller's bearer
//! token against it before any extractor reads the request:
//! - the admin token (`RATECARD_TOKEN`, or a stored token of scope `admin`) may call every route;
//! - an account token (scope `account:<id>`, made by `ratecard token create --account`) may
//!   read that account's data only: the routes of scope [`Scope::Account`], for its account;
//! - public routes need no token.
//!
//! Stored tokens are kept as their SHA-256 (they are 256 random bits: no stretching needed), and
//! looked up on every request, so a revoked token stops at once.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::Shared;
use crate::error::ApiError;

/// What a route asks of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Anyone.
    Public,
    /// The admin token: writes, and what spans accounts.
    Admin,
    /// An account's data, read: the admin token, or that account's token. Where the account is
    /// named tells the router how to check it.
    Account(Owner),
}

/// Where an account route names its account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// The path's `{account}`.
    Path,
    /// The query's `account=` (required of an account token).
    Query,
    /// The query's `filter=account:<id>` (required of an account token, and only its own).
    Filter,
    /// The resource's own account (a document, a budget): the handler checks it with
    /// [`Caller::may_read`].
    Lookup,
    /// No account's data: any valid token (who the caller is, the server's allocation rules).
    Any,
}

impl Scope {
    pub fn name(&self) -> &'static str {
        match self {
            Scope::Public => "public",
            Scope::Admin => "admin",
            Scope::Account(_) => "account",
        }
    }
}

/// Who is calling, once the token is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Admin,
    Account(String),
}

impl Caller {
    /// Whether the caller may read `account`'s data: 403 otherwise (naming neither the other
    /// account's data nor whether it exists).
    pub fn may_read(&self, account: &str) -> Result<(), ApiError> {
        match self {
            Caller::Admin => Ok(()),
            Caller::Account(a) if a == account => Ok(()),
            Caller::Account(a) => Err(forbidden(format!("this token reads account `{a}` only"))),
        }
    }
}

fn forbidden(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
}

/// A new token's id and secret: `rc_<id>_<secret>`, 8 and 64 hex digits from the system's
/// randomness.
pub fn new_token() -> Result<(String, String), String> {
    use std::io::Read;
    let mut bytes = [0u8; 36];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("no randomness for a new token: {e}"))?;
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let id = hex(&bytes[..4]);
    let token = format!("rc_{id}_{}", hex(&bytes[4..]));
    Ok((id, token))
}

/// What a stored token is kept as.
pub fn token_hash(token: &str) -> String {
    ratecard::canonical::sha256_hex(token)
}

/// The scope text of a stored token: `admin` or `account:<id>`.
fn caller_of(scope: &str) -> Option<Caller> {
    match scope {
        "admin" => Some(Caller::Admin),
        _ => scope
            .strip_prefix("account:")
            .filter(|a| !a.is_empty())
            .map(|a| Caller::Account(a.to_string())),
    }
}

/// The caller of a request: its bearer token, the configured one or a stored one.
pub(crate) async fn caller(state: &Shared, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    if let (Some(g), Some(expected)) = (&given, &state.token)
        && constant_time_eq(g.as_bytes(), expected.as_bytes())
    {
        return Ok(Caller::Admin);
    }
    let s = state.clone();
    let hash = given.as_deref().map(token_hash);
    let (found, any_stored) = tokio::task::spawn_blocking(move || {
        let found = match &hash {
            Some(h) => s.ledger.token_by_hash(h)?,
            None => None,
        };
        let any = found.is_some() || s.ledger.has_tokens()?;
        Ok::<_, crate::ledger::LedgerError>((found, any))
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))??;
    if let Some((id, c)) = found.and_then(|(id, scope)| caller_of(&scope).map(|c| (id, c))) {
        tracing::debug!(token = id, "caller");
        return Ok(c);
    }
    if state.token.is_none() && !any_stored {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_token_configured",
            "this endpoint needs a bearer token, and the server has none configured (set RATECARD_TOKEN, or `ratecard token create`)",
        ));
    }
    if given.is_none() {
        tracing::warn!("auth failure: no bearer token");
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing bearer token",
        ));
    }
    tracing::warn!("auth failure: wrong bearer token");
    Err(forbidden("wrong bearer token"))
}

/// The value of the path's `{name}` segment, given the route's template.
fn path_param<'a>(template: &str, path: &'a str, name: &str) -> Option<&'a str> {
    let want = format!("{{{name}}}");
    template
        .split('/')
        .zip(path.split('/'))
        .find(|(t, _)| *t == want)
        .map(|(_, v)| v)
}

/// Whether an account token may make this request of a route that names its account at
/// `owner`.
fn owns(owner: Owner, account: &str, req: &Request) -> Result<(), ApiError> {
    let query = || {
        axum::extract::Query::<Vec<(String, String)>>::try_from_uri(req.uri())
            .map(|q| q.0)
            .unwrap_or_default()
    };
    match owner {
        Owner::Lookup | Owner::Any => Ok(()),
        Owner::Path => {
            let template = req
                .extensions()
                .get::<MatchedPath>()
                .map(|m| m.as_str().to_string())
                .unwrap_or_default();
            let named = path_param(&template, req.uri().path(), "account");
            if named.is_some_and(|n| crate::files::percent_decode(n) == account) {
                Ok(())
            } else {
                Err(forbidden(format!(
                    "this token reads account `{account}` only"
                )))
            }
        }
        Owner::Query => {
            let q = query();
            let named: Vec<&str> = q
                .iter()
                .filter(|(k, _)| k == "account")
                .map(|(_, v)| v.as_str())
                .collect();
            if named == [account] {
                Ok(())
            } else {
                Err(forbidden(format!(
                    "this token reads account `{account}` only: add account={account}"
                )))
            }
        }
        Owner::Filter => {
            let q = query();
            let mut named = Vec::new();
            for (_, f) in q.iter().filter(|(k, _)| k == "filter") {
                named.extend(
                    f.split(',')
                        .filter_map(|p| p.strip_prefix("account:"))
                        .map(str::to_string),
                );
            }
            if !named.is_empty() && named.iter().all(|a| a == account) {
                Ok(())
            } else {
                Err(forbidden(format!(
                    "this token reads account `{account}` only: filter=account:{account}"
                )))
            }
        }
    }
}

/// The route layer of a route with a scope other than public: the caller's token, checked
/// against the scope, and the caller put in the request for the handler.
pub(crate) async fn require(
    State((s, scope)): State<(Shared, Scope)>,
    mut req: Request,
    next: Next,
) -> Response {
    let headers = req.headers().clone();
    let checked = match caller(&s, &headers).await {
        Err(e) => Err(e),
        Ok(c) => match (scope, &c) {
            (Scope::Public, _) | (_, Caller::Admin) => Ok(c),
            (Scope::Admin, Caller::Account(a)) => Err(forbidden(format!(
                "this token reads account `{a}` only; this endpoint needs the admin token"
            ))),
            (Scope::Account(owner), Caller::Account(a)) => owns(owner, a, &req).map(|()| c),
        },
    };
    match checked {
        Ok(c) => {
            req.extensions_mut().insert(c);
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

/// The configured token, compared in constant time (kept for callers outside the router).
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The caller the route layer found.
pub(crate) fn caller_in(ext: Option<axum::Extension<Caller>>) -> Caller {
    // Routes with a scope always pass the layer, which puts the caller in; a route without one
    // is public and never asks.
    ext.map(|e| e.0).unwrap_or(Caller::Account(String::new()))
}

/// `GET /api/v1/me`: who the token is (what a console asks once signed in).
#[derive(serde::Serialize, schemars::JsonSchema)]
pub(crate) struct Me {
    /// `admin` or `account`.
    scope: String,
    /// The account an account token reads.
    account: Option<String>,
}

pub(crate) async fn me(caller: Option<axum::Extension<Caller>>) -> crate::error::ApiResult {
    let me = match caller_in(caller) {
        Caller::Admin => Me {
            scope: "admin".into(),
            account: None,
        },
        Caller::Account(a) => Me {
            scope: "account".into(),
            account: Some(a),
        },
    };
    crate::api::json_response(StatusCode::OK, &me)
}
