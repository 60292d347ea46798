//! Catalogs: versioned price lists. A catalog file is one version of a price list, in force from
//! its `effective_from` instant. A [`PriceBook`] holds the versions of one price list, so that a
//! price change in the middle of a period splits the usage into segments, each at its own price.
//!
//! Parsing is strict: unknown fields are rejected and every error names the JSON path.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::time::{self, Period};

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

/// How a product is metered and rated. One variant per charge model; each lives in its own
/// module under `models/`.
// Written (and described in the schema) as an object tagged by `model`; read by
// `ChargeFields`, see there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(tag = "model", rename_all = "snake_case", deny_unknown_fields)]
pub enum Charge {
    /// Instances, IPs: billed for the time they run. Price: `unit_price` per hour.
    TimeMetered {
        granularity: Granularity,
        rounding: TimeRounding,
        /// Minimum billed duration of each run, in seconds.
        #[serde(default)]
        minimum_seconds: u32,
        billable: Billable,
        /// Never bill more than the region's `monthly_price` within one calendar month.
        #[serde(default)]
        monthly_cap: bool,
        /// Legacy: a run is billed at most this many hours in a period, then its price is frozen.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        freeze_after_hours: Option<u32>,
    },
    /// A fixed price per month. Price: `monthly_price`.
    MonthlyPlan { billing: PlanBilling },
    /// Stored quantities over time, priced per GB-month. Price: `unit_price` per GB-month.
    Storage {
        measure: Measure,
        rounding: TimeRounding,
    },
    /// Counted units: egress GB, requests, GB-seconds. Price: `unit_price` or `tiers`.
    Counter {
        /// The unit counted (`GB`, `request`, `GB-s`).
        unit: String,
        /// Units priced together: `1000000` prices per million requests.
        #[serde(default = "one", with = "rust_decimal::serde::str")]
        #[schemars(with = "String")]
        price_per: Decimal,
        /// Free units per account and period, before any tier.
        #[serde(default, with = "rust_decimal::serde::str")]
        #[schemars(with = "String")]
        free_allowance: Decimal,
        /// How `tiers` apply; `none` uses `unit_price`.
        #[serde(default)]
        tiering: Tiering,
        /// For `package` tiering: units per started package.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "rust_decimal::serde::str_option"
        )]
        #[schemars(with = "Option<String>")]
        package_size: Option<Decimal>,
    },
    /// A flat fee per resource per month it exists in. Price: `monthly_price`.
    Flat {},
}

fn one() -> Decimal {
    Decimal::ONE
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Model {
    TimeMetered,
    MonthlyPlan,
    Storage,
    Counter,
    Flat,
}

/// How a `charge` object is read: every model's fields in one flat struct, then the model's
/// own fields checked, with serde's words for an unknown or missing field. Serde's derived
/// reader for a tagged enum buffers the whole object first: it loses the line and column of
/// errors, and costs the calculator's WebAssembly about 4 KB gzipped.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChargeFields {
    model: Model,
    granularity: Option<Granularity>,
    rounding: Option<TimeRounding>,
    minimum_seconds: Option<u32>,
    billable: Option<Billable>,
    monthly_cap: Option<bool>,
    freeze_after_hours: Option<u32>,
    billing: Option<PlanBilling>,
    measure: Option<Measure>,
    unit: Option<String>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    price_per: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    free_allowance: Option<Decimal>,
    tiering: Option<Tiering>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    package_size: Option<Decimal>,
}

