//! VAT for a seller established in France: which treatment a supply gets, at which rate, with
//! which legal mention. [`treatment`] is the one function that decides it.
//!
//! | customer | treatment |
//! |---|---|
//! | in the seller's country, business or consumer | domestic VAT (20 % in France) |
//! | EU business with a valid VAT number | reverse charge, 0 %, "Autoliquidation" mention |
//! | EU consumer, or business without a valid number | the customer's country's rate (OSS), or the seller's own if it is under the 10,000 EUR threshold |
//! | outside the EU | out of scope of EU VAT, with its mention |
//!
//! Rates come from a table with effective dates ([`VatTable`]); the rate is chosen by the date
//! of supply.

pub mod number;
pub mod territory;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::party::{Customer, CustomerKind, Seller};

/// The rates table shipped with the engine (`catalog/tax/eu-vat-rates.json`).
pub(crate) const BUILTIN_TABLE: &str = include_str!("../../../catalog/tax/eu-vat-rates.json");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VatTable {
    pub source: String,
    pub disclaimer: String,
    /// By ISO 3166 country code (Greece is GR here, EL in VAT numbers).
    pub(crate) countries: BTreeMap<String, CountryRates>,
    /// Territories outside the EU VAT territory with rates of their own under a member state's
    /// law: the French overseas departments that apply VAT (GP, MQ, RE).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) territories: BTreeMap<String, CountryRates>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CountryRates {
    pub name: String,
    /// Standard rates, each from a date, in order.
    pub rates: Vec<DatedRate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DatedRate {
    #[serde(with = "crate::time::date")]
    #[schemars(with = "String")]
    pub from: NaiveDate,
    /// Percent, as a decimal string (`"25.5"`).
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub standard: Decimal,
}

impl VatTable {
    pub fn from_json(text: &str) -> Result<VatTable> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let table: VatTable = serde_path_to_error::deserialize(de).map_err(|e| Error::Catalog {
            catalog: "VAT rates".into(),
            path: e.path().to_string(),
            message: e.into_inner().to_string(),
        })?;
        table.check()
    }

    /// The checks of every table, however it was read.
    fn check(self) -> Result<VatTable> {
        for (code, c) in self.countries.iter().chain(&self.territories) {
            if c.rates.is_empty() || c.rates.windows(2).any(|w| w[0].from >= w[1].from) {
                return Err(Error::Catalog {
                    catalog: "VAT rates".into(),
                    path: format!("countries.{code}.rates"),
                    message: "at least one rate, in increasing date order".into(),
                });
            }
        }
        Ok(self)
    }

    /// The table shipped with the engine.
    pub fn builtin() -> VatTable {
        // The shipped file is checked by a test (the same table as `from_json` reads), so it
        // is read here without path tracking, which the calculator's WebAssembly need not
        // carry. An empty table would make every EU sale fail loudly rather than pass untaxed.
        serde_json::from_str::<VatTable>(BUILTIN_TABLE)
            .ok()
            .and_then(|t| t.check().ok())
            .unwrap_or(VatTable {
                source: String::new(),
                disclaimer: String::new(),
                countries: BTreeMap::new(),
                territories: BTreeMap::new(),
            })
    }

    pub fn is_member(&self, country: &str) -> bool {
        self.countries.contains_key(country)
    }

    /// The standard rate of `country` (or of a territory with its own rates) on `date`.
    pub fn rate(&self, country: &str, date: NaiveDate) -> Result<Decimal> {
        let c = self
            .countries
            .get(country)
            .or_else(|| self.territories.get(country))
            .ok_or_else(|| Error::Vat(format!("no VAT rates for `{country}`")))?;
        c.rates
            .iter()
            .rev()
            .find(|r| r.from <= date)
            .map(|r| r.standard)
            .ok_or_else(|| Error::Vat(format!("no {country} VAT rate in force on {date}")))
    }
}

/// The VAT category, with its UNCL 5305 code as used by EN 16931.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum VatCategory {
    /// S: standard rate.
    Standard,
    /// AE: VAT reverse charge.
    ReverseCharge,
    /// O: services outside the scope of tax.
    OutOfScope,
}

