//! The FinOps Foundation's FOCUS 1.2 cost and usage dataset, from final documents: a usage row
//! per invoice line and a tax row per VAT rate. A credit note's rows, and a supplementary
//! invoice's, are corrections (`ChargeClass = Correction`), a credit note's amounts negative.
//! Invariant (tested): per `InvoiceId`, the `BilledCost`s add up to the document's payable
//! amount (its gross total; minus it for a credit note).

use rust_decimal::Decimal;

use crate::document::{Document, DocumentKind};
use crate::error::{Error, Result};
use crate::export::csv_record;
use crate::money::{self, RoundingMode};
use crate::num::Arith;
use crate::time::format_instant;

/// The columns written, in order: FOCUS 1.2's mandatory ones, then the recommended and
/// conditional ones the ledger can fill.
pub const COLUMNS: [&str; 36] = [
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
    "SkuId",
    "SkuPriceId",
    "Tags",
    "x_DocumentKind",
];

/// FOCUS's service category of one of the price lists' services.
fn service_category(service: &str) -> &'static str {
    let s = service.to_ascii_lowercase();
    if s.contains("instance") || s.contains("function") || s.contains("compute") {
        "Compute"
    } else if s.contains("storage") || s.contains("volume") {
        "Storage"
    } else if s.contains("network") || s.contains("ip") || s.contains("traffic") {
        "Networking"
    } else if s.contains("support") {
        "Management and Governance"
    } else {
        "Other"
    }
}

/// The rows of final documents (final invoices and credit notes; others are refused), as CSV
/// with a header row. `tags` gives a line's tags, as JSON text, by account and resource.
pub fn csv(docs: &[&Document], tags: &dyn Fn(&str, Option<&str>) -> String) -> Result<String> {
    let mut out = String::new();
    csv_record(&mut out, &COLUMNS);
    for d in docs {
        for row in rows(d, tags)? {
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            csv_record(&mut out, &cells);
        }
    }
    Ok(out)
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
    let mut out = Vec::with_capacity(d.lines.len().saturating_add(d.vat.len()));
    for l in &d.lines {
        let list = money::round(l.rated.sat_times(rate), &d.currency, RoundingMode::HalfUp);
        let pricing_quantity = l.quantity.over(l.divisor).unwrap_or(l.quantity).normalize();
        let billed = sign(l.amount);
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
            l.unit.name().to_string(),
            billed.to_string(),
            l.unit_price.normalize().to_string(),
            billed.to_string(),
            number.clone(),
            seller.into(),
            sign(list).to_string(),
            l.unit_price.normalize().to_string(),
            "Standard".into(),
            pricing_quantity.to_string(),
            l.price_unit.clone(),
            seller.into(),
            seller.into(),
            l.region.clone(),
            l.region.clone(),
            l.resource.clone().unwrap_or_default(),
            l.resource.clone().unwrap_or_default(),
            service_category(&l.service).into(),
            l.service.clone(),
            l.sku.clone(),
            format!("{}:{}", l.sku, l.region),
            tags(&l.account, l.resource.as_deref()),
            d.kind.code().into(),
        ]);
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
            String::new(),
            String::new(),
            "{}".into(),
            d.kind.code().into(),
        ]);
    }
    Ok(out)
}