impl ChargeFields {
    /// The fields each model takes, in the order of its variant.
    fn allowed(model: Model) -> &'static [&'static str] {
        match model {
            Model::TimeMetered => &[
                "granularity",
                "rounding",
                "minimum_seconds",
                "billable",
                "monthly_cap",
                "freeze_after_hours",
            ],
            Model::MonthlyPlan => &["billing"],
            Model::Storage => &["measure", "rounding"],
            Model::Counter => &[
                "unit",
                "price_per",
                "free_allowance",
                "tiering",
                "package_size",
            ],
            Model::Flat => &[],
        }
    }

    fn into_charge<E: serde::de::Error>(self) -> std::result::Result<Charge, E> {
        let f = self;
        let present = [
            ("granularity", f.granularity.is_some()),
            ("rounding", f.rounding.is_some()),
            ("minimum_seconds", f.minimum_seconds.is_some()),
            ("billable", f.billable.is_some()),
            ("monthly_cap", f.monthly_cap.is_some()),
            ("freeze_after_hours", f.freeze_after_hours.is_some()),
            ("billing", f.billing.is_some()),
            ("measure", f.measure.is_some()),
            ("unit", f.unit.is_some()),
            ("price_per", f.price_per.is_some()),
            ("free_allowance", f.free_allowance.is_some()),
            ("tiering", f.tiering.is_some()),
            ("package_size", f.package_size.is_some()),
        ];
        let allowed = ChargeFields::allowed(f.model);
        if let Some((name, _)) = present.iter().find(|(n, p)| *p && !allowed.contains(n)) {
            return Err(E::unknown_field(name, allowed));
        }
        fn need<T, E: serde::de::Error>(
            v: Option<T>,
            name: &'static str,
        ) -> std::result::Result<T, E> {
            v.ok_or_else(|| E::missing_field(name))
        }
        Ok(match f.model {
            Model::TimeMetered => Charge::TimeMetered {
                granularity: need(f.granularity, "granularity")?,
                rounding: need(f.rounding, "rounding")?,
                minimum_seconds: f.minimum_seconds.unwrap_or(0),
                billable: need(f.billable, "billable")?,
                monthly_cap: f.monthly_cap.unwrap_or(false),
                freeze_after_hours: f.freeze_after_hours,
            },
            Model::MonthlyPlan => Charge::MonthlyPlan {
                billing: need(f.billing, "billing")?,
            },
            Model::Storage => Charge::Storage {
                measure: need(f.measure, "measure")?,
                rounding: need(f.rounding, "rounding")?,
            },
            Model::Counter => Charge::Counter {
                unit: need(f.unit, "unit")?,
                price_per: f.price_per.unwrap_or_else(one),
                free_allowance: f.free_allowance.unwrap_or_default(),
                tiering: f.tiering.unwrap_or_default(),
                package_size: f.package_size,
            },
            Model::Flat => Charge::Flat {},
        })
    }
}

impl<'de> Deserialize<'de> for Charge {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        ChargeFields::deserialize(d)?.into_charge()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    Second,
    Minute,
    Hour,
}

impl Granularity {
    pub fn seconds(self) -> i64 {
        match self {
            Granularity::Second => 1,
            Granularity::Minute => 60,
            Granularity::Hour => 3600,
        }
    }
}

/// How a partial unit of time is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeRounding {
    /// ceil(duration / unit), counted from the start of the run.
    Elapsed,
    /// Every clock unit the run touches is due.
    Clock,
}

