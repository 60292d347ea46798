//! The FinOps Foundation's FOCUS 1.2 cost and usage dataset, from final documents: a usage row
//! per invoice line, a credit row for each line a prepaid or promotional credit was used on
//! (the usage row bills the line before credits), and a tax row per VAT rate. A credit note's rows, and a supplementary
//! invoice's, are corrections (`ChargeClass = Correction`), a credit note's amounts negative.
//! Invariant (tested): per `InvoiceId`, the `BilledCost`s add up to the document's payable
//! amount (its gross total; minus it for a credit note).
//!
//! With allocation rules ([`table_allocated`]), the export has FOCUS 1.3's `Allocated*` columns:
//! each usage row of a shared resource is split over the targets as the rules spread shared
//! costs, one row per target, its costs shared out to the cent (largest remainder) and its
//! quantities by the same ratio; the sums per `InvoiceId` do not move.

use rust_decimal::Decimal;

use std::collections::BTreeMap;

use crate::allocation::{AllocationRules, IndirectCost};
use crate::document::{Document, DocumentKind};
use crate::error::{Error, Result};
use crate::export::csv_record;
use crate::money::{self, RoundingMode};
use crate::num::{Arith, OrOverflow};
use crate::time::format_instant;

/// The columns written, in order: FOCUS 1.2's mandatory ones, then the recommended and
/// conditional ones the ledger can fill.
pub const COLUMNS: [&str; 37] = [
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "InvoiceId",
    "InvoiceIssuerName",
    "ListCost",
    "ListUnitPrice",
    "PricingCategory",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ServiceCategory",
    "ServiceName",
    "ServiceSubcategory",
    "SkuId",
    "SkuPriceId",
    "Tags",
    "x_DocumentKind",
];

/// FOCUS 1.3's split cost allocation columns, before the others (the columns are in
/// alphabetical order) when an export is asked with allocation rules.
pub const ALLOCATED: [&str; 5] = [
    "AllocatedMethodDetails",
    "AllocatedMethodId",
    "AllocatedResourceId",
    "AllocatedResourceName",
    "AllocatedTags",
];

/// Where the columns [`rows`] fills and allocation splits are.
mod col {
    pub const BILLED: usize = 0;
    pub const CURRENCY: usize = 3;
    pub const CATEGORY: usize = 6;
    pub const DESCRIPTION: usize = 8;
    pub const CONSUMED_QUANTITY: usize = 12;
    pub const CONSUMED_UNIT: usize = 13;
    pub const CONTRACTED: usize = 14;
    pub const CONTRACTED_UNIT_PRICE: usize = 15;
    pub const EFFECTIVE: usize = 16;
    pub const LIST: usize = 19;
    pub const LIST_UNIT_PRICE: usize = 20;
    pub const PRICING_CATEGORY: usize = 21;
    pub const PRICING_QUANTITY: usize = 22;
    pub const PRICING_UNIT: usize = 23;
    pub const RESOURCE: usize = 28;
    pub const TAGS: usize = 35;
}

/// FOCUS's service category of one of the price lists' services.
fn service_category(service: &str) -> &'static str {
    let s = service.to_ascii_lowercase();
    if s.contains("instance")
        || s.contains("function")
        || s.contains("serverless")
        || s.contains("compute")
    {
        "Compute"
    } else if s.contains("storage") || s.contains("volume") || s.contains("archive") {
        "Storage"
    } else if s.contains("network") || s.contains("ip") || s.contains("traffic") {
        "Networking"
    } else if s.contains("support") {
        "Management and Governance"
    } else {
        "Other"
    }
}

/// FOCUS's service subcategory of one of the price lists' services, under its
/// [`service_category`].
fn service_subcategory(service: &str) -> &'static str {
    let s = service.to_ascii_lowercase();
    match service_category(service) {
        "Compute" if s.contains("function") || s.contains("serverless") => "Serverless Compute",
        "Compute" => "Virtual Machines",
        "Storage" if s.contains("block") || s.contains("volume") => "Block Storage",
        "Storage" if s.contains("object") => "Object Storage",
        "Storage" => "Other (Storage)",
        "Networking" => "Network Infrastructure",
        "Management and Governance" => "Support",
        _ => "Other (Other)",
    }
}