impl VatCategory {
    pub fn code(self) -> &'static str {
        match self {
            VatCategory::Standard => "S",
            VatCategory::ReverseCharge => "AE",
            VatCategory::OutOfScope => "O",
        }
    }
}

/// Why a document is being made: an invalid VAT number is an error on an invoice and a warning
/// (with consumer VAT) on an estimate or a quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Invoice,
    Estimate,
}

/// The decided treatment of one supply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Treatment {
    pub category: VatCategory,
    /// Percent.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub rate: Decimal,
    /// Whose VAT applies (ISO code), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The rule that decided, in words.
    pub reason: String,
    /// The legal mention the document must carry, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mention: Option<String>,
    /// What the caller should know (an invalid VAT number on an estimate).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

pub const REVERSE_CHARGE_MENTION: &str =
    "Autoliquidation / Reverse charge, Article 196 of Directive 2006/112/EC";
pub const OUT_OF_SCOPE_MENTION: &str = "TVA non applicable, services hors de l'Union europeenne / Out of scope of EU VAT: supply to a customer outside the EU";

pub const FRENCH_OVERSEAS_NO_VAT_MENTION: &str = "TVA non applicable, article 294 du CGI (Guyane, Mayotte) / VAT not applicable in Guyane and Mayotte";

/// The VAT territory a country belongs to: Monaco is taxed as France (Council Directive
/// 2006/112/EC, Article 7(1): transactions from or to Monaco are treated as from or to France).
/// Every other country is its own.
pub fn vat_territory(country: &str) -> &str {
    match territory::place(country, None) {
        territory::Place::Country(c) => c,
        _ => country,
    }
}

/// Decides the VAT treatment of a supply made on `supply_date`: first where the customer is
/// ([`territory::place`]: Monaco, the territories outside the EU VAT territory, the French
/// overseas departments), then the EU rules.
pub fn treatment(
    table: &VatTable,
    seller: &Seller,
    customer: &Customer,
    supply_date: NaiveDate,
    purpose: Purpose,
) -> Result<Treatment> {
    let postcode = customer
        .address
        .as_ref()
        .and_then(|a| a.postcode.as_deref());
    let out = |reason: String, mention: &str| {
        Ok(Treatment {
            category: VatCategory::OutOfScope,
            rate: Decimal::ZERO,
            country: None,
            reason,
            mention: Some(mention.to_string()),
            warnings: Vec::new(),
        })
    };
    if !table.is_member(&seller.country) {
        return Err(Error::Vat(format!(
            "the seller's country `{}` is not in the VAT table",
            seller.country
        )));
    }
    match territory::place(&customer.country, postcode) {
        territory::Place::Country(c) if c == customer.country => {
            treatment_in(table, seller, customer, supply_date, purpose)
        }
        // Monaco: a French customer for VAT; the document keeps the country written.
        territory::Place::Country(taxed_as) => {
            let as_taxed = Customer {
                country: taxed_as.to_string(),
                ..customer.clone()
            };
            let mut t = treatment_in(table, seller, &as_taxed, supply_date, purpose)?;
            t.reason = format!(
                "{} ({} is in the {taxed_as} VAT territory)",
                t.reason, customer.country
            );
            Ok(t)
        }
        territory::Place::OutsideEu(name, state) => out(
            format!(
                "customer in {name} ({state}), outside the EU VAT territory (Directive 2006/112/EC, article 6)"
            ),
            OUT_OF_SCOPE_MENTION,
        ),
        territory::Place::FrenchOverseas(code, name) if seller.country == "FR" => {
            // Guyane and Mayotte apply no VAT; the others their own rates, which the table
            // must have (never 0 % for want of a rate).
            if !matches!(code, "GF" | "YT") {
                Ok(Treatment {
                    category: VatCategory::Standard,
                    rate: table.rate(code, supply_date)?,
                    country: Some(code.to_string()),
                    reason: format!(
                        "customer in {name}, a French overseas department: its own rate (CGI article 296), paid by the seller (BOI-TVA-GEO-20-40)"
                    ),
                    mention: None,
                    warnings: Vec::new(),
                })
            } else {
                out(
                    format!(
                        "customer in {name}, a French overseas department where VAT does not apply (CGI article 294, 1)"
                    ),
                    FRENCH_OVERSEAS_NO_VAT_MENTION,
                )
            }
        }
        territory::Place::FrenchOverseas(_, name) => out(
            format!(
                "customer in {name}, a French overseas department, outside the EU VAT territory (Directive 2006/112/EC, article 6)"
            ),
            OUT_OF_SCOPE_MENTION,
        ),
    }
}

