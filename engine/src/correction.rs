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

use crate::catalog::PriceBook;
use crate::document::{
    self, Billed, Document, DocumentKind, DocumentLine, DocumentRequest, Fx, LineChange, Reference,
    Totals, check_number,
};
use crate::error::{Error, Result};
use crate::meter::Unit;
use crate::money;
use crate::num::{Arith, OrOverflow};
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

/// What tells lines apart: two lines of one key are the same line billed twice. A counter's
/// allowance and tiers differ by `slice`; a capped month and its hours share a key, so that a
/// cap corrected to fewer hours is one line of difference.
type Key = (
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
);

fn key(l: &DocumentLine) -> Key {
    (
        l.account.clone(),
        l.sku.clone(),
        l.region.clone(),
        l.resource.clone(),
        l.segment.label(),
        l.slice.clone(),
    )
}

fn billed(l: &DocumentLine) -> Billed {
    Billed {
        quantity: l.quantity,
        unit_price: l.unit_price,
        rated: l.rated,
        amount: l.amount,
    }
}

/// The invoice as corrected so far: each key's line as last billed. The original's lines, then
/// each earlier correction's `after`, in the order given (the order they were issued).
fn as_corrected<'a>(
    original: &'a Document,
    earlier: &'a [Document],
) -> BTreeMap<Key, (&'a DocumentLine, Billed)> {
    let mut state: BTreeMap<Key, (&DocumentLine, Billed)> = BTreeMap::new();
    for l in &original.lines {
        // An invoice issued before lines of one key were told apart (a volume created again
        // in its month) holds two lines under one key: the second is `part 2`, as the rating
        // names it now, so that neither is lost from what the invoice billed.
        let mut k = key(l);
        let mut n = 1usize;
        while state.contains_key(&k) {
            n = n.saturating_add(1);
            let base = l.slice.as_deref();
            k.5 = Some(match base {
                Some(s) => format!("{s}, part {n}"),
                None => format!("part {n}"),
            });
        }
        state.insert(k, (l, billed(l)));
    }
    for doc in earlier {
        for l in &doc.lines {
            if let Some(c) = &l.change {
                state.insert(key(l), (l, c.after.clone()));
            }
        }
    }
    state
}