/// Which states of a resource are billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Billable {
    /// Only while running: a stop ends the run.
    Running,
    /// From create (first start) to delete, whatever the state: a stop does not end the run.
    CreateToDelete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanBilling {
    /// Each month is billed at its start; the prorated first month at order.
    InAdvance,
    /// Each month is billed after it ends.
    InArrears,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// The provisioned size, set by `start` and `sample` events (block volumes).
    Provisioned,
    /// The largest sample seen in each hour (object storage).
    MaxPerHour,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tiering {
    /// One `unit_price` for every unit.
    #[default]
    None,
    /// Each tier prices the units that fall in it.
    Graduated,
    /// The tier the period's total reaches prices every unit.
    Volume,
    /// `unit_price` per started package of `package_size` units.
    Package,
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

    /// Checks what the types cannot say: references, required prices, signs and tier order.
    pub fn validate(&self) -> Result<()> {
        if self.id.is_empty() {
            return Err(self.err("id", "must not be empty"));
        }
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(self.err(
                "currency",
                format!("`{}` is not an ISO 4217 code", self.currency),
            ));
        }
        if self.regions.is_empty() {
            return Err(self.err("regions", "at least one region is required"));
        }
        let mut regions = BTreeSet::new();
        for (i, r) in self.regions.iter().enumerate() {
            if !regions.insert(r.id.as_str()) {
                return Err(self.err(
                    format!("regions[{i}].id"),
                    format!("region `{}` is listed twice", r.id),
                ));
            }
        }
        let mut skus = BTreeSet::new();
        for (i, p) in self.products.iter().enumerate() {
            let at = |field: &str| format!("products[{i}].{field}");
            if p.sku.is_empty() {
                return Err(self.err(at("sku"), "must not be empty"));
            }
            if !skus.insert(p.sku.as_str()) {
                return Err(self.err(at("sku"), format!("sku `{}` is listed twice", p.sku)));
            }
            if p.prices.is_empty() {
                return Err(self.err(at("prices"), "at least one region price is required"));
            }
            self.validate_charge(i, p)?;
            for (region, price) in &p.prices {
                let at = |field: &str| format!("products[{i}].prices.{region}{field}");
                if !regions.contains(region.as_str()) {
                    return Err(self.err(at(""), format!("region `{region}` is not in `regions`")));
                }
                self.validate_price(&p.charge, price, &at)?;
            }
        }
        for (i, p) in self.products.iter().enumerate() {
            if let Some(of) = &p.plan_of {
                let ok = matches!(p.charge, Charge::MonthlyPlan { .. })
                    && matches!(
                        self.product(of).map(|t| &t.charge),
                        Some(Charge::TimeMetered { .. })
                    );
                if !ok {
                    return Err(self.err(
                        format!("products[{i}].plan_of"),
                        format!(
                            "`{of}` must be a time_metered sku, and `{}` a monthly_plan product",
                            p.sku
                        ),
                    ));
                }
            }
            if let Some(e) = &p.egress_sku
                && !matches!(
                    self.product(e).map(|t| &t.charge),
                    Some(Charge::Counter { .. })
                )
            {
                return Err(self.err(
                    format!("products[{i}].egress_sku"),
                    format!("`{e}` must be a counter sku"),
                ));
            }
        }
        Ok(())
    }

    fn validate_charge(&self, i: usize, p: &Product) -> Result<()> {
        let at = |field: &str| format!("products[{i}].charge.{field}");
        match &p.charge {
            Charge::TimeMetered {
                monthly_cap,
                freeze_after_hours,
                ..
            } => {
                if *monthly_cap && p.prices.values().any(|pr| pr.monthly_price.is_none()) {
                    return Err(self.err(
                        at("monthly_cap"),
                        "a monthly cap needs a `monthly_price` in every region",
                    ));
                }
                if *freeze_after_hours == Some(0) {
                    return Err(self.err(at("freeze_after_hours"), "must be at least 1"));
                }
            }
            Charge::Counter {
                unit,
                price_per,
                free_allowance,
                tiering,
                package_size,
            } => {
                if unit.is_empty() {
                    return Err(self.err(at("unit"), "must not be empty"));
                }
                if *price_per <= Decimal::ZERO {
                    return Err(self.err(at("price_per"), "must be greater than zero"));
                }
                if let Err(m) = crate::num::within(*free_allowance, crate::num::MAX_QUANTITY, "") {
                    return Err(self.err(at("free_allowance"), m.trim_start().to_string()));
                }
                if *price_per > crate::num::MAX_QUANTITY
                    || package_size.is_some_and(|s| s > crate::num::MAX_QUANTITY)
                {
                    return Err(self.err(
                        at("price_per"),
                        format!(
                            "price_per and package_size must be at most {}",
                            crate::num::MAX_QUANTITY
                        ),
                    ));
                }
                match (tiering, package_size) {
                    (Tiering::Package, Some(s)) if *s > Decimal::ZERO => {}
                    (Tiering::Package, _) => {
                        return Err(self.err(
                            at("package_size"),
                            "package tiering needs a package_size above zero",
                        ));
                    }
                    (_, Some(_)) => {
                        return Err(self.err(
                            at("package_size"),
                            "only package tiering takes a package_size",
                        ));
                    }
                    _ => {}
                }
            }
            Charge::MonthlyPlan { .. } | Charge::Storage { .. } | Charge::Flat {} => {}
        }
        Ok(())
    }

    fn validate_price(
        &self,
        charge: &Charge,
        price: &Price,
        at: &dyn Fn(&str) -> String,
    ) -> Result<()> {
        for (name, v) in [
            ("unit_price", price.unit_price),
            ("monthly_price", price.monthly_price),
        ] {
            if let Some(Err(m)) = v.map(|v| crate::num::within(v, crate::num::MAX_PRICE, "")) {
                return Err(self.err(at(&format!(".{name}")), m.trim_start().to_string()));
            }
        }
        let needs_unit = match charge {
            Charge::TimeMetered { .. } | Charge::Storage { .. } => true,
            Charge::Counter { tiering, .. } => matches!(tiering, Tiering::None | Tiering::Package),
            Charge::MonthlyPlan { .. } | Charge::Flat {} => false,
        };
        if needs_unit && price.unit_price.is_none() {
            return Err(self.err(at(".unit_price"), "required for this charge model"));
        }
        if matches!(charge, Charge::MonthlyPlan { .. } | Charge::Flat {})
            && price.monthly_price.is_none()
        {
            return Err(self.err(at(".monthly_price"), "required for this charge model"));
        }
        let tiered = matches!(
            charge,
            Charge::Counter {
                tiering: Tiering::Graduated | Tiering::Volume,
                ..
            }
        );
        match (&price.tiers, tiered) {
            (None, true) => {
                return Err(self.err(at(".tiers"), "required for graduated or volume tiering"));
            }
            (Some(_), false) => {
                return Err(self.err(at(".tiers"), "only graduated or volume counters take tiers"));
            }
            (Some(tiers), true) => {
                if tiers.is_empty() {
                    return Err(self.err(at(".tiers"), "at least one tier is required"));
                }
                let mut prev = Decimal::ZERO;
                for (k, t) in tiers.iter().enumerate() {
                    let last = k.saturating_add(1) == tiers.len();
                    if let Err(m) = crate::num::within(t.unit_price, crate::num::MAX_PRICE, "") {
                        return Err(self.err(
                            at(&format!(".tiers[{k}].unit_price")),
                            m.trim_start().to_string(),
                        ));
                    }
                    match (t.up_to, last) {
                        (None, true) => {}
                        (None, false) => {
                            return Err(self.err(
                                at(&format!(".tiers[{k}].up_to")),
                                "only the last tier may be unbounded",
                            ));
                        }
                        (Some(_), true) => {
                            return Err(self.err(
                                at(&format!(".tiers[{k}].up_to")),
                                "the last tier must be unbounded",
                            ));
                        }
                        (Some(u), false) => {
                            if u <= prev {
                                return Err(self.err(
                                    at(&format!(".tiers[{k}].up_to")),
                                    "tiers must increase",
                                ));
                            }
                            prev = u;
                        }
                    }
                }
            }
            (None, false) => {}
        }
        Ok(())
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

/// The versions of one price list, ordered by `effective_from`. Rating picks, for each segment of
/// usage, the version in force at the segment's start. Only prices may change between versions:
/// the charge rules of a sku must stay the same, so that metering does not depend on the date.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceBook {
    versions: Vec<Catalog>,
}

impl PriceBook {
    pub fn new(versions: Vec<Catalog>) -> Result<Self> {
        if versions.is_empty() {
            return Err(Error::PriceBook(
                "at least one catalog version is required".into(),
            ));
        }
        // In force order, equal instants in the order given (reported below). Insertion keeps
        // it stable without a sort routine: a price book has a handful of versions.
        let mut sorted: Vec<Catalog> = Vec::with_capacity(versions.len());
        for c in versions {
            let at = sorted.partition_point(|s| s.effective_from <= c.effective_from);
            sorted.insert(at, c);
        }
        let versions = sorted;
        let first = &versions[0];
        for v in &versions[1..] {
            if v.id != first.id || v.currency != first.currency {
                return Err(Error::PriceBook(format!(
                    "{} and {} are not versions of one price list (id and currency must match)",
                    first.reference(),
                    v.reference()
                )));
            }
        }
        for pair in versions.windows(2) {
            if pair[0].effective_from == pair[1].effective_from {
                return Err(Error::PriceBook(format!(
                    "{} and {} take effect at the same instant",
                    pair[0].reference(),
                    pair[1].reference()
                )));
            }
            for p in &pair[1].products {
                if let Some(old) = pair[0].product(&p.sku)
                    && old.charge != p.charge
                {
                    return Err(Error::PriceBook(format!(
                        "the charge rules of sku `{}` differ between {} and {}: only prices may change",
                        p.sku,
                        pair[0].reference(),
                        pair[1].reference()
                    )));
                }
            }
        }
        Ok(PriceBook { versions })
    }

    pub fn single(catalog: Catalog) -> Self {
        PriceBook {
            versions: vec![catalog],
        }
    }

    pub fn id(&self) -> &str {
        &self.versions[0].id
    }

    pub fn currency(&self) -> &str {
        &self.versions[0].currency
    }

    pub fn versions(&self) -> &[Catalog] {
        &self.versions
    }

    /// The version in force at `t`, if any.
    pub fn at(&self, t: DateTime<Utc>) -> Option<&Catalog> {
        self.versions.iter().rev().find(|c| c.effective_from <= t)
    }

    /// The newest version that knows the sku: where its charge rules are read.
    pub fn product(&self, sku: &str) -> Option<&Product> {
        self.versions.iter().rev().find_map(|c| c.product(sku))
    }

    pub fn has_region(&self, region: &str) -> bool {
        self.versions.iter().any(|c| c.has_region(region))
    }

    /// The period cut at each version boundary inside it. Errors if no version is in force at the
    /// start of the period.
    pub fn segments(&self, period: &Period) -> Result<Vec<Period>> {
        if self.at(period.start).is_none() {
            return Err(Error::PriceBook(format!(
                "no version of catalog `{}` is in force at {} (the first takes effect at {})",
                self.id(),
                time::format_instant(&period.start),
                time::format_instant(&self.versions[0].effective_from)
            )));
        }
        let mut cuts: Vec<DateTime<Utc>> = self
            .versions
            .iter()
            .map(|c| c.effective_from)
            .filter(|t| period.start < *t && *t < period.end)
            .collect();
        cuts.push(period.end);
        let mut start = period.start;
        let mut out = Vec::with_capacity(cuts.len());
        for end in cuts {
            out.push(Period { start, end });
            start = end;
        }
        Ok(out)
    }

    /// The price of `sku` in `region` in force at `t`, with the version that set it.
    pub fn price(&self, sku: &str, region: &str, t: DateTime<Utc>) -> Result<(&Catalog, &Price)> {
        let no_price = |catalog: String, message: String| Error::NoPrice {
            catalog,
            sku: sku.to_string(),
            region: region.to_string(),
            message,
        };
        let catalog = self.at(t).ok_or_else(|| {
            no_price(
                self.id().to_string(),
                format!("no version in force at {}", time::format_instant(&t)),
            )
        })?;
        let product = catalog.product(sku).ok_or_else(|| {
            no_price(catalog.reference(), "the sku is not in this version".into())
        })?;
        let price = product.prices.get(region).ok_or_else(|| {
            no_price(
                catalog.reference(),
                "the sku has no price in this region".into(),
            )
        })?;
        Ok((catalog, price))
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
                tiering: Tiering::Graduated,
                package_size: None,
            }
        );
        assert_eq!(read(r#"{"model":"flat"}"#).unwrap(), Charge::Flat {});
        // Every model written and read back is the same charge.
        for text in [
            include_str!("../../catalog/stratus-2026-01.json"),
            include_str!("../../catalog/nimbus-2026-01.json"),
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
             `billable`, `monthly_cap`, `freeze_after_hours`"
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
            include_str!("../../catalog/stratus-2026-01.json"),
            include_str!("../../catalog/stratus-2026-03.json"),
            include_str!("../../catalog/nimbus-2026-01.json"),
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