fn treatment_in(
    table: &VatTable,
    seller: &Seller,
    customer: &Customer,
    supply_date: NaiveDate,
    purpose: Purpose,
) -> Result<Treatment> {
    let mut warnings = Vec::new();
    let standard = |country: &str, reason: String, warnings: Vec<String>| -> Result<Treatment> {
        Ok(Treatment {
            category: VatCategory::Standard,
            rate: table.rate(country, supply_date)?,
            country: Some(country.to_string()),
            reason,
            mention: None,
            warnings,
        })
    };
    if customer.country == seller.country {
        return standard(
            &seller.country,
            format!("domestic supply in {}", seller.country),
            warnings,
        );
    }
    if !table.is_member(&customer.country) {
        return Ok(Treatment {
            category: VatCategory::OutOfScope,
            rate: Decimal::ZERO,
            country: None,
            reason: format!("customer in {}, outside the EU", customer.country),
            mention: Some(OUT_OF_SCOPE_MENTION.into()),
            warnings,
        });
    }
    // An EU customer outside the seller's country.
    if customer.kind == CustomerKind::Business {
        match customer
            .vat_number
            .as_deref()
            .map(|n| number::validate(&customer.country, n))
        {
            Some(Ok(())) => {
                return Ok(Treatment {
                    category: VatCategory::ReverseCharge,
                    rate: Decimal::ZERO,
                    country: None,
                    reason: format!(
                        "EU business in {} with a valid VAT number",
                        customer.country
                    ),
                    mention: Some(REVERSE_CHARGE_MENTION.into()),
                    warnings,
                });
            }
            Some(Err(why)) => match purpose {
                Purpose::Invoice => {
                    return Err(Error::Vat(format!("invalid customer VAT number: {why}")));
                }
                Purpose::Estimate => {
                    warnings.push(format!("invalid VAT number, consumer VAT applied: {why}"))
                }
            },
            None => warnings.push("EU business without a VAT number: consumer VAT applied".into()),
        }
    }
    if seller.oss_below_threshold {
        return standard(
            &seller.country,
            format!(
                "EU consumer in {}; seller under the 10,000 EUR OSS threshold keeps {} VAT",
                customer.country, seller.country
            ),
            warnings,
        );
    }
    standard(
        &customer.country,
        format!(
            "EU consumer in {}: destination VAT under OSS",
            customer.country
        ),
        warnings,
    )
}

#[cfg(test)]
mod builtin_tests {
    use super::*;

    /// A table without the overseas departments' rates cannot tax Guadeloupe: an error, never
    /// 0 % (Guyane and Mayotte, where no VAT applies, need no rate).
    #[test]
    fn an_overseas_rate_missing_is_an_error() {
        let mut t = VatTable::builtin();
        t.territories.clear();
        let seller: Seller = serde_json::from_str(r#"{"name": "S", "country": "FR"}"#).unwrap();
        let customer = |c: &str| Customer {
            name: "C".into(),
            country: c.into(),
            kind: CustomerKind::Consumer,
            vat_number: None,
            siren: None,
            address: None,
        };
        let day = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
        let e = treatment(&t, &seller, &customer("GP"), day, Purpose::Invoice).unwrap_err();
        assert_eq!(e.to_string(), "VAT: no VAT rates for `GP`");
        let gf = treatment(&t, &seller, &customer("GF"), day, Purpose::Invoice).unwrap();
        assert_eq!(gf.category, VatCategory::OutOfScope);
    }

    #[test]
    fn the_builtin_table_is_the_shipped_file_checked() {
        let t = VatTable::builtin();
        assert_eq!(t, VatTable::from_json(BUILTIN_TABLE).unwrap());
        assert_eq!(
            t.rate("FR", NaiveDate::from_ymd_opt(2026, 1, 31).unwrap())
                .unwrap()
                .to_string(),
            "20"
        );
    }
}
