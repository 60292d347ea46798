//! API tokens, stored hashed: each with an id (public, the token's prefix), a name, a scope
//! (`admin`, or `account:<id>`: that account's data, read only), and when it was created and
//! revoked. Settings beside the ledger; `ratecard token` manages them.

use serde::Serialize;

use super::sql::{Backend, Row};
use super::{Ledger, Result};

/// A token as listed: never its secret, nor its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRecord {
    pub id: String,
    pub name: String,
    /// `admin` or `account:<id>`.
    pub scope: String,
    pub created: String,
    pub revoked: Option<String>,
}

pub trait Tokens {
    /// Stores a new token's hash; its id must be new.
    fn create_token(&self, t: &TokenRecord, hash: &str) -> Result<()>;
    /// The id and scope of the unrevoked token with this hash.
    fn token_by_hash(&self, hash: &str) -> Result<Option<(String, String)>>;
    /// Whether any token is stored, revoked or not.
    fn has_tokens(&self) -> Result<bool>;
    /// Revokes a token at `now`: false when there is none with this id, or it was revoked.
    fn revoke_token(&self, id: &str, now: &str) -> Result<bool>;
    /// Every token, oldest first.
    fn tokens(&self) -> Result<Vec<TokenRecord>>;
}

fn record(mut r: Row) -> Result<TokenRecord> {
    Ok(TokenRecord {
        id: r.take().text()?,
        name: r.take().text()?,
        scope: r.take().text()?,
        created: r.take().text()?,
        revoked: r.take().opt_text()?,
    })
}

impl<B: Backend> Tokens for Ledger<B> {
    fn create_token(&self, t: &TokenRecord, hash: &str) -> Result<()> {
        self.db.write_state(|tx| {
            tx.exec(
                "INSERT INTO api_tokens (id, hash, name, scope, created) VALUES ($1, $2, $3, $4, $5)",
                &[
                    t.id.as_str().into(),
                    hash.into(),
                    t.name.as_str().into(),
                    t.scope.as_str().into(),
                    t.created.as_str().into(),
                ],
            )?;
            Ok(())
        })
    }

    fn token_by_hash(&self, hash: &str) -> Result<Option<(String, String)>> {
        self.db.read(|tx| {
            tx.row(
                "SELECT id, scope FROM api_tokens WHERE hash = $1 AND revoked IS NULL",
                &[hash.into()],
            )?
            .map(|mut r| Ok((r.take().text()?, r.take().text()?)))
            .transpose()
        })
    }

    fn has_tokens(&self) -> Result<bool> {
        self.db
            .read(|tx| Ok(tx.row("SELECT id FROM api_tokens LIMIT 1", &[])?.is_some()))
    }

    fn revoke_token(&self, id: &str, now: &str) -> Result<bool> {
        self.db.write_state(|tx| {
            Ok(tx.exec(
                "UPDATE api_tokens SET revoked = $1 WHERE id = $2 AND revoked IS NULL",
                &[now.into(), id.into()],
            )? == 1)
        })
    }

    fn tokens(&self) -> Result<Vec<TokenRecord>> {
        self.db.read(|tx| {
            tx.rows(
                "SELECT id, name, scope, created, revoked FROM api_tokens ORDER BY created, id",
                &[],
            )?
            .into_iter()
            .map(record)
            .collect()
        })
    }
}