/// A unit as FOCUS's unit format writes it: a time unit capitalised and plural (`Hours`), and
/// after a dash too (`GB-Months`, `GB-Seconds` for `GB-s`); any other unit as it is (`GB`,
/// `request`).
fn focus_unit(unit: &str) -> String {
    let time = |t: &str| match t {
        "s" | "second" | "seconds" => Some("Seconds"),
        "minute" | "minutes" => Some("Minutes"),
        "hour" | "hours" => Some("Hours"),
        "day" | "days" => Some("Days"),
        "month" | "months" => Some("Months"),
        "year" | "years" => Some("Years"),
        _ => None,
    };
    if unit != "s"
        && let Some(t) = time(unit)
    {
        return t.to_string();
    }
    match unit.rsplit_once('-') {
        Some((what, per)) if !what.is_empty() => match time(per) {
            Some(t) => format!("{what}-{t}"),
            None => unit.to_string(),
        },
        _ => unit.to_string(),
    }
}

/// The rows of an export, before they are written as CSV (or, by the service, as Parquet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// [`COLUMNS`], after [`ALLOCATED`] when the export is allocated.
    pub columns: Vec<&'static str>,
    /// One cell per column, each as the CSV writes it (empty: no value).
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The CSV text, with a header row.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        csv_record(&mut out, &self.columns);
        for row in &self.rows {
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            csv_record(&mut out, &cells);
        }
        out
    }
}

/// What a column holds, for a typed format: a decimal, a UTC time, JSON text or text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Decimal,
    DateTime,
    Json,
    Text,
}

/// The kind of a column of [`COLUMNS`] or [`ALLOCATED`], as FOCUS types it.
pub fn kind(column: &str) -> Kind {
    match column {
        "BilledCost"
        | "ConsumedQuantity"
        | "ContractedCost"
        | "ContractedUnitPrice"
        | "EffectiveCost"
        | "ListCost"
        | "ListUnitPrice"
        | "PricingQuantity" => Kind::Decimal,
        "BillingPeriodEnd" | "BillingPeriodStart" | "ChargePeriodEnd" | "ChargePeriodStart" => {
            Kind::DateTime
        }
        "Tags" | "AllocatedMethodDetails" | "AllocatedTags" => Kind::Json,
        _ => Kind::Text,
    }
}

/// The rows of final documents (final invoices and credit notes; others are refused).
/// `tags` gives a line's tags, as JSON text, by account and resource.
pub fn table(docs: &[&Document], tags: &dyn Fn(&str, Option<&str>) -> String) -> Result<Table> {
    let mut rows_out = Vec::new();
    for d in docs {
        rows_out.extend(rows(d, tags)?);
    }
    Ok(Table {
        columns: COLUMNS.to_vec(),
        rows: rows_out,
    })
}

