//! The parties of a document: the seller (established in France by default) and the customer.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Seller {
    pub name: String,
    /// ISO 3166 code; France by default.
    #[serde(default = "france")]
    pub country: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_number: Option<String>,
    /// French company number (9 digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub siren: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// Under the 10,000 EUR yearly threshold of cross-border B2C sales: EU consumers pay the
    /// seller's own VAT instead of theirs.
    #[serde(default)]
    pub oss_below_threshold: bool,
    /// The seller opted to pay VAT on debits (when invoiced) rather than on receipt: French
    /// invoices must then say so.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub vat_on_debits: bool,
}

fn france() -> String {
    "FR".into()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomerKind {
    Business,
    #[default]
    Consumer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    pub name: String,
    /// ISO 3166 code (GR for Greece).
    pub country: String,
    #[serde(default)]
    pub kind: CustomerKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_number: Option<String>,
    /// French company number (9 digits) of a business customer: a mention French invoices
    /// carry since the e-invoicing reform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub siren: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}
