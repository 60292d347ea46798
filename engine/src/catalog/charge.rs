//! A product's `charge`: its model and settings, and how it is read (one flat struct, then the
//! model's own fields checked, for exact error positions and a smaller calculator).

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
        /// Sustained use (GCP): the percent of the price paid for each further equal part of a
        /// calendar month a resource runs (`["100", "80", "60", "40"]`: the first quarter of
        /// the month at the full price, the next at 80 %...); none when empty.
        #[serde(
            default,
            skip_serializing_if = "Vec::is_empty",
            with = "crate::num::exact_list"
        )]
        #[schemars(with = "Vec<String>")]
        sustained_use: Vec<Decimal>,
        /// Spot or preemptible: a run the provider interrupts within its first hour (its end
        /// event tagged `interrupted_by: provider`) costs nothing; a run the customer ends is
        /// billed as usual.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        spot: bool,
    },
    /// A fixed price per month. Price: `monthly_price`.
    MonthlyPlan { billing: PlanBilling },
    /// Stored quantities over time, priced per GB-month. Price: `unit_price` per GB-month.
    Storage {
        measure: Measure,
        rounding: TimeRounding,
        /// A minimum storage duration in days (archive tiers): a resource deleted sooner is
        /// billed, when deleted, for the rest of it at its size then.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        minimum_days: Option<u32>,
        /// Measured to the second (or minute) instead of by started hours (EBS: "billed per
        /// second, with a 60-second minimum"): a provisioned size only, each life rounded up to
        /// the unit and at least `minimum_seconds`. `rounding` then does not apply.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        granularity: Option<Granularity>,
        #[serde(default, skip_serializing_if = "is_zero_u32")]
        minimum_seconds: u32,
        /// What is measured, for the unit's name (`GB` by default; `IOPS`, `MB/s`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<String>,
        /// Further provisioned dimensions of the resource (EBS gp3's IOPS and throughput), each
        /// set on `start` and `sample` events and priced by its own storage sku above a free
        /// `baseline` per resource.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        dimensions: Vec<Dimension>,
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
        /// The free units count inside the first tier's range (AWS data transfer out: the first
        /// 100 GB are free, and the first tier still ends at 10 TB of the month's total) rather
        /// than before the tiers (the tiers then start after the free units). Graduated or
        /// volume tiering only.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        allowance_in_first_tier: bool,
        /// Included units that resources bring (DigitalOcean, Hetzner traffic): each resource
        /// of `sku` brings `per_month` units a month in proportion to its hours (over the
        /// catalog's hours per month), pooled across the account's resources in the counter's
        /// region and added to the free allowance.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        included: Vec<Included>,
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
        /// A serverless counter of GB-seconds: its increments may carry a function's use
        /// (invocations or provisioned concurrency, duration, memory) instead of a quantity.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        function: Option<FunctionCounter>,
    },
    /// A flat fee per resource per month it exists in. Price: `monthly_price`.
    Flat {},
    /// A share of the month's spend (a support plan, a management fee), for every calendar month
    /// the subscription exists in: graduated `tiers` of the spend, each `unit_price` a rate
    /// (`0.10` is 10 %), and `monthly_price` as a minimum (none when absent). Rated after the
    /// lines it reads: the account's lines of the month in `services` (all other services when
    /// empty), at their rated amounts, before discounts and credits.
    ShareOfSpend {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        services: Vec<String>,
    },
    /// A spend commitment (a savings plan): the customer commits an amount per hour (AWS) or per
    /// month (Scaleway) for `term_months`, bought by a `start` event whose `quantity` is the
    /// amount and whose tag `upfront` is `none` (the default), `partial` or `all`. Each hour (or
    /// month) the commitment covers the account's eligible usage at the plan's rate (the on-demand
    /// price less `percent`), highest percent first; the rest is on demand, and what the
    /// commitment leaves unused is still owed. No price fields: the plan's regions are where it
    /// is sold, and it covers eligible usage in every region.
    SavingsPlan {
        commitment: CommitmentKind,
        term_months: u32,
        /// The share of the term's commitment a `partial` upfront pays at the start.
        #[serde(default = "half", with = "rust_decimal::serde::str")]
        #[schemars(with = "String")]
        partial_upfront_percent: Decimal,
        /// The time-metered skus the plan covers, each with its savings percentage.
        eligible: Vec<Eligible>,
    },
}

/// Units a resource of `sku` brings to a counter's allowance each month it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Included {
    pub sku: String,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub per_month: Decimal,
}

/// A counter of a function's GB-seconds. `requests`: the counter sku that takes the
/// invocations as requests (none for provisioned concurrency, which makes no request).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FunctionCounter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<String>,
}

/// A provisioned dimension of a storage resource: events carry it as `dimensions.<name>`, and
/// what exceeds `baseline` is billed by `sku` (a provisioned storage product of the same
/// granularity) for as long as it is provisioned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    pub name: String,
    pub sku: String,
    #[serde(default, with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub baseline: Decimal,
}

fn is_zero_u32(v: &u32) -> bool {
    *v == 0
}

/// What a commitment amount is per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommitmentKind {
    /// An amount per hour, applied hour by hour (AWS Savings Plans).
    Hourly,
    /// An amount per calendar month, applied to the month's usage (Scaleway savings plans).
    Monthly,
}

