//! The estimate request: the setup a prospect describes, its bounds, and which fields apply to
//! which product.

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalog::{Charge, Product};
use crate::money::RoundingMode;
pub use crate::quantity::Upfront;

/// Most items in one request, most resources per item, and most resources in all: bounds on the
/// work one request asks (the most expensive request they allow is measured in BENCHMARKS.md).
pub const MAX_ITEMS: usize = 1000;
pub const MAX_COUNT: u32 = 5_000;
pub const MAX_RESOURCES: u64 = 5_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EstimateRequest {
    /// The month to estimate, `YYYY-MM` (its length matters for uptime and per-second billing).
    pub month: String,
    /// Default region of the items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Rounding of line amounts to the currency's minor unit.
    #[serde(default)]
    pub rounding: RoundingMode,
    pub items: Vec<EstimateItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EstimateItem {
    pub sku: String,
    /// A name for the line ("web servers").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The group the item belongs to (`production`, `staging`): its lines carry the tag
    /// `group`, so subtotals per group come from the same lines as the total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// How many identical resources.
    #[serde(default = "one")]
    pub count: u32,
    #[serde(default)]
    pub plan: Plan,
    /// Expected time running in the month (default: the whole month).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uptime: Option<Uptime>,
    /// GB per resource (storage: provisioned or stored).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::num::exact_option"
    )]
    #[schemars(with = "Option<String>")]
    pub gb: Option<Decimal>,
    /// Outgoing GB in the month for the whole item.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::num::exact_option"
    )]
    #[schemars(with = "Option<String>")]
    pub egress_gb: Option<Decimal>,
    /// Requests in the month for the whole item.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::num::exact_option"
    )]
    #[schemars(with = "Option<String>")]
    pub requests: Option<Decimal>,
    /// Units in the month of any other counter.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::num::exact_option"
    )]
    #[schemars(with = "Option<String>")]
    pub quantity: Option<Decimal>,
    /// A savings plan's committed amount, per hour or per month as the plan is sold.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::num::exact_option"
    )]
    #[schemars(with = "Option<String>")]
    pub commitment: Option<Decimal>,
    /// How a savings plan is paid: `none` (the default), `partial` or `all` upfront.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upfront: Option<Upfront>,
    /// A function's month, for a counter of GB-seconds: invocations (or provisioned
    /// concurrency), duration in ms and memory in MB, instead of a pre-multiplied quantity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<crate::event::FunctionUse>,
    /// A storage resource's further provisioned dimensions (`{"IOPS": "6000"}`), per resource;
    /// one not given is at its baseline.
    #[serde(
        default,
        skip_serializing_if = "std::collections::BTreeMap::is_empty",
        with = "crate::num::exact_map"
    )]
    #[schemars(with = "std::collections::BTreeMap<String, String>")]
    pub dimensions: std::collections::BTreeMap<String, Decimal>,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    #[default]
    Hourly,
    Monthly,
}

/// Expected uptime: `{"hours": "200"}` in the month, or `{"percent": "50"}` of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Uptime {
    Hours(
        #[serde(with = "rust_decimal::serde::str")]
        #[schemars(with = "String")]
        Decimal,
    ),
    Percent(
        #[serde(with = "rust_decimal::serde::str")]
        #[schemars(with = "String")]
        Decimal,
    ),
}

/// Which fields of an item apply to a product: what the engine reads (it refuses a quantity
/// field that does not apply) and so what the calculator shows. The one place this is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ItemFields {
    /// Expected time running: instances, and storage (held for part of the month).
    pub uptime: bool,
    /// GB per resource: storage.
    pub gb: bool,
    /// Outgoing GB: storage with a traffic counter, and counters counted in GB.
    pub egress_gb: bool,
    /// A counter's units in the month (`egress_gb`, `requests` or `quantity`, one of them).
    pub counted: bool,
    /// A savings plan's committed amount and upfront option.
    pub commitment: bool,
    /// A function's use, for a counter of GB-seconds: `invocations` (its invocations make
    /// requests) or `concurrency` (provisioned concurrency), with its duration and memory.
    pub function: Option<&'static str>,
    /// Further provisioned dimensions of a volume (`dimensions`).
    pub dimensions: bool,
    /// For a counter, the one count a form offers: `egress_gb` for a counter in GB,
    /// `requests` otherwise (what [`EstimateItem::trim_to`] keeps).
    pub counter_field: Option<&'static str>,
}