/// Compares the invoice as already corrected (`original` plus the `earlier` corrections that
/// reference it, in the order they were issued) with `rerated`, and issues what corrects the
/// difference: nothing when the new rating changes no amount. The original is only read.
pub fn correct(
    original: &Document,
    earlier: &[Document],
    rerated: &Rating,
    book: &PriceBook,
    vat_table: &VatTable,
    req: &CorrectionRequest,
) -> Result<Correction> {
    let number = correctable(original, earlier, rerated, req)?;
    let rebuilt = rebuild(original, rerated, book, vat_table)?;
    let (down, up) = differences(original, earlier, &rebuilt, &number)?;
    let issue = Issue {
        original,
        rebuilt: &rebuilt,
        req,
        reference: Reference {
            number: number.clone(),
            issue_date: original.issue_date,
        },
        digest: digest(original, earlier, rerated, req)?,
    };
    let credit_note = if down.is_empty() {
        None
    } else {
        let n = req.credit_note_number.as_ref().ok_or_else(|| {
            Error::Document("the correction credits lines: give credit_note_number".into())
        })?;
        Some(issue.document(
            DocumentKind::CreditNote,
            n,
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
        Some(issue.document(
            DocumentKind::FinalInvoice,
            n,
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

/// The original's number, once checked that it can be corrected by these documents and this
/// rating: an original final invoice, corrections that reference it, the same period.
fn correctable(
    original: &Document,
    earlier: &[Document],
    rerated: &Rating,
    req: &CorrectionRequest,
) -> Result<String> {
    let Some(number) = original
        .number
        .clone()
        .filter(|_| original.kind == DocumentKind::FinalInvoice && original.references.is_none())
    else {
        return Err(Error::Document(
            "only a final invoice with a number can be corrected (not a supplementary one)".into(),
        ));
    };
    if let Some(d) = earlier
        .iter()
        .find(|d| d.references.as_ref().map(|r| &r.number) != Some(&number))
    {
        return Err(Error::Document(format!(
            "{} does not reference {number}",
            d.number.as_deref().unwrap_or("a document")
        )));
    }
    if rerated.period != original.supply_period {
        return Err(Error::Document(format!(
            "the new rating covers {}, the invoice {}",
            rerated.period.label(),
            original.supply_period.label()
        )));
    }
    // A correction comes after what it corrects: the invoice and the corrections before it.
    let latest = earlier
        .iter()
        .map(|d| d.issue_date)
        .chain([original.issue_date])
        .max()
        .unwrap_or(original.issue_date);
    if req.issue_date < latest {
        return Err(Error::Document(format!(
            "a correction of {number} is issued on or after {latest}, the date of the invoice or of its last correction (got {})",
            req.issue_date
        )));
    }
    Ok(number)
}

/// The same document, built again from the new rating with the original's settings and rate.
fn rebuild(
    original: &Document,
    rerated: &Rating,
    book: &PriceBook,
    vat_table: &VatTable,
) -> Result<Document> {
    // A credit gives the rebuilt invoice at most what it gave the original: the rest was
    // carried over to later documents, which spent it (a rebuild from the full balance spent
    // it twice, and left a late event's usage unbilled).
    let mut adjustments = original.adjustments.clone();
    for c in &mut adjustments.credits {
        let used = original
            .credits
            .iter()
            .find(|b| b.id == c.id)
            .map_or(Decimal::ZERO, |b| b.used);
        c.balance = c.balance.min(used);
    }
    let request = DocumentRequest {
        currency: Some(original.currency.clone()),
        rounding: original.rounding.lines,
        adjustments,
        ..DocumentRequest::new(
            DocumentKind::DraftInvoice,
            original.issue_date,
            original.seller.clone(),
            original.buyer.clone(),
        )
    };
    let fx = Fx::Kept {
        fx: original.fx.as_ref(),
        vat: original.vat_fx.as_ref(),
    };
    document::build_as_issued(&request, rerated, book, vat_table, fx)
}

/// The lines that went down (to credit) and up (to bill), key by key, between the invoice as
/// corrected so far and the rebuilt one.
fn differences(
    original: &Document,
    earlier: &[Document],
    rebuilt: &Document,
    number: &str,
) -> Result<(Vec<DocumentLine>, Vec<DocumentLine>)> {
    let old = as_corrected(original, earlier);
    let mut new: BTreeMap<Key, &DocumentLine> = BTreeMap::new();
    for l in &rebuilt.lines {
        // Lines are told apart by their key; two with one key would be matched wrongly.
        if new.insert(key(l), l).is_some() {
            return Err(Error::Document(format!(
                "internal error: two lines of `{}` share account, resource, segment and slice",
                l.sku
            )));
        }
    }
    let mut keys: Vec<&Key> = old.keys().chain(new.keys()).collect();
    crate::sort::sort(&mut keys);
    keys.dedup();
    let (mut down, mut up) = (Vec::new(), Vec::new());
    for k in keys {
        let (o, n) = (old.get(k), new.get(k).copied());
        let before = o.map(|(_, b)| b.clone()).unwrap_or_default();
        let after = n.map(billed).unwrap_or_default();
        let overflow = || {
            format!(
                "correcting `{}`{} of {number}",
                k.1,
                k.3.as_deref()
                    .map_or(String::new(), |r| format!(", resource `{r}`"))
            )
        };
        let delta = after.amount.minus(before.amount).or_overflow(overflow)?;
        let Some(base) = n.or(o.map(|(l, _)| *l)).filter(|_| !delta.is_zero()) else {
            continue;
        };
        let line = difference_line(base, o.map(|(l, _)| *l), n, before, after, delta, original)
            .or_overflow(overflow)?;
        if delta.is_sign_negative() {
            down.push(line)
        } else {
            up.push(line)
        }
    }
    Ok((down, up))
}

/// What the corrections were made from: the original, what came before, the new rating and
/// the request.
fn digest(
    original: &Document,
    earlier: &[Document],
    rerated: &Rating,
    req: &CorrectionRequest,
) -> Result<String> {
    let cannot =
        |e: serde_json::Error| Error::Document(format!("cannot serialize the inputs: {e}"));
    let earlier: Vec<&str> = earlier.iter().map(|d| d.inputs_digest.as_str()).collect();
    Ok(crate::canonical::sha256_hex(&format!(
        "{}|{}|{}|{}",
        original.inputs_digest,
        earlier.join(","),
        crate::canonical::to_string(rerated).map_err(cannot)?,
        crate::canonical::to_string(req).map_err(cannot)?
    )))
}

/// What every correction document shares: the original's parties, currency, rate and VAT
/// treatment, the reference to it, and the digest of the inputs.
struct Issue<'a> {
    original: &'a Document,
    rebuilt: &'a Document,
    req: &'a CorrectionRequest,
    reference: Reference,
    digest: String,
}

impl Issue<'_> {
    /// A correction document of `kind`, numbered `number`, with these lines.
    fn document(
        &self,
        kind: DocumentKind,
        number: &str,
        mut lines: Vec<DocumentLine>,
        mention: String,
    ) -> Result<Document> {
        let (original, req) = (self.original, self.req);
        check_number(kind, Some(number), req.issue_date)?;
        for (i, l) in lines.iter_mut().enumerate() {
            l.id = i.saturating_add(1);
        }
        let mut mentions: Vec<String> = original.vat_treatment.mention.iter().cloned().collect();
        mentions.push(mention);
        let mut doc = Document {
            kind,
            number: Some(number.to_string()),
            series: document::series_of(Some(number)),
            issue_date: req.issue_date,
            valid_until: None,
            supply_period: original.supply_period,
            seller: original.seller.clone(),
            buyer: original.buyer.clone(),
            currency: original.currency.clone(),
            fx: original.fx.clone(),
            vat_fx: original.vat_fx.clone(),
            catalog: self.rebuilt.catalog.clone(),
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
            references: Some(self.reference.clone()),
            notes: None,
            warnings: Vec::new(),
            inputs_digest: self.digest.clone(),
        };
        document::finish(&mut doc)?;
        Ok(doc)
    }
}

/// One line of a correction: the difference between what was billed and what is due, in the
/// simplest form whose quantity x unit price (/ divisor) rounds to its amount:
/// - the quantity changed at the same price: the quantity difference at that price;
/// - the price changed on the same quantity: the quantity at the price difference;
/// - otherwise (a capped month become hours, a discount, rounding): one adjustment whose unit
///   price is the difference.
///
/// The formula and detail say what was billed and what is due; `change` keeps both states.
fn difference_line(
    base: &DocumentLine,
    old: Option<&DocumentLine>,
    new: Option<&DocumentLine>,
    before: Billed,
    after: Billed,
    delta: Decimal,
    original: &Document,
) -> Option<DocumentLine> {
    let amount = delta.abs();
    let same_terms = |o: &DocumentLine, n: &DocumentLine| {
        o.unit == n.unit && o.price_unit == n.price_unit && o.divisor == n.divisor
    };
    let rounds_to = |quantity: Decimal, unit_price: Decimal, divisor: Decimal| {
        quantity
            .times(unit_price)
            .and_then(|x| x.over(divisor))
            .map(|x| money::round(x, &original.currency, original.rounding.lines))
            == Some(amount)
    };
    let terms = match (old, new) {
        (Some(o), Some(n)) if same_terms(o, n) => Some(n),
        (None, Some(n)) => Some(n),
        (Some(o), None) => Some(o),
        _ => None,
    };
    let quantity_form = terms.and_then(|t| {
        let dq = after.quantity.minus(before.quantity)?.abs();
        let price = if after.unit_price == before.unit_price || old.is_none() {
            after.unit_price
        } else if new.is_none() {
            before.unit_price
        } else {
            return None;
        };
        rounds_to(dq, price, t.divisor).then_some((dq, price, t))
    });
    let price_form =
        || {
            let t = terms?;
            let dp = after.unit_price.minus(before.unit_price)?.abs();
            (after.quantity == before.quantity && rounds_to(after.quantity, dp, t.divisor))
                .then_some((after.quantity, dp, t))
        };
    let (quantity, unit, unit_price, price_unit, divisor) = match quantity_form.or_else(price_form)
    {
        Some((q, p, t)) => (q, t.unit.clone(), p, t.price_unit.clone(), t.divisor),
        None => (
            Decimal::ONE,
            Unit::Count("adjustment".into()),
            amount,
            "adjustment".to_string(),
            Decimal::ONE,
        ),
    };
    let currency = &original.currency;
    Some(DocumentLine {
        id: 0,
        description: format!("Correction: {}", base.description),
        quantity: quantity.normalize(),
        unit,
        unit_price: unit_price.normalize(),
        price_unit,
        divisor,
        rated: after.rated.minus(before.rated)?.abs(),
        reductions: Decimal::ZERO,
        amount,
        // The difference is of amounts after credits; no credit is used again here.
        credited: Decimal::ZERO,
        formula: format!(
            "{} -> {}",
            old.map_or("nothing billed", due_formula),
            new.map_or("nothing due", |l| l.formula.as_str())
        ),
        detail: format!(
            "invoiced {}, due {} {currency}",
            before.amount, after.amount
        ),
        vat_category: original.vat_treatment.category,
        vat_rate: original.vat_treatment.rate,
        change: Some(LineChange { before, after }),
        ..base.clone()
    })
}

/// What a line bills: its formula, or for a correction line the state it left (the part after
/// its last arrow), so that a later correction reads "billed -> due", not a chain.
fn due_formula(l: &DocumentLine) -> &str {
    match &l.change {
        Some(_) => l.formula.rsplit(" -> ").next().unwrap_or(&l.formula),
        None => &l.formula,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{DocumentRequest, Fx, build};
    use crate::party::Customer;
    use crate::time::Period;

    /// An invoice issued before lines of one key were told apart held a re-created volume's
    /// two lives under one key. Re-rated with nothing new, it is corrected by nothing (its
    /// second line was lost from what it billed, and the first life was billed again).
    #[test]
    fn an_invoice_with_two_lines_of_one_key_is_read_whole() {
        let book = PriceBook::single(
            crate::Catalog::from_json(include_str!("../../catalog/stratus-2026-01.json")).unwrap(),
        );
        let events = [
            ("v1", "start", "2026-01-05", ",\"quantity\":\"100\""),
            ("v2", "delete", "2026-01-10", ""),
            ("v3", "start", "2026-01-20", ",\"quantity\":\"50\""),
            ("v4", "delete", "2026-01-25", ""),
        ]
        .map(|(id, kind, day, q)| {
            format!(r#"{{"id":"{id}","account":"a","resource":"vol","sku":"classic-volume","region":"gra","kind":"{kind}","at":"{day}T00:00:00Z"{q}}}"#)
        })
        .join("\n");
        let rating = crate::rate_events(&book, Period::parse("2026-01").unwrap(), &events).unwrap();
        let buyer: Customer = serde_json::from_str(r#"{"name":"Acme","country":"FR"}"#).unwrap();
        let mut req = DocumentRequest::new(
            DocumentKind::FinalInvoice,
            NaiveDate::from_ymd_opt(2026, 2, 2).unwrap(),
            crate::samples::seller(),
            buyer,
        );
        req.number = Some("INV-2026-000001".into());
        let vat = VatTable::builtin();
        let mut original = build(&req, &rating, &book, &vat, Fx::None).unwrap();
        let slices: Vec<Option<&str>> = original.lines.iter().map(|l| l.slice.as_deref()).collect();
        assert_eq!(slices, [None, Some("part 2")]);
        // As it was issued before: both lines under one key.
        for l in &mut original.lines {
            l.slice = None;
        }
        let req = CorrectionRequest {
            issue_date: NaiveDate::from_ymd_opt(2026, 2, 10).unwrap(),
            credit_note_number: Some("CN-2026-000001".into()),
            supplementary_number: Some("INV-2026-000002".into()),
        };
        let c = correct(&original, &[], &rating, &book, &vat, &req).unwrap();
        assert_eq!(
            c,
            Correction {
                credit_note: None,
                supplementary_invoice: None
            }
        );
    }
}