/// [`table`] with FOCUS 1.3's `Allocated*` columns: the usage rows of shared resources
/// (without the rules' target tag, or with one of their shared values) split over the targets by
/// the rules' version in force at `period`'s start, as [`crate::allocation::allocate`] spreads
/// shared costs (evenly, in proportion to the targets' direct costs, here their billed usage in
/// these documents, or by weights). Amounts entered by hand in the rules are not billed, so
/// they are not in a cost and usage dataset.
pub fn table_allocated(
    docs: &[&Document],
    tags: &dyn Fn(&str, Option<&str>) -> String,
    rules: &AllocationRules,
    period: &crate::time::Period,
) -> Result<Table> {
    let version = rules.at(period.start)?;
    let mut all = Vec::new();
    for d in docs {
        all.extend(rows(d, tags)?);
    }
    let target_of = |row: &[String]| -> Option<String> {
        if row.get(col::CATEGORY).map(String::as_str) != Some("Usage") {
            return None;
        }
        let tags: BTreeMap<String, String> = row
            .get(col::TAGS)
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default();
        tags.get(&rules.target_tag).cloned()
    };
    let shared_values: Vec<&str> = version.shared_values.iter().map(String::as_str).collect();
    let is_shared = |t: &Option<String>| t.as_deref().is_none_or(|t| shared_values.contains(&t));
    // The targets' direct costs: their billed usage.
    let mut direct: BTreeMap<String, Decimal> = version
        .targets
        .iter()
        .map(|t| (t.clone(), Decimal::ZERO))
        .collect();
    let mut targets = Vec::with_capacity(all.len());
    for row in &all {
        let t = target_of(row);
        if !is_shared(&t)
            && let Some(t) = &t
        {
            let d = direct.entry(t.clone()).or_insert(Decimal::ZERO);
            *d = d
                .plus(cell_decimal(row, col::BILLED)?)
                .or_overflow(|| "summing the targets' direct costs".to_string())?;
        }
        targets.push(t);
    }
    // A correction's negative usage weighs nothing.
    for d in direct.values_mut() {
        *d = (*d).max(Decimal::ZERO);
    }
    let method_id = format!("{}@{}:{}", rules.id, version.version, version.shared.name());
    let mut out = Vec::with_capacity(all.len());
    let mut write = |allocated: [String; 5], row: &[String]| {
        out.push(allocated.into_iter().chain(row.iter().cloned()).collect());
    };
    for (row, target) in all.iter().zip(&targets) {
        let usage = row.get(col::CATEGORY).map(String::as_str) == Some("Usage");
        if !usage || !is_shared(target) {
            write(Default::default(), row);
            continue;
        }
        let currency = row.get(col::CURRENCY).map_or("", String::as_str);
        let source = format!(
            "shared usage {}",
            row.get(col::RESOURCE).map_or("", String::as_str)
        );
        let spread = |c: usize| -> Result<Vec<crate::allocation::Share>> {
            crate::allocation::spread_cost(
                &IndirectCost {
                    source: source.clone(),
                    method: String::new(),
                    amount: cell_decimal(row, c)?,
                },
                &version.shared,
                &direct,
                currency,
            )
        };
        let billed = spread(col::BILLED)?;
        if billed.is_empty() {
            // Nothing billed to share out: the row stays whole.
            write(Default::default(), row);
            continue;
        }
        let list = spread(col::LIST)?;
        for (i, share) in billed.iter().enumerate() {
            if share.weight.is_zero() {
                continue;
            }
            let ratio = share
                .weight
                .over(share.of_total_weight)
                .or_overflow(|| format!("the share of {}", share.target))?
                .round_dp(10)
                .normalize();
            let mut split = row.clone();
            let amount = share.amount.to_string();
            for c in [col::BILLED, col::CONTRACTED, col::EFFECTIVE] {
                set(&mut split, c, amount.clone());
            }
            let listed = list.get(i).map_or(Decimal::ZERO, |l| l.amount);
            set(&mut split, col::LIST, listed.to_string());
            let mut usage_quantity = String::new();
            for c in [col::CONSUMED_QUANTITY, col::PRICING_QUANTITY] {
                let q = cell_decimal(row, c)?
                    .times(ratio)
                    .or_overflow(|| format!("the quantity of {}", share.target))?
                    .round_dp(10)
                    .normalize()
                    .to_string();
                if c == col::CONSUMED_QUANTITY {
                    usage_quantity = q.clone();
                }
                set(&mut split, c, q);
            }
            let unit = row.get(col::CONSUMED_UNIT).map_or("", String::as_str);
            // Written by hand: the ratio and the quantity are JSON numbers, from decimals.
            let details = format!(
                r#"{{"Elements":[{{"AllocatedRatio":{ratio},"UsageQuantity":{usage_quantity},"UsageUnit":{}}}],"x_Method":{},"x_TotalWeight":"{}","x_Weight":"{}"}}"#,
                json_text(unit),
                json_text(&share.method),
                share.of_total_weight,
                share.weight,
            );
            let target_tags = format!(
                "{{{}:{}}}",
                json_text(&rules.target_tag),
                json_text(&share.target)
            );
            write(
                [
                    details,
                    method_id.clone(),
                    share.target.clone(),
                    share.target.clone(),
                    target_tags,
                ],
                &split,
            );
        }
    }
    Ok(Table {
        columns: ALLOCATED.iter().chain(COLUMNS.iter()).copied().collect(),
        rows: out,
    })
}