impl ItemFields {
    /// Whether a form's `field` (`uptime`, `gb`, `egress_gb`, `requests`, `quantity`,
    /// `commitment`, `upfront`) is read
    /// for the product: what [`EstimateItem::trim_to`] keeps, and so what a form shows and reads.
    pub fn reads(&self, field: &str) -> bool {
        match field {
            "uptime" => self.uptime,
            "gb" => self.gb,
            "egress_gb" => self.egress_gb && self.counter_field.is_none_or(|c| c == "egress_gb"),
            "requests" => self.counter_field == Some("requests") && self.function.is_none(),
            "quantity" => self.counted,
            "commitment" | "upfront" => self.commitment,
            "function" => self.function.is_some(),
            "dimensions" => self.dimensions,
            // A form's fields of a function.
            "function.duration_ms" | "function.memory_mb" => self.function.is_some(),
            "function.invocations" => self.function == Some("invocations"),
            "function.concurrency" => self.function == Some("concurrency"),
            _ => false,
        }
    }
}

/// The fields of an item that apply to `product`.
pub fn item_fields(product: &Product) -> ItemFields {
    match &product.charge {
        Charge::TimeMetered { .. } => ItemFields {
            uptime: true,
            ..ItemFields::default()
        },
        Charge::MonthlyPlan { .. } | Charge::Flat {} | Charge::ShareOfSpend { .. } => {
            ItemFields::default()
        }
        Charge::Storage { .. } => ItemFields {
            uptime: true,
            gb: true,
            dimensions: !product.charge.dimensions().is_empty(),
            egress_gb: product.egress_sku.is_some(),
            ..ItemFields::default()
        },
        Charge::SavingsPlan { .. } => ItemFields {
            commitment: true,
            ..ItemFields::default()
        },
        Charge::Counter { unit, function, .. } => ItemFields {
            egress_gb: true,
            counted: true,
            function: function.as_ref().map(|f| {
                if f.requests.is_some() {
                    "invocations"
                } else {
                    "concurrency"
                }
            }),
            counter_field: Some(if unit == "GB" {
                "egress_gb"
            } else {
                "requests"
            }),
            ..ItemFields::default()
        },
    }
}

/// How a calculator offers a product: `instance` (sold by time, in the `Instances` service, or a
/// monthly plan), `network` (other time-metered or flat products), `object` (storage whose
/// traffic is billed), `volume` (other storage), `counter`, `support` (a share of spend) or
/// `commitment` (a savings plan). The one place this is decided.
pub fn product_kind(product: &Product) -> &'static str {
    match &product.charge {
        Charge::TimeMetered { .. } if product.service == "Instances" => "instance",
        Charge::MonthlyPlan { .. } => "instance",
        Charge::TimeMetered { .. } | Charge::Flat {} => "network",
        Charge::ShareOfSpend { .. } => "support",
        Charge::SavingsPlan { .. } => "commitment",
        Charge::Storage { .. } if product.egress_sku.is_some() => "object",
        Charge::Storage { .. } => "volume",
        Charge::Counter { .. } => "counter",
    }
}

impl EstimateItem {
    /// Clears the fields that do not apply to `product` (a value left over from another
    /// product), so that the item is what the engine reads. A counter keeps the one count its
    /// unit calls for (egress GB for GB, requests otherwise), or counts zero.
    pub fn trim_to(&mut self, product: &Product) {
        let f = item_fields(product);
        if !f.reads("uptime") {
            self.uptime = None;
        }
        if !f.reads("gb") {
            self.gb = None;
        }
        if !f.reads("egress_gb") {
            self.egress_gb = None;
        }
        if !f.reads("requests") {
            self.requests = None;
        }
        if !f.reads("quantity") {
            self.quantity = None;
        }
        if !f.reads("commitment") {
            self.commitment = None;
            self.upfront = None;
        }
        if !f.reads("function") {
            self.function = None;
        }
        let dims = product.charge.dimensions();
        self.dimensions
            .retain(|k, _| dims.iter().any(|d| &d.name == k));
        if f.counter_field.is_some()
            && self.function.is_none()
            && self.egress_gb.is_none()
            && self.requests.is_none()
            && self.quantity.is_none()
        {
            self.quantity = Some(Decimal::ZERO);
        }
    }
}

/// The JSON Schema of an estimate request.
pub fn request_schema() -> String {
    let mut text =
        serde_json::to_string_pretty(&schemars::schema_for!(EstimateRequest)).unwrap_or_default();
    text.push('\n');
    text
}
