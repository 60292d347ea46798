//! Catalogs: versioned price lists. A catalog file is one version of a price list, in force from
//! its `effective_from` instant. A [`PriceBook`] holds the versions of one price list, so that a
//! price change in the middle of a period splits the usage into segments, each at its own price.
//!
//! Parsing is strict: unknown fields are rejected and every error names the JSON path.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::time::{self};

mod charge;
mod price_book;
mod validate;

pub use charge::{
    Billable, Charge, CommitmentKind, Dimension, Eligible, FunctionCounter, Granularity, Included,
    Measure, PlanBilling, Tiering, TimeRounding,
};
pub use price_book::PriceBook;

/// One version of a price list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Stable identifier of the price list, shared by all its versions (`nimbus`).
    pub id: String,
    /// Human name of the provider or price list.
    pub name: String,
    /// Version label of this price list (`2026-01`).
    pub version: String,
    /// The instant from which this version is in force (RFC 3339 with an offset).
    #[serde(with = "time::instant")]
    #[schemars(with = "String")]
    pub effective_from: DateTime<Utc>,
    /// ISO 4217 code of every price in this catalog.
    pub currency: String,
    /// How many hours a month has when a per-month price is turned into an hourly one.
    pub hours_per_month: HoursPerMonth,
    /// Where the prices come from.
    pub source: String,
    /// What the prices are worth (sample prices are not contractual).
    pub disclaimer: String,
    pub regions: Vec<Region>,
    pub products: Vec<Product>,
    /// Which resources this version's prices apply to from its date: `all` (the default:
    /// every resource's usage from then on), or `new_resources` (only resources created on or
    /// after its date; existing ones keep the price they were ordered at, as providers that
    /// fix a price at order do).
    #[serde(default, skip_serializing_if = "AppliesTo::is_all")]
    pub applies_to: AppliesTo,
}

/// Which resources a version's prices apply to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppliesTo {
    #[default]
    All,
    NewResources,
}

impl AppliesTo {
    fn is_all(&self) -> bool {
        *self == AppliesTo::All
    }
}

/// The hours-per-month convention. Providers differ, so the catalog says which one it uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum HoursPerMonth {
    /// 30 days of 24 hours.
    #[serde(rename = "720")]
    H720,
    /// 365 x 24 / 12.
    #[serde(rename = "730")]
    H730,
    /// The actual hours of the calendar month (672 to 744).
    #[serde(rename = "actual")]
    Actual,
}

impl HoursPerMonth {
    /// The divisor that turns a per-month price into a per-hour price for the hour starting at `t`.
    pub fn hours_at(self, t: DateTime<Utc>) -> i64 {
        match self {
            HoursPerMonth::H720 => 720,
            HoursPerMonth::H730 => 730,
            HoursPerMonth::Actual => time::hours_in_month(t),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Region {
    pub id: String,
    pub name: String,
}

/// A product (a sku): what is sold, how it is metered, and its price per region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub sku: String,
    /// The service the product belongs to, for subtotals (`Instances`, `Block storage`).
    pub service: String,
    /// Product family, for filtering (`DEV1`, `B2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    pub description: String,
    /// The description in French, for pages shown in French (the English one otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_fr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vcpu: Option<u32>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    #[schemars(with = "Option<String>")]
    pub ram_gib: Option<Decimal>,
    /// For a monthly-plan product: the sku of the hourly product it is the monthly plan of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_of: Option<String>,
    /// For a storage product: the counter sku its outgoing traffic is billed under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress_sku: Option<String>,
    pub charge: Charge,
    /// Prices by region id.
    pub prices: BTreeMap<String, Price>,
}

/// A price in one region. Which fields are required depends on the charge model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Price {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    #[schemars(with = "Option<String>")]
    pub unit_price: Option<Decimal>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    #[schemars(with = "Option<String>")]
    pub monthly_price: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiers: Option<Vec<Tier>>,
}

/// One tier: units up to `up_to` (cumulative, exclusive of the previous tier) at `unit_price`.
/// The last tier has no `up_to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    #[schemars(with = "Option<String>")]
    pub up_to: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub unit_price: Decimal,
}