/// A cell of a row [`rows`] made, as a decimal (empty: zero).
fn cell_decimal(row: &[String], c: usize) -> Result<Decimal> {
    match row.get(c).map(String::as_str) {
        None | Some("") => Ok(Decimal::ZERO),
        Some(text) => text
            .parse()
            .map_err(|_| Error::Document(format!("FOCUS column {c}: `{text}` is not a decimal"))),
    }
}

/// A text as a JSON string.
fn json_text(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn set(row: &mut [String], c: usize, value: String) {
    if let Some(cell) = row.get_mut(c) {
        *cell = value;
    }
}

/// The payable amount of a document as FOCUS counts it: its gross total, negative for a credit
/// note.
pub fn payable(d: &Document) -> Decimal {
    negated_if(d.kind == DocumentKind::CreditNote, d.totals.gross)
}

/// `x`, its sign flipped when `flip` (a decimal's negation is exact).
fn negated_if(flip: bool, mut x: Decimal) -> Decimal {
    if flip && !x.is_zero() {
        x.set_sign_negative(!x.is_sign_negative());
    }
    x
}

fn rows(d: &Document, tags: &dyn Fn(&str, Option<&str>) -> String) -> Result<Vec<Vec<String>>> {
    let number = match (d.kind, &d.number) {
        (DocumentKind::FinalInvoice | DocumentKind::CreditNote, Some(n)) => n.clone(),
        _ => {
            return Err(Error::Document(format!(
                "FOCUS rows come from final documents, not from a {}",
                d.kind.name()
            )));
        }
    };
    let credit = d.kind == DocumentKind::CreditNote;
    let correction = credit || d.references.is_some();
    let sign = |x: Decimal| negated_if(credit, x);
    let rate = d.fx.as_ref().map_or(Decimal::ONE, |f| f.rate);
    let class = if correction { "Correction" } else { "" };
    let (start, end) = (
        format_instant(&d.supply_period.start),
        format_instant(&d.supply_period.end),
    );
    let seller = d.seller.name.as_str();
    let credit_names: Vec<&str> = d
        .applied
        .iter()
        .filter(|a| a.kind == "credit" && !a.amount.is_zero())
        .map(|a| a.description.as_str())
        .collect();
    let mut out = Vec::with_capacity(d.lines.len().saturating_add(d.vat.len()));
    for l in &d.lines {
        let list = money::round(l.rated.sat_times(rate), &d.currency, RoundingMode::HalfUp);
        let pricing_quantity = l.quantity.over(l.divisor).unwrap_or(l.quantity).normalize();
        // The usage row bills the line before credits; a credit row takes them off, so the
        // rows of a line still add up to its amount.
        let billed = sign(
            l.amount
                .plus(l.credited)
                .or_overflow(|| format!("adding back the credits of line {} of {number}", l.id))?,
        );
        out.push(vec![
            billed.to_string(),
            l.account.clone(),
            d.buyer.name.clone(),
            d.currency.clone(),
            end.clone(),
            start.clone(),
            "Usage".into(),
            class.into(),
            l.description.clone(),
            "Usage-Based".into(),
            format_instant(&l.segment.end),
            format_instant(&l.segment.start),
            l.quantity.normalize().to_string(),
            focus_unit(l.unit.name()),
            billed.to_string(),
            l.unit_price.normalize().to_string(),
            billed.to_string(),
            number.clone(),
            seller.into(),
            sign(list).to_string(),
            l.unit_price.normalize().to_string(),
            "Standard".into(),
            pricing_quantity.to_string(),
            focus_unit(&l.price_unit),
            seller.into(),
            seller.into(),
            l.region.clone(),
            l.region.clone(),
            l.resource.clone().unwrap_or_default(),
            l.resource.clone().unwrap_or_default(),
            service_category(&l.service).into(),
            l.service.clone(),
            service_subcategory(&l.service).into(),
            l.sku.clone(),
            format!("{}:{}", l.sku, l.region),
            tags(&l.account, l.resource.as_deref()),
            d.kind.code().into(),
        ]);
        if !l.credited.is_zero()
            && let Some(usage) = out.last()
        {
            let mut row = usage.clone();
            let credited = sign(negated_if(true, l.credited)).to_string();
            for c in [col::BILLED, col::CONTRACTED, col::EFFECTIVE] {
                row[c] = credited.clone();
            }
            // A credit has no list price.
            row[col::LIST] =
                money::round(Decimal::ZERO, &d.currency, RoundingMode::HalfUp).to_string();
            row[col::CATEGORY] = "Credit".into();
            // The credits the document used (a line does not record which of them it gave to).
            let names = match credit_names.is_empty() {
                true => "Credit".to_string(),
                false => credit_names.join(", "),
            };
            row[col::DESCRIPTION] = format!("{names}: {}", l.description);
            for c in [
                col::CONSUMED_QUANTITY,
                col::CONSUMED_UNIT,
                col::CONTRACTED_UNIT_PRICE,
                col::LIST_UNIT_PRICE,
                col::PRICING_CATEGORY,
                col::PRICING_QUANTITY,
                col::PRICING_UNIT,
            ] {
                row[c] = String::new();
            }
            out.push(row);
        }
    }
    for v in &d.vat {
        let tax = sign(v.tax);
        let account = d
            .lines
            .first()
            .map(|l| l.account.clone())
            .unwrap_or_default();
        out.push(vec![
            tax.to_string(),
            account,
            d.buyer.name.clone(),
            d.currency.clone(),
            end.clone(),
            start.clone(),
            "Tax".into(),
            class.into(),
            format!(
                "VAT {} {} % on {}",
                v.category.code(),
                v.rate.normalize(),
                v.taxable
            ),
            "Usage-Based".into(),
            end.clone(),
            start.clone(),
            String::new(),
            String::new(),
            tax.to_string(),
            String::new(),
            tax.to_string(),
            number.clone(),
            seller.into(),
            tax.to_string(),
            String::new(),
            "Standard".into(),
            String::new(),
            String::new(),
            seller.into(),
            seller.into(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            "Other".into(),
            "Tax".into(),
            "Other (Other)".into(),
            String::new(),
            String::new(),
            "{}".into(),
            d.kind.code().into(),
        ]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Units in FOCUS's unit format: time units plural and capitalised, alone or after a dash.
    #[test]
    fn units_follow_the_focus_unit_format() {
        for (ours, focus) in [
            ("hour", "Hours"),
            ("month", "Months"),
            ("second", "Seconds"),
            ("GB-hour", "GB-Hours"),
            ("GB-month", "GB-Months"),
            ("IOPS-month", "IOPS-Months"),
            ("GB-s", "GB-Seconds"),
            ("GB", "GB"),
            ("request", "request"),
            ("EUR spent", "EUR spent"),
            ("s", "s"),
            ("-month", "-month"),
        ] {
            assert_eq!(focus_unit(ours), focus, "{ours}");
        }
    }

    /// Every service of the shipped price lists has a subcategory FOCUS allows under its
    /// category.
    #[test]
    fn subcategories_sit_under_their_categories() {
        for (service, category, sub) in [
            ("Instances", "Compute", "Virtual Machines"),
            ("Serverless", "Compute", "Serverless Compute"),
            ("Functions", "Compute", "Serverless Compute"),
            ("Block storage", "Storage", "Block Storage"),
            ("Object storage", "Storage", "Object Storage"),
            ("Archive", "Storage", "Other (Storage)"),
            ("Network", "Networking", "Network Infrastructure"),
            ("Support", "Management and Governance", "Support"),
            ("Savings plans", "Other", "Other (Other)"),
        ] {
            assert_eq!(service_category(service), category, "{service}");
            assert_eq!(service_subcategory(service), sub, "{service}");
        }
    }

    /// The indices an allocation split writes name the columns they mean.
    #[test]
    fn split_columns_are_where_the_rows_have_them() {
        for (i, name) in [
            (col::BILLED, "BilledCost"),
            (col::CURRENCY, "BillingCurrency"),
            (col::CATEGORY, "ChargeCategory"),
            (col::CONSUMED_QUANTITY, "ConsumedQuantity"),
            (col::CONSUMED_UNIT, "ConsumedUnit"),
            (col::CONTRACTED, "ContractedCost"),
            (col::CONTRACTED_UNIT_PRICE, "ContractedUnitPrice"),
            (col::DESCRIPTION, "ChargeDescription"),
            (col::EFFECTIVE, "EffectiveCost"),
            (col::LIST, "ListCost"),
            (col::LIST_UNIT_PRICE, "ListUnitPrice"),
            (col::PRICING_CATEGORY, "PricingCategory"),
            (col::PRICING_QUANTITY, "PricingQuantity"),
            (col::PRICING_UNIT, "PricingUnit"),
            (col::RESOURCE, "ResourceId"),
            (col::TAGS, "Tags"),
        ] {
            assert_eq!(COLUMNS[i], name);
        }
    }

    /// A document of a conformance case, as a final invoice.
    fn final_invoice(case: &str) -> Document {
        let case: serde_json::Value = serde_json::from_str(case).unwrap();
        let mut d: Document = serde_json::from_value(case["expected"].clone()).unwrap();
        d.kind = DocumentKind::FinalInvoice;
        d.number = Some("INV-2026-000001".into());
        d
    }

    fn cells<'t>(t: &'t Table, category: &str, column: usize) -> Vec<&'t str> {
        t.rows
            .iter()
            .filter(|r| r[col::CATEGORY] == category)
            .map(|r| r[column].as_str())
            .collect()
    }

    fn billed_sum(t: &Table) -> Decimal {
        t.rows
            .iter()
            .map(|r| r[col::BILLED].parse::<Decimal>().unwrap())
            .sum()
    }

    /// A credit used on lines is a Credit row per line (negative), and the usage rows bill the
    /// lines before it: the rows still add up to the payable amount.
    #[test]
    fn credits_are_credit_rows_that_keep_the_invoice_total() {
        let no_tags = |_: &str, _: Option<&str>| "{}".to_string();
        // A 100.00 credit covers both lines whole (22.20 and 1.43): the invoice pays 0.00.
        let d = final_invoice(include_str!(
            "../../tests/cases/document/credit-remaining-balance.json"
        ));
        let t = table(&[&d], &no_tags).unwrap();
        assert_eq!(cells(&t, "Usage", col::BILLED), ["22.20", "1.43"]);
        assert_eq!(cells(&t, "Credit", col::BILLED), ["-22.20", "-1.43"]);
        assert_eq!(cells(&t, "Credit", col::EFFECTIVE), ["-22.20", "-1.43"]);
        assert_eq!(cells(&t, "Credit", col::LIST), ["0.00", "0.00"]);
        assert_eq!(cells(&t, "Credit", col::CONSUMED_QUANTITY), ["", ""]);
        assert!(
            cells(&t, "Credit", col::DESCRIPTION)[0].ends_with(": General purpose instance, 4 vCPU, 15 GB, every started clock hour, create to delete"),
            "{:?}",
            cells(&t, "Credit", col::DESCRIPTION)
        );
        assert_eq!(billed_sum(&t), d.totals.gross);
        assert_eq!(d.totals.gross.to_string(), "0.00");

        // A plan, a 10 % discount, then a 100.00 credit on the first line: the usage row is the
        // line after the discount (627.75), the credit row -100.00, VAT on what is left.
        let d = final_invoice(include_str!(
            "../../tests/cases/commitment/plan-then-discount-then-credit.json"
        ));
        let t = table(&[&d], &no_tags).unwrap();
        assert_eq!(cells(&t, "Credit", col::BILLED), ["-100.00"]);
        assert_eq!(cells(&t, "Usage", col::BILLED)[0], "627.75");
        assert_eq!(billed_sum(&t).to_string(), "13338.96");

        // A credit note of the same document: every sign flips, the credit row's too.
        let mut note = d.clone();
        note.kind = DocumentKind::CreditNote;
        let t = table(&[&note], &no_tags).unwrap();
        assert_eq!(cells(&t, "Credit", col::BILLED), ["100.00"]);
        assert_eq!(billed_sum(&t).to_string(), "-13338.96");
    }
}
