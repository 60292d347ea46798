//! Corrections of a final invoice: a finalized invoice is never modified. A new rating of the
//! same period (late events, a corrected price) is compared with it line by line:
//! - what went down is credited by a credit note that references the original;
//! - what went up is billed by a supplementary invoice that references it;
//! - a correction touching both directions gives both documents, split by line.
//!
//! Both keep the original's parties, currency, exchange rate, VAT treatment and adjustments.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::catalog::PriceBook;
use crate::document::{
    self, Document, DocumentKind, DocumentLine, DocumentRequest, Fx, Reference, Totals,
    check_number,
};
use crate::error::{Error, Result};
use crate::rate::Rating;
use crate::vat::VatTable;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionRequest {
    #[serde(with = "crate::time::date")]
    #[schemars(with = "String")]
    pub issue_date: NaiveDate,
    /// Needed when something is credited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_note_number: Option<String>,
    /// Needed when something more is billed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplementary_number: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Correction {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_note: Option<Document>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplementary_invoice: Option<Document>,
}

type Key = (String, String, String, Option<String>, String, String);

fn key(l: &DocumentLine) -> Key {
    (
        l.account.clone(),
        l.sku.clone(),
        l.region.clone(),
        l.resource.clone(),
        l.segment.label(),
        l.price_unit.clone(),
    )
}

/// Compares `original` with `rerated` and issues what corrects it. The original is only read.
pub fn correct(
    original: &Document,
    rerated: &Rating,
    book: &PriceBook,
    vat_table: &VatTable,
    req: &CorrectionRequest,
) -> Result<Correction> {
    let Some(number) = original
        .number
        .clone()
        .filter(|_| original.kind == DocumentKind::FinalInvoice)
    else {
        return Err(Error::Document(
            "only a final invoice with a number can be corrected".into(),
        ));
    };
    if rerated.period != original.supply_period {
        return Err(Error::Document(format!(
            "the new rating covers {}, the invoice {}",
            rerated.period.label(),
            original.supply_period.label()
        )));
    }
    // The same document, re-built from the new rating with the original's settings and rate.
    let request = DocumentRequest {
        kind: DocumentKind::DraftInvoice,
        number: None,
        issue_date: original.issue_date,
        valid_until: None,
        seller: original.seller.clone(),
        buyer: original.buyer.clone(),
        currency: Some(original.currency.clone()),
        rounding: original.rounding.lines,
        adjustments: original.adjustments.clone(),
        notes: None,
        references: None,
    };
    let fx = original.fx.as_ref().map_or(Fx::None, Fx::Stamp);
    let now = document::build(&request, rerated, book, vat_table, fx)?;

    let mut old: BTreeMap<Key, &DocumentLine> = BTreeMap::new();
    for l in &original.lines {
        old.insert(key(l), l);
    }
    let mut new: BTreeMap<Key, &DocumentLine> = BTreeMap::new();
    for l in &now.lines {
        new.insert(key(l), l);
    }
    let mut keys: Vec<&Key> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    let (mut down, mut up) = (Vec::new(), Vec::new());
    for k in keys {
        let (o, n) = (old.get(k), new.get(k));
        let old_net = o.map_or(Decimal::ZERO, |l| l.amount);
        let new_net = n.map_or(Decimal::ZERO, |l| l.amount);
        let delta = new_net - old_net;
        if delta.is_zero() {
            continue;
        }
        let Some(base) = n.or(o) else { continue };
        let dq = n.map_or(Decimal::ZERO, |l| l.quantity) - o.map_or(Decimal::ZERO, |l| l.quantity);
        let line = DocumentLine {
            id: 0,
            description: format!("Correction: {}", base.description),
            quantity: dq.abs(),
            rated: (n.map_or(Decimal::ZERO, |l| l.rated) - o.map_or(Decimal::ZERO, |l| l.rated))
                .abs(),
            reductions: Decimal::ZERO,
            amount: delta.abs(),
            formula: format!(
                "{} -> {}",
                o.map_or("nothing billed".to_string(), |l| l.formula.clone()),
                n.map_or("nothing due".to_string(), |l| l.formula.clone())
            ),
            detail: format!("invoiced {old_net}, due {new_net} {}", original.currency),
            vat_category: original.vat_treatment.category,
            vat_rate: original.vat_treatment.rate,
            ..(*base).clone()
        };
        if delta.is_sign_negative() {
            down.push(line)
        } else {
            up.push(line)
        }
    }
    let reference = Reference {
        number: number.clone(),
        issue_date: original.issue_date,
    };
    let digest = {
        let text = format!(
            "{}|{}|{}",
            original.inputs_digest,
            crate::canonical::to_string(rerated).unwrap_or_default(),
            crate::canonical::to_string(req).unwrap_or_default()
        );
        Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let make = |kind: DocumentKind,
                number: Option<&String>,
                mut lines: Vec<DocumentLine>,
                mention: String|
     -> Result<Document> {
        check_number(kind, number.map(String::as_str), req.issue_date)?;
        for (i, l) in lines.iter_mut().enumerate() {
            l.id = i + 1;
        }
        let mut mentions: Vec<String> = original.vat_treatment.mention.iter().cloned().collect();
        mentions.push(mention);
        let mut doc = Document {
            kind,
            number: number.cloned(),
            series: document::series_of(number.map(String::as_str)),
            issue_date: req.issue_date,
            valid_until: None,
            supply_period: original.supply_period,
            seller: original.seller.clone(),
            buyer: original.buyer.clone(),
            currency: original.currency.clone(),
            fx: original.fx.clone(),
            catalog: now.catalog.clone(),
            lines,
            adjustments: Default::default(),
            applied: Vec::new(),
            credits: Vec::new(),
            vat_treatment: original.vat_treatment.clone(),
            vat: Vec::new(),
            totals: Totals {
                net: Decimal::ZERO,
                tax: Decimal::ZERO,
                gross: Decimal::ZERO,
                tax_eur: None,
            },
            rounding: original.rounding.clone(),
            mentions,
            references: Some(reference.clone()),
            notes: None,
            warnings: Vec::new(),
            inputs_digest: digest.clone(),
        };
        document::finish(&mut doc)?;
        Ok(doc)
    };
    let credit_note = if down.is_empty() {
        None
    } else {
        let n = req.credit_note_number.as_ref().ok_or_else(|| {
            Error::Document("the correction credits lines: give credit_note_number".into())
        })?;
        Some(make(
            DocumentKind::CreditNote,
            Some(n),
            down,
            format!(
                "Avoir / Credit note for invoice {number} of {}",
                original.issue_date
            ),
        )?)
    };
    let supplementary_invoice = if up.is_empty() {
        None
    } else {
        let n = req.supplementary_number.as_ref().ok_or_else(|| {
            Error::Document("the correction bills more: give supplementary_number".into())
        })?;
        Some(make(
            DocumentKind::FinalInvoice,
            Some(n),
            up,
            format!(
                "Supplementary invoice to invoice {number} of {}",
                original.issue_date
            ),
        )?)
    };
    Ok(Correction {
        credit_note,
        supplementary_invoice,
    })
}