impl Catalog {
    /// Parses and validates one catalog version from JSON text.
    pub fn from_json(text: &str) -> Result<Catalog> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let catalog: Catalog = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            Error::Catalog {
                catalog: guess_id(text),
                path: if path == "." {
                    "(document)".into()
                } else {
                    path
                },
                message: e.into_inner().to_string(),
            }
        })?;
        catalog.validate()?;
        Ok(catalog)
    }

    /// Parses and validates a catalog the program ships (embedded, and checked by tests): the
    /// same types and checks as [`Catalog::from_json`], but a syntax or type error says line
    /// and column rather than the JSON path. Tracking the path costs the calculator's
    /// WebAssembly about 10 KB gzipped, for errors its own catalogs cannot have.
    pub fn from_shipped_json(text: &str) -> Result<Catalog> {
        let catalog: Catalog = serde_json::from_str(text).map_err(|e| Error::Catalog {
            catalog: guess_id(text),
            path: "(document)".into(),
            message: e.to_string(),
        })?;
        catalog.validate()?;
        Ok(catalog)
    }

    /// `id@version`, the name a document cites.
    pub fn reference(&self) -> String {
        format!("{}@{}", self.id, self.version)
    }

    pub fn product(&self, sku: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.sku == sku)
    }

    pub fn has_region(&self, region: &str) -> bool {
        self.regions.iter().any(|r| r.id == region)
    }

    fn err(&self, path: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Catalog {
            catalog: self.reference(),
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Best effort at naming a catalog whose JSON did not parse.
fn guess_id(text: &str) -> String {
    #[derive(Deserialize)]
    struct Id {
        id: Option<String>,
        version: Option<String>,
    }
    match serde_json::from_str::<Id>(text) {
        Ok(Id {
            id: Some(id),
            version: Some(v),
        }) => format!("{id}@{v}"),
        Ok(Id { id: Some(id), .. }) => id,
        _ => "(unnamed)".into(),
    }
}

/// The JSON Schema of a catalog file, generated from the types above.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Catalog);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Period;

    fn minimal(extra: &str) -> String {
        format!(
            r#"{{"id":"t","name":"T","version":"1","effective_from":"2026-01-01T00:00:00Z","currency":"EUR",
            "hours_per_month":"730","source":"s","disclaimer":"d","regions":[{{"id":"r1","name":"R1"}}],
            "products":[{{"sku":"vm","service":"Instances","description":"vm",
            "charge":{{"model":"time_metered","granularity":"hour","rounding":"clock","billable":"running"}},
            "prices":{{"r1":{{"unit_price":"0.1"{extra}}}}}}}]}}"#
        )
    }

    #[test]
    fn parses_a_minimal_catalog() {
        let c = Catalog::from_json(&minimal("")).unwrap();
        assert_eq!(c.reference(), "t@1");
        assert_eq!(c.hours_per_month.hours_at(c.effective_from), 730);
    }

    #[test]
    fn charges_read_each_model_with_its_own_fields() {
        let read = |json: &str| serde_json::from_str::<Charge>(json).map_err(|e| e.to_string());
        assert_eq!(
            read(r#"{"model":"counter","unit":"GB","tiering":"graduated"}"#).unwrap(),
            Charge::Counter {
                unit: "GB".into(),
                price_per: Decimal::ONE,
                free_allowance: Decimal::ZERO,
                allowance_in_first_tier: false,
                included: Vec::new(),
                tiering: Tiering::Graduated,
                package_size: None,
                function: None,
            }
        );
        assert_eq!(read(r#"{"model":"flat"}"#).unwrap(), Charge::Flat {});
        // Every model written and read back is the same charge.
        for text in [
            include_str!("../../../catalog/stratus-2026-01.json"),
            include_str!("../../../catalog/nimbus-2026-01.json"),
        ] {
            for p in Catalog::from_json(text).unwrap().products {
                let json = serde_json::to_string(&p.charge).unwrap();
                assert_eq!(read(&json).unwrap(), p.charge, "{json}");
            }
        }
        assert_eq!(
            read(r#"{"model":"time_metered","granularity":"hour","rounding":"clock","billable":"running","tiering":"none"}"#)
                .unwrap_err(),
            "unknown field `tiering`, expected one of `granularity`, `rounding`, `minimum_seconds`, \
             `billable`, `monthly_cap`, `freeze_after_hours`, `sustained_use`, `spot`"
        );
        assert_eq!(
            read(r#"{"model":"storage","measure":"provisioned"}"#).unwrap_err(),
            "missing field `rounding`"
        );
        assert_eq!(
            read(r#"{"model":"flat","unit":"GB"}"#).unwrap_err(),
            "unknown field `unit`, there are no fields"
        );
        assert!(
            read(r#"{"model":"monthly_plan","billing":"in_advance","colour":"red"}"#)
                .unwrap_err()
                .starts_with("unknown field `colour`, expected one of `model`, `granularity`"),
        );
        assert!(
            read(r#"{"billing":"in_advance"}"#)
                .unwrap_err()
                .starts_with("missing field `model`")
        );
        assert!(
            read(r#"{"model":"spot"}"#)
                .unwrap_err()
                .starts_with("unknown variant `spot`, expected one of `time_metered`")
        );
        // In a catalog, the error names the charge's path.
        let text = minimal("").replace(
            r#""billable":"running""#,
            r#""billable":"running","unit":"h""#,
        );
        let e = Catalog::from_json(&text).unwrap_err().to_string();
        assert!(
            e.starts_with("catalog t@1: products[0].charge: unknown field `unit`, expected one of `granularity`"),
            "{e}"
        );
    }

    #[test]
    fn shipped_catalogs_read_the_same_either_way() {
        for text in [
            include_str!("../../../catalog/stratus-2026-01.json"),
            include_str!("../../../catalog/stratus-2026-03.json"),
            include_str!("../../../catalog/nimbus-2026-01.json"),
        ] {
            assert_eq!(
                Catalog::from_shipped_json(text).unwrap(),
                Catalog::from_json(text).unwrap()
            );
        }
        // Same checks, only the syntax error's place is told another way.
        let e = Catalog::from_shipped_json(&minimal(r#","colour":"red""#))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("catalog t@1: (document): unknown field `colour`")
                && e.contains("line 5"),
            "{e}"
        );
    }

    #[test]
    fn unknown_field_names_its_path() {
        let e = Catalog::from_json(&minimal(r#","colour":"red""#))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("catalog t@1: products[0].prices.r1.colour: unknown field `colour`"),
            "{e}"
        );
    }

    #[test]
    fn float_price_is_refused() {
        let text = minimal("").replace(r#""unit_price":"0.1""#, r#""unit_price":0.1"#);
        let e = Catalog::from_json(&text).unwrap_err().to_string();
        assert!(e.contains("products[0].prices.r1.unit_price"), "{e}");
    }

    #[test]
    fn negative_price_is_refused() {
        let text = minimal("").replace("0.1", "-0.1");
        let e = Catalog::from_json(&text).unwrap_err().to_string();
        assert_eq!(
            e,
            "catalog t@1: products[0].prices.r1.unit_price: must not be negative (got -0.1)"
        );
    }

    #[test]
    fn effective_date_needs_an_offset() {
        let text = minimal("").replace("2026-01-01T00:00:00Z", "2026-01-01T00:00:00");
        let e = Catalog::from_json(&text).unwrap_err().to_string();
        assert!(
            e.contains("effective_from") && e.contains("no UTC offset"),
            "{e}"
        );
    }

    #[test]
    fn segments_split_at_version_boundaries() {
        let a = Catalog::from_json(&minimal("")).unwrap();
        let mut b = a.clone();
        b.version = "2".into();
        b.effective_from = time::parse_instant("2026-01-15T00:00:00Z").unwrap();
        let book = PriceBook::new(vec![b, a]).unwrap();
        let segs = book.segments(&Period::parse("2026-01").unwrap()).unwrap();
        assert_eq!(segs.len(), 2);
        assert_eq!(time::format_instant(&segs[1].start), "2026-01-15T00:00:00Z");
        let e = book
            .segments(&Period::parse("2025-12").unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no version of catalog `t` is in force at 2025-12-01T00:00:00Z"),
            "{e}"
        );
    }

    #[test]
    fn versions_are_put_in_force_order_and_equal_instants_are_refused() {
        let a = Catalog::from_json(&minimal("")).unwrap();
        let at = |v: &str, t: &str| {
            let mut c = a.clone();
            c.version = v.into();
            c.effective_from = time::parse_instant(t).unwrap();
            c
        };
        let book = PriceBook::new(vec![
            at("3", "2026-03-01T00:00:00Z"),
            a.clone(),
            at("2", "2026-02-01T00:00:00Z"),
        ])
        .unwrap();
        let order: Vec<String> = book.versions().iter().map(|c| c.version.clone()).collect();
        assert_eq!(order, ["1", "2", "3"]);
        // Equal instants are named in the order they were given.
        let e = PriceBook::new(vec![
            at("3", "2026-03-01T00:00:00Z"),
            at("b", "2026-02-01T00:00:00Z"),
            a.clone(),
            at("a", "2026-02-01T00:00:00Z"),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("t@b and t@a take effect at the same instant"),
            "{e}"
        );
    }
}
