//! Typed errors. Every message names the thing at fault: a catalog JSON path, an event id, a field.

use thiserror::Error;

/// An error that stops a computation. Per-event problems are not errors: they become
/// [`crate::event::Reject`]s or [`crate::meter::Diagnostic`]s and the computation goes on.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Error {
    /// A catalog could not be parsed or failed validation. `path` is a JSON path such as
    /// `products[2].prices.fr-par.unit_price`.
    #[error("catalog {catalog}: {path}: {message}")]
    Catalog {
        catalog: String,
        path: String,
        message: String,
    },
    /// A set of catalog versions that cannot form one price book.
    #[error("price book: {0}")]
    PriceBook(String),
    /// A period that is empty, reversed or malformed.
    #[error("period: {0}")]
    Period(String),
    /// A request that cannot be computed: the item (its index in `items`, if the error is an
    /// item's) and the field (`uptime.percent`), as data, so that a form places the error at
    /// its field; `path()` gives the JSON path (`items[3].uptime.percent`).
    #[error("estimate request: {}: {message}", request_path(*item, field))]
    Request {
        item: Option<usize>,
        field: String,
        message: String,
    },
    /// A quantity refers to a sku or region the pricing catalog does not have (for example when
    /// re-pricing under another catalog).
    #[error("no price for sku `{sku}` in region `{region}` in catalog {catalog}: {message}")]
    NoPrice {
        catalog: String,
        sku: String,
        region: String,
        message: String,
    },
    /// A VAT rule could not be applied (an invalid VAT number on an invoice, a missing rate).
    #[error("VAT: {0}")]
    Vat(String),
    /// A currency conversion could not be made (no rate for the date, a malformed rates file).
    #[error("FX: {0}")]
    Fx(String),
    /// A document could not be built as asked (a number in the wrong format, a missing field).
    #[error("document: {0}")]
    Document(String),
    /// Decimal arithmetic left the representable range.
    #[error("allocation: {0}")]
    Allocation(String),
    #[error("budget: {0}")]
    Budget(String),
    #[error("cost explorer: {0}")]
    Explore(String),
    #[error("decimal overflow while {0}")]
    Overflow(String),
    /// Two events share an id but not their content. Both are named.
    #[error("event id `{id}` is used twice with different content: {first} vs {second}")]
    ConflictingDuplicate {
        id: String,
        first: String,
        second: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

fn request_path(item: Option<usize>, field: &str) -> String {
    match item {
        Some(i) => format!("items[{i}].{field}"),
        None => field.to_string(),
    }
}

impl Error {
    /// The JSON path of the input at fault, when the error names one (a catalog's or a
    /// request's field).
    pub fn path(&self) -> Option<String> {
        match self {
            Error::Catalog { path, .. } => Some(path.clone()),
            Error::Request { item, field, .. } => Some(request_path(*item, field)),
            _ => None,
        }
    }
}
