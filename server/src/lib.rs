//! The invoicing service: the engine natively, behind HTTP, with a durable ledger.
//!
//! - [`ledger`]: events, customers, finalized documents and the hash-chained audit log (SQLite
//!   or PostgreSQL);
//! - [`close`]: the monthly close, by one or more workers;
//! - [`alerting`]: budget checks, and the signed webhook that delivers their alerts;
//! - [`api`]: the axum router (`/api/v1`, `/api/openapi.json`, the calculator's files);
//! - [`demo`]: demo customers and three months of events for `ratecard serve --demo`.
//!
//! Only this crate knows HTTP and SQL; every figure comes from the engine.

pub mod alerting;
pub mod api;
pub mod audit;
pub mod billing;
pub mod client;
pub mod close;
pub mod demo;
pub mod error;
pub mod files;
pub mod focus_file;
pub mod ledger;
pub mod pdf;
pub mod serve;