/// A sku a savings plan covers, at its on-demand price less `percent`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Eligible {
    pub sku: String,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub percent: Decimal,
}

fn half() -> Decimal {
    Decimal::from(50)
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
    ShareOfSpend,
    SavingsPlan,
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
    #[serde(default, with = "crate::num::exact_list")]
    sustained_use: Vec<Decimal>,
    spot: Option<bool>,
    billing: Option<PlanBilling>,
    measure: Option<Measure>,
    minimum_days: Option<u32>,
    unit: Option<String>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    price_per: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    free_allowance: Option<Decimal>,
    allowance_in_first_tier: Option<bool>,
    included: Option<Vec<Included>>,
    tiering: Option<Tiering>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    package_size: Option<Decimal>,
    function: Option<FunctionCounter>,
    dimensions: Option<Vec<Dimension>>,
    services: Option<Vec<String>>,
    commitment: Option<CommitmentKind>,
    term_months: Option<u32>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    partial_upfront_percent: Option<Decimal>,
    eligible: Option<Vec<Eligible>>,
}

impl Charge {
    /// A storage resource's further provisioned dimensions (none for other models).
    pub fn dimensions(&self) -> &[Dimension] {
        match self {
            Charge::Storage { dimensions, .. } => dimensions,
            _ => &[],
        }
    }

    /// Whether `name` is one of those dimensions, or the error that names the ones there are:
    /// the one rule for an event and for an estimate item.
    pub fn check_dimension(&self, sku: &str, name: &str) -> std::result::Result<(), String> {
        let dims = self.dimensions();
        if dims.iter().any(|d| d.name == name) {
            return Ok(());
        }
        if dims.is_empty() {
            return Err(format!("sku `{sku}` has no provisioned dimensions"));
        }
        let names: Vec<&str> = dims.iter().map(|d| d.name.as_str()).collect();
        Err(format!(
            "`{name}` is not a dimension of sku `{sku}` (it has {})",
            names.join(", ")
        ))
    }
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
                "sustained_use",
                "spot",
            ],
            Model::MonthlyPlan => &["billing"],
            Model::Storage => &[
                "measure",
                "rounding",
                "minimum_days",
                "granularity",
                "minimum_seconds",
                "unit",
                "dimensions",
            ],
            Model::Counter => &[
                "unit",
                "price_per",
                "free_allowance",
                "allowance_in_first_tier",
                "included",
                "tiering",
                "package_size",
                "function",
            ],
            Model::Flat => &[],
            Model::ShareOfSpend => &["services"],
            Model::SavingsPlan => &[
                "commitment",
                "term_months",
                "partial_upfront_percent",
                "eligible",
            ],
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
            ("sustained_use", !f.sustained_use.is_empty()),
            ("spot", f.spot.is_some()),
            ("billing", f.billing.is_some()),
            ("measure", f.measure.is_some()),
            ("minimum_days", f.minimum_days.is_some()),
            ("unit", f.unit.is_some()),
            ("price_per", f.price_per.is_some()),
            ("free_allowance", f.free_allowance.is_some()),
            (
                "allowance_in_first_tier",
                f.allowance_in_first_tier.is_some(),
            ),
            ("included", f.included.is_some()),
            ("tiering", f.tiering.is_some()),
            ("package_size", f.package_size.is_some()),
            ("function", f.function.is_some()),
            ("dimensions", f.dimensions.is_some()),
            ("services", f.services.is_some()),
            ("commitment", f.commitment.is_some()),
            ("term_months", f.term_months.is_some()),
            (
                "partial_upfront_percent",
                f.partial_upfront_percent.is_some(),
            ),
            ("eligible", f.eligible.is_some()),
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
                sustained_use: f.sustained_use,
                spot: f.spot.unwrap_or(false),
            },
            Model::MonthlyPlan => Charge::MonthlyPlan {
                billing: need(f.billing, "billing")?,
            },
            Model::Storage => Charge::Storage {
                measure: need(f.measure, "measure")?,
                rounding: need(f.rounding, "rounding")?,
                minimum_days: f.minimum_days,
                granularity: f.granularity,
                minimum_seconds: f.minimum_seconds.unwrap_or(0),
                unit: f.unit,
                dimensions: f.dimensions.unwrap_or_default(),
            },
            Model::Counter => Charge::Counter {
                unit: need(f.unit, "unit")?,
                price_per: f.price_per.unwrap_or_else(one),
                free_allowance: f.free_allowance.unwrap_or_default(),
                allowance_in_first_tier: f.allowance_in_first_tier.unwrap_or(false),
                included: f.included.unwrap_or_default(),
                tiering: f.tiering.unwrap_or_default(),
                package_size: f.package_size,
                function: f.function,
            },
            Model::Flat => Charge::Flat {},
            Model::ShareOfSpend => Charge::ShareOfSpend {
                services: f.services.unwrap_or_default(),
            },
            Model::SavingsPlan => Charge::SavingsPlan {
                commitment: need(f.commitment, "commitment")?,
                term_months: need(f.term_months, "term_months")?,
                partial_upfront_percent: f.partial_upfront_percent.unwrap_or_else(half),
                eligible: need(f.eligible, "eligible")?,
            },
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
