//! Documents: estimates, quotes, draft and final invoices, credit notes. One serde model with a
//! canonical JSON form.
//!
//! From rated lines to a document, in the order of DOMAIN.md:
//! 1. the rated amounts at full precision;
//! 2. commitments, discounts, credits ([`crate::adjust`]), never below zero;
//! 3. each line converted (if the document is not in the catalog's currency) and rounded to the
//!    currency's minor unit, with the document's rounding mode;
//! 4. VAT per rate category on the sum of the line nets in it, rounded half up (EN 16931
//!    BR-CO-17);
//! 5. totals as sums of what is shown. Every document is checked to balance to the cent.
//!
//! Numbers are assigned by the caller (the server owns the sequence); the engine checks their
//! format: `SERIES-YYYY-NNNNNN` (series of 1 to 8 capital letters, the issue year, 4 to 8 digits).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::adjust::{self, Adjustments, Applied, CreditBalance, Target};
use crate::catalog::PriceBook;
use crate::error::{Error, Result};
use crate::fx::{FxRates, FxStamp};
use crate::meter::Unit;
use crate::money::{self, RoundingMode};
use crate::num::{self, Arith, OrOverflow};
use crate::party::{Customer, Seller};
use crate::rate::Rating;
use crate::time::Period;
use crate::vat::{self, Purpose, Treatment, VatCategory, VatTable};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Estimate,
    Quote,
    DraftInvoice,
    FinalInvoice,
    CreditNote,
}

impl DocumentKind {
    fn needs_number(self) -> bool {
        matches!(
            self,
            DocumentKind::Quote | DocumentKind::FinalInvoice | DocumentKind::CreditNote
        )
    }

    fn purpose(self) -> Purpose {
        match self {
            DocumentKind::Estimate | DocumentKind::Quote => Purpose::Estimate,
            _ => Purpose::Invoice,
        }
    }

    /// The wire code (`final_invoice`), as in JSON.
    pub fn code(self) -> &'static str {
        match self {
            DocumentKind::Estimate => "estimate",
            DocumentKind::Quote => "quote",
            DocumentKind::DraftInvoice => "draft_invoice",
            DocumentKind::FinalInvoice => "final_invoice",
            DocumentKind::CreditNote => "credit_note",
        }
    }

    /// The label for people (`invoice`).
    pub fn name(self) -> &'static str {
        match self {
            DocumentKind::Estimate => "estimate",
            DocumentKind::Quote => "quote",
            DocumentKind::DraftInvoice => "draft invoice",
            DocumentKind::FinalInvoice => "invoice",
            DocumentKind::CreditNote => "credit note",
        }
    }
}

/// A document this one corrects or completes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    pub number: String,
    #[serde(with = "crate::time::date")]
    #[schemars(with = "String")]
    pub issue_date: NaiveDate,
}

/// What the caller decides about a document; the rest comes from the rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentRequest {
    pub kind: DocumentKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(with = "crate::time::date")]
    #[schemars(with = "String")]
    pub issue_date: NaiveDate,
    /// Quotes: the last day the quote holds.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::time::date_option"
    )]
    #[schemars(with = "Option<String>")]
    pub valid_until: Option<NaiveDate>,
    pub seller: Seller,
    pub buyer: Customer,
    /// ISO 4217; the catalog's currency when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default)]
    pub rounding: RoundingMode,
    #[serde(default, skip_serializing_if = "Adjustments::is_empty")]
    pub adjustments: Adjustments,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<Reference>,
}

impl DocumentRequest {
    /// A request of `kind` with the defaults: no number, the catalog's currency, half-up
    /// rounding, no adjustments, notes or reference. The one constructor the edges use.
    pub fn new(kind: DocumentKind, issue_date: NaiveDate, seller: Seller, buyer: Customer) -> Self {
        DocumentRequest {
            kind,
            number: None,
            issue_date,
            valid_until: None,
            seller,
            buyer,
            currency: None,
            rounding: RoundingMode::default(),
            adjustments: Adjustments::default(),
            notes: None,
            references: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DocumentLine {
    /// 1-based.
    pub id: usize,
    pub description: String,
    pub account: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub sku: String,
    pub region: String,
    pub service: String,
    pub segment: Period,
    /// Which part of a split price the line is (`free allowance`, `tier 2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slice: Option<String>,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub quantity: Decimal,
    pub unit: Unit,
    /// Price excluding tax per `price_unit`, in the document's currency, full precision.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub unit_price: Decimal,
    pub price_unit: String,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub divisor: Decimal,
    /// The rated amount, in the catalog's currency, full precision.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub rated: Decimal,
    /// What commitments, discounts and credits took off, in the catalog's currency.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub reductions: Decimal,
    /// The line's amount (net of reductions, excluding VAT), in the document's currency,
    /// rounded: EN 16931 BT-131.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub amount: Decimal,
    /// What prepaid or promotional credits took off the line, in the document's currency,
    /// rounded: the line's amount before credits less `amount`. Zero (and left out) when no
    /// credit was used on it.
    #[serde(
        default,
        with = "rust_decimal::serde::str",
        skip_serializing_if = "Decimal::is_zero"
    )]
    #[schemars(with = "String")]
    pub credited: Decimal,
    pub vat_category: VatCategory,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub vat_rate: Decimal,
    pub formula: String,
    pub detail: String,
    /// On a correction line: the line as billed before the correction and as due after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<LineChange>,
}

/// What a correction line changes: the line of the same key (account, sku, region, resource,
/// segment, slice) as billed so far, and as due now. Later corrections start from `after`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LineChange {
    pub before: Billed,
    pub after: Billed,
}

/// A line's billed state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Billed {
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub quantity: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub unit_price: Decimal,
    /// In the catalog's currency, full precision.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub rated: Decimal,
    /// In the document's currency, rounded.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct VatBreakdown {
    pub category: VatCategory,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub rate: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub taxable: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub tax: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Totals {
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub net: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub tax: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub gross: Decimal,
    /// The VAT total in EUR, when the document is in another currency.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    #[schemars(with = "Option<String>")]
    pub tax_eur: Option<Decimal>,
}

/// The rounding policy, stated on every document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RoundingPolicy {
    pub lines: RoundingMode,
    pub vat: String,
    pub totals: String,
}

impl RoundingPolicy {
    fn of(mode: RoundingMode) -> Self {
        RoundingPolicy {
            lines: mode,
            vat: "half up, per rate category on the sum of the line nets (EN 16931 BR-CO-17)"
                .into(),
            totals: "sums of the rounded amounts shown".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Document {
    pub kind: DocumentKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// The numbering series: the number's prefix (`INV`, `CN`, `Q`). Each series is one
    /// chronological sequence without gaps, kept by the caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
    #[serde(with = "crate::time::date")]
    #[schemars(with = "String")]
    pub issue_date: NaiveDate,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::time::date_option"
    )]
    #[schemars(with = "Option<String>")]
    pub valid_until: Option<NaiveDate>,
    pub supply_period: Period,
    pub seller: Seller,
    pub buyer: Customer,
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fx: Option<FxStamp>,
    /// The EUR rate of the document's currency, for its VAT total in EUR, when `fx` is not one
    /// (a price list in another currency than EUR).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_fx: Option<FxStamp>,
    /// The price list and its versions (`id@version`) that priced the lines.
    pub catalog: Vec<String>,
    pub lines: Vec<DocumentLine>,
    /// The adjustments asked for, kept so that a correction applies the same ones.
    #[serde(default, skip_serializing_if = "Adjustments::is_empty")]
    pub adjustments: Adjustments,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applied: Vec<Applied>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credits: Vec<CreditBalance>,
    pub vat_treatment: Treatment,
    pub vat: Vec<VatBreakdown>,
    pub totals: Totals,
    pub rounding: RoundingPolicy,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<Reference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// SHA-256 of the canonical JSON of the inputs (the request, the rating, the VAT treatment
    /// and the FX stamp): anyone holding them can check which usage and prices made this.
    pub inputs_digest: String,
}

/// Where a document's exchange rate comes from.
#[derive(Debug, Clone, Copy)]
pub enum Fx<'a> {
    /// No conversion is possible: a currency other than the catalog's is an error.
    None,
    /// Look the rate up for the issue date.
    Rates(&'a FxRates),
    /// Use these rates: the conversion's and the EUR rate of the VAT total (a correction keeps
    /// the original's).
    Kept {
        fx: Option<&'a FxStamp>,
        vat: Option<&'a FxStamp>,
    },
}

/// Checks a document number's format for the kind and issue date.
pub(crate) fn check_number(
    kind: DocumentKind,
    number: Option<&str>,
    issue_date: NaiveDate,
) -> Result<()> {
    let name = kind.name();
    match (kind.needs_number(), number) {
        (true, None) => Err(Error::Document(format!(
            "a {name} needs a number (SERIES-YYYY-NNNNNN)"
        ))),
        (false, Some(n)) => Err(Error::Document(format!(
            "a {name} has no number (got `{n}`)"
        ))),
        (false, None) => Ok(()),
        (true, Some(n)) => {
            let parts: Vec<&str> = n.split('-').collect();
            let ok = parts.len() == 3
                && (1..=8).contains(&parts[0].len())
                && parts[0].bytes().all(|b| b.is_ascii_uppercase())
                && parts[1].len() == 4
                && parts[1].bytes().all(|b| b.is_ascii_digit())
                && (4..=8).contains(&parts[2].len())
                && parts[2].bytes().all(|b| b.is_ascii_digit());
            if !ok {
                return Err(Error::Document(format!(
                    "number `{n}` is not SERIES-YYYY-NNNNNN (e.g. INV-2026-000001)"
                )));
            }
            if parts[1] != format!("{:04}", issue_date.year()) {
                return Err(Error::Document(format!(
                    "number `{n}` is not of the issue year {}",
                    issue_date.year()
                )));
            }
            Ok(())
        }
    }
}

/// The series of a number: its prefix before the first dash.
pub(crate) fn series_of(number: Option<&str>) -> Option<String> {
    number.and_then(|n| n.split('-').next()).map(str::to_string)
}

/// The date of supply: the last day of the supply period (continuous supplies).
pub fn supply_date(period: &Period) -> NaiveDate {
    crate::time::last_instant(period).date_naive()
}

/// Builds a document from a rating.
pub fn build(
    request: &DocumentRequest,
    rating: &Rating,
    book: &PriceBook,
    vat_table: &VatTable,
    fx: Fx,
) -> Result<Document> {
    check_request(request, true)?;
    build_checked(request, rating, book, vat_table, fx)
}

/// [`build`] for a document already issued with these parties (a correction rebuilds its
/// invoice): their countries are not checked again, so an invoice issued before a check
/// existed can still be corrected, with the treatment it was issued with.
pub(crate) fn build_as_issued(
    request: &DocumentRequest,
    rating: &Rating,
    book: &PriceBook,
    vat_table: &VatTable,
    fx: Fx,
) -> Result<Document> {
    check_request(request, false)?;
    build_checked(request, rating, book, vat_table, fx)
}

fn build_checked(
    request: &DocumentRequest,
    rating: &Rating,
    book: &PriceBook,
    vat_table: &VatTable,
    fx: Fx,
) -> Result<Document> {
    let treatment = vat::treatment(
        vat_table,
        &request.seller,
        &request.buyer,
        supply_date(&rating.period),
        request.kind.purpose(),
    )?;

    // 2. Adjustments on the rated amounts.
    let mut targets: Vec<Target> = rating
        .lines
        .iter()
        .map(|l| Target {
            sku: &l.sku,
            family: book.product(&l.sku).and_then(|p| p.family.as_deref()),
            service: &l.service,
            tags: &l.tags,
            amount: l.amount,
            credited: Decimal::ZERO,
        })
        .collect();
    let (applied, credits) = adjust::apply(&mut targets, &request.adjustments, request.issue_date)?;
    let after: Vec<(Decimal, Decimal)> = targets.iter().map(|t| (t.amount, t.credited)).collect();

    // 3. Conversion and rounding, line by line.
    let currency = request
        .currency
        .clone()
        .unwrap_or_else(|| rating.currency.clone());
    let (stamp, vat_fx) = conversion(&rating.currency, &currency, fx, request.issue_date)?;
    let rate = stamp.as_ref().map_or(Decimal::ONE, |s| s.rate);
    let lines: Vec<DocumentLine> = rating
        .lines
        .iter()
        .zip(after)
        .enumerate()
        .map(|(i, (l, (after, credited)))| {
            let overflow = || {
                format!(
                    "converting line {} (`{}`{}) into {currency}",
                    i.saturating_add(1),
                    l.sku,
                    l.resource
                        .as_deref()
                        .map_or(String::new(), |r| format!(", resource `{r}`"))
                )
            };
            let amount = convert(after, stamp.as_ref(), &currency, request.rounding)
                .or_overflow(overflow)?;
            Ok(DocumentLine {
                id: i.saturating_add(1),
                description: l.description.clone(),
                account: l.account.clone(),
                resource: l.resource.clone(),
                sku: l.sku.clone(),
                region: l.region.clone(),
                service: l.service.clone(),
                segment: l.segment,
                slice: l.slice.clone(),
                quantity: l.quantity,
                unit: l.unit.clone(),
                unit_price: l.unit_price.times(rate).or_overflow(overflow)?.normalize(),
                price_unit: l.price_unit.clone(),
                divisor: l.divisor,
                rated: l.amount,
                // `after` is what adjustments left of the amount: between zero and the amount.
                reductions: l.amount.less(after).normalize(),
                amount,
                credited: if credited.is_zero() {
                    Decimal::ZERO
                } else {
                    // Before credits the line had `after + credited` (at most its amount).
                    let before = convert(
                        after.plus(credited).or_overflow(overflow)?,
                        stamp.as_ref(),
                        &currency,
                        request.rounding,
                    )
                    .or_overflow(overflow)?;
                    before.less(amount)
                },
                vat_category: treatment.category,
                vat_rate: treatment.rate,
                formula: l.formula.clone(),
                detail: l.detail.clone(),
                change: None,
            })
        })
        .collect::<Result<_>>()?;

    let mut mentions: Vec<String> = treatment.mention.iter().cloned().collect();
    if let Some(r) = &request.references {
        mentions.push(format!(
            "Corrects or completes invoice {} of {}",
            r.number, r.issue_date
        ));
    }
    let digest = inputs_digest(request, rating, &treatment, stamp.as_ref())?;
    let catalog = {
        let mut refs: Vec<String> = rating.lines.iter().map(|l| l.catalog.clone()).collect();
        crate::sort::sort(&mut refs);
        refs.dedup();
        if refs.is_empty() {
            refs.push(rating.catalog.clone());
        }
        refs
    };
    let mut doc = Document {
        kind: request.kind,
        number: request.number.clone(),
        series: series_of(request.number.as_deref()),
        issue_date: request.issue_date,
        valid_until: request.valid_until,
        supply_period: rating.period,
        seller: request.seller.clone(),
        buyer: request.buyer.clone(),
        currency,
        fx: stamp,
        vat_fx,
        catalog,
        lines,
        adjustments: request.adjustments.clone(),
        applied,
        credits,
        warnings: treatment.warnings.clone(),
        vat_treatment: treatment,
        vat: Vec::new(),
        totals: Totals {
            net: Decimal::ZERO,
            tax: Decimal::ZERO,
            gross: Decimal::ZERO,
            tax_eur: None,
        },
        rounding: RoundingPolicy::of(request.rounding),
        mentions,
        references: request.references.clone(),
        notes: request.notes.clone(),
        inputs_digest: digest,
    };
    finish(&mut doc)?;
    Ok(doc)
}

/// What the types cannot say of a request: a number in the right form for the kind and the
/// issue year, and a quote's validity.
fn check_request(request: &DocumentRequest, parties: bool) -> Result<()> {
    match problems(request, parties).into_iter().next() {
        Some((_, e)) => Err(e),
        None => Ok(()),
    }
}

/// What is wrong with a request's own fields, each with the field it is about (`number`,
/// `valid_until`): a form shows each at its field, and [`build`] refuses the first.
pub fn request_problems(request: &DocumentRequest) -> Vec<(&'static str, Error)> {
    problems(request, true)
}

/// [`request_problems`], with the parties' countries checked or not.
fn problems(request: &DocumentRequest, parties: bool) -> Vec<(&'static str, Error)> {
    let mut problems = Vec::new();
    if let Err(e) = check_number(request.kind, request.number.as_deref(), request.issue_date) {
        problems.push(("number", e));
    }
    if request.kind == DocumentKind::Quote {
        match request.valid_until {
            Some(v) if v >= request.issue_date => {}
            Some(v) => problems.push((
                "valid_until",
                Error::Document(format!(
                    "valid_until {v} comes before the issue date {}",
                    request.issue_date
                )),
            )),
            None => problems.push((
                "valid_until",
                Error::Document("a quote needs valid_until".into()),
            )),
        }
    }
    // A country in the wrong case or a VAT prefix would read as outside the EU (0 % VAT). The
    // parties' other bounds (names, addresses) are the printing's, checked where documents
    // are printed and customers stored.
    let countries = [
        ("seller.country", &request.seller.country),
        ("buyer.country", &request.buyer.country),
    ];
    for (field, country) in countries.into_iter().filter(|_| parties) {
        if let Some(m) = crate::party::country_problem(country) {
            problems.push((field, Error::Document(format!("{field}: {m}"))));
        }
    }
    let a = &request.adjustments;
    for (name, n) in [
        ("commitments", a.commitments.len()),
        ("discounts", a.discounts.len()),
        ("credits", a.credits.len()),
    ] {
        if n > MAX_ADJUSTMENTS {
            problems.push((
                "adjustments",
                Error::Document(format!(
                    "adjustments.{name}: at most {MAX_ADJUSTMENTS} (got {n}); each one is weighed against every line"
                )),
            ));
        }
    }
    problems
}

/// The most commitments, discounts or credits on one document: one a line of the largest
/// estimate (each is weighed against every line, so the work stays within lines x this).
pub const MAX_ADJUSTMENTS: usize = crate::estimate::MAX_ITEMS;

/// The document's line amounts summed per service, as shown (converted, after adjustments);
/// `None` on overflow.
pub fn subtotals_by_service(doc: &Document) -> Option<std::collections::BTreeMap<String, Decimal>> {
    let mut out = std::collections::BTreeMap::new();
    for l in &doc.lines {
        let at = out.entry(l.service.clone()).or_insert(Decimal::ZERO);
        *at = crate::num::sum([*at, l.amount])?;
    }
    Some(out)
}

/// An amount in the catalog's currency as a document in `currency` shows it: converted at the
/// stamp's rate (none: the same currency) and rounded to the currency's minor unit. Every line
/// of a document is converted this way, and so is any other figure shown beside it.
pub fn convert(
    amount: Decimal,
    stamp: Option<&FxStamp>,
    currency: &str,
    rounding: RoundingMode,
) -> Option<Decimal> {
    let rate = stamp.map_or(Decimal::ONE, |s| s.rate);
    amount
        .checked_mul(rate)
        .map(|a| money::round(a, currency, rounding))
}

/// What the reductions took off `line` as a printed document shows it: the line's rated amount
/// converted and rounded as its amount is, less that amount; so that on paper the list amount
/// less the discount is the line's amount to the cent (each rounded on its own, 82.58 less
/// 8.26 printed beside 74.33). `None` on overflow.
pub fn shown_reduction(d: &Document, line: &DocumentLine) -> Option<Decimal> {
    convert(line.rated, d.fx.as_ref(), &d.currency, d.rounding.lines)?.checked_sub(line.amount)
}

/// The exchange rate from the catalog's currency into the document's (none when they are the
/// same), and, for a document not in EUR whose conversion is not from EUR, the EUR rate of its
/// currency for the VAT total in EUR: ECB rates (cross rates through EUR) for the issue date, or
/// the given stamps. A rate that is needed and missing is an error.
fn conversion(
    from: &str,
    to: &str,
    fx: Fx,
    issue_date: NaiveDate,
) -> Result<(Option<FxStamp>, Option<FxStamp>)> {
    let needs_vat = |conv: &Option<FxStamp>| {
        to != "EUR" && conv.as_ref().is_none_or(|c: &FxStamp| c.from != "EUR")
    };
    match fx {
        Fx::None if to == from && !needs_vat(&None) => Ok((None, None)),
        Fx::None if to == from => Err(Error::Fx(format!(
            "no exchange rates were given to state the VAT total in EUR of a document in {to}"
        ))),
        Fx::None => Err(Error::Fx(format!(
            "no exchange rates were given to convert {from} into {to}"
        ))),
        Fx::Rates(r) => {
            let conv = if to == from {
                None
            } else {
                Some(r.cross(from, to, issue_date)?)
            };
            let vat = if needs_vat(&conv) {
                Some(r.stamp(to, issue_date).map_err(|e| {
                    Error::Fx(format!(
                        "the VAT total must also be stated in EUR: {}",
                        e.to_string().trim_start_matches("FX: ")
                    ))
                })?)
            } else {
                None
            };
            Ok((conv, vat))
        }
        Fx::Kept { fx, vat } => {
            let conv = match fx {
                _ if to == from => None,
                Some(s) if s.from == from && s.to == to => Some(s.clone()),
                Some(s) => {
                    return Err(Error::Fx(format!(
                        "the given rate converts {} into {}, not {from} into {to}",
                        s.from, s.to
                    )));
                }
                None => {
                    return Err(Error::Fx(format!(
                        "no exchange rate was given to convert {from} into {to}"
                    )));
                }
            };
            // A document issued without one (before the VAT total in EUR was stated for a price
            // list in another currency) is corrected without one, as it was.
            let vat = match vat {
                _ if !needs_vat(&conv) => None,
                Some(v) if v.from == "EUR" && v.to == to => Some(v.clone()),
                Some(v) => {
                    return Err(Error::Fx(format!(
                        "the given rate converts {} into {}, not EUR into {to}",
                        v.from, v.to
                    )));
                }
                None => None,
            };
            Ok((conv, vat))
        }
    }
}

/// Steps 4 and 5: VAT per category and rate on the sum of the line nets, then the totals; and
/// the check that the document balances.
pub(crate) fn finish(doc: &mut Document) -> Result<()> {
    let zero = money::round(Decimal::ZERO, &doc.currency, RoundingMode::HalfUp);
    let kind = doc.kind.name();
    let overflow = |what: &'static str| move || format!("computing the {what} of the {kind}");
    let mut groups: BTreeMap<(VatCategory, Decimal), Decimal> = BTreeMap::new();
    for l in &doc.lines {
        let sum = groups.entry((l.vat_category, l.vat_rate)).or_insert(zero);
        *sum = sum
            .plus(l.amount)
            .or_overflow(overflow("taxable amounts"))?;
    }
    let vat = groups
        .into_iter()
        .map(|((category, rate), taxable)| {
            let tax = taxable
                .times(rate)
                .and_then(|x| x.over(Decimal::ONE_HUNDRED))
                .or_overflow(overflow("VAT"))?;
            Ok(VatBreakdown {
                category,
                rate,
                taxable,
                tax: money::round(tax, &doc.currency, RoundingMode::HalfUp),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let net = num::sum_from(zero, doc.lines.iter().map(|l| l.amount))
        .or_overflow(overflow("net total"))?;
    let tax = num::sum_from(zero, vat.iter().map(|v| v.tax)).or_overflow(overflow("VAT total"))?;
    let gross = net.plus(tax).or_overflow(overflow("gross total"))?;
    let eur = doc
        .fx
        .as_ref()
        .filter(|s| s.from == "EUR")
        .or(doc.vat_fx.as_ref());
    let tax_eur = match eur.filter(|_| doc.currency != "EUR") {
        Some(s) => Some(money::round(
            tax.over(s.rate).or_overflow(overflow("VAT total in EUR"))?,
            "EUR",
            RoundingMode::HalfUp,
        )),
        None => None,
    };
    doc.vat = vat;
    doc.totals = Totals {
        net,
        tax,
        gross,
        tax_eur,
    };
    check_balance(doc)
}

/// Every document balances: the VAT breakdown covers every net, and net + tax = gross, to the
/// cent. A failure here is a bug, reported rather than shipped.
pub(crate) fn check_balance(doc: &Document) -> Result<()> {
    let nets = num::sum(doc.lines.iter().map(|l| l.amount));
    let taxable = num::sum(doc.vat.iter().map(|v| v.taxable));
    let tax = num::sum(doc.vat.iter().map(|v| v.tax));
    let t = &doc.totals;
    let balanced = nets == Some(t.net)
        && taxable == Some(t.net)
        && tax == Some(t.tax)
        && t.net.plus(t.tax) == Some(t.gross);
    let no_negative = doc
        .lines
        .iter()
        .all(|l| !l.amount.is_sign_negative() || l.amount.is_zero());
    debug_assert!(balanced && no_negative, "document does not balance: {t:?}");
    if balanced && no_negative {
        Ok(())
    } else {
        Err(Error::Document(format!(
            "internal error: the document does not balance ({} + {} != {})",
            t.net, t.tax, t.gross
        )))
    }
}

fn inputs_digest(
    request: &DocumentRequest,
    rating: &Rating,
    treatment: &Treatment,
    fx: Option<&FxStamp>,
) -> Result<String> {
    #[derive(Serialize)]
    struct Inputs<'a> {
        request: &'a DocumentRequest,
        rating: &'a Rating,
        vat: &'a Treatment,
        fx: Option<&'a FxStamp>,
    }
    let text = crate::canonical::to_string(&Inputs {
        request,
        rating,
        vat: treatment,
        fx,
    })
    .map_err(|e| Error::Document(format!("cannot serialize the inputs: {e}")))?;
    Ok(crate::canonical::sha256_hex(&text))
}

/// The JSON Schema of a document request.
pub fn request_schema() -> String {
    let mut text =
        serde_json::to_string_pretty(&schemars::schema_for!(DocumentRequest)).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document in USD from a price list in USD states its VAT total in EUR with the EUR rate
    /// it was given; one issued without that rate (before it was stated) is corrected without
    /// it, as it was, rather than refused.
    #[test]
    fn kept_rates_of_a_usd_price_list() {
        let mut v: serde_json::Value =
            serde_json::from_str(include_str!("../../catalog/stratus-2026-01.json")).unwrap();
        v["currency"] = "USD".into();
        let book = PriceBook::single(crate::Catalog::from_json(&v.to_string()).unwrap());
        let events = r#"{"id":"1","account":"a","resource":"vm","sku":"b2-15","region":"gra","kind":"start","at":"2026-01-01T00:00:00Z"}"#;
        let rating = crate::rate_events(&book, Period::parse("2026-01").unwrap(), events).unwrap();
        let buyer: Customer = serde_json::from_str(r#"{"name":"Acme","country":"FR"}"#).unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 2, 2).unwrap();
        let req = DocumentRequest::new(
            DocumentKind::DraftInvoice,
            d,
            crate::samples::seller(),
            buyer,
        );
        let vat = VatTable::builtin();
        let kept = |vat_fx: Option<&FxStamp>| {
            build(
                &req,
                &rating,
                &book,
                &vat,
                Fx::Kept {
                    fx: None,
                    vat: vat_fx,
                },
            )
        };
        let without = kept(None).expect("an older document is corrected as it was");
        assert_eq!((without.vat_fx, without.totals.tax_eur), (None, None));
        let stamp = FxStamp {
            from: "EUR".into(),
            to: "USD".into(),
            rate: Decimal::new(10874, 4),
            date: d,
            source: "test".into(),
        };
        let with = kept(Some(&stamp)).unwrap();
        // 744 h x 0.111 = 82.584, 82.58 USD; VAT 20 % 16.52 USD = 15.19 EUR at 1.0874.
        assert_eq!(with.totals.tax.to_string(), "16.52");
        assert_eq!(
            with.totals.tax_eur.map(|t| t.to_string()).as_deref(),
            Some("15.19")
        );
        let wrong = FxStamp {
            to: "JPY".into(),
            ..stamp
        };
        assert_eq!(
            kept(Some(&wrong)).unwrap_err().to_string(),
            "FX: the given rate converts EUR into JPY, not EUR into USD"
        );
    }

    #[test]
    fn numbers() {
        let d = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
        assert!(check_number(DocumentKind::FinalInvoice, Some("INV-2026-000001"), d).is_ok());
        assert!(check_number(DocumentKind::DraftInvoice, None, d).is_ok());
        assert_eq!(
            check_number(DocumentKind::FinalInvoice, Some("INV-2025-000001"), d)
                .unwrap_err()
                .to_string(),
            "document: number `INV-2025-000001` is not of the issue year 2026"
        );
        assert!(check_number(DocumentKind::FinalInvoice, Some("inv-2026-1"), d).is_err());
        assert!(check_number(DocumentKind::CreditNote, None, d).is_err());
        assert!(check_number(DocumentKind::Estimate, Some("E-2026-0001"), d).is_err());
    }

    /// Each problem of a request's own fields is named with its field, all of them at once (a
    /// form shows each at its field); `build` refuses the first, as before.
    #[test]
    fn request_problems_name_their_fields() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 20).unwrap();
        let buyer = crate::party::Customer {
            name: "Acme".into(),
            country: "FR".into(),
            kind: crate::party::CustomerKind::Business,
            vat_number: None,
            siren: None,
            address: None,
        };
        let mut r = DocumentRequest::new(DocumentKind::Quote, d, crate::samples::seller(), buyer);
        let fields = |r: &DocumentRequest| -> Vec<&str> {
            request_problems(r).into_iter().map(|(f, _)| f).collect()
        };
        assert_eq!(fields(&r), vec!["number", "valid_until"]);
        r.number = Some("Q-2026-0001".into());
        r.valid_until = NaiveDate::from_ymd_opt(2026, 1, 10);
        let p = request_problems(&r);
        assert_eq!(
            p.iter()
                .map(|(f, e)| (*f, e.to_string()))
                .collect::<Vec<_>>(),
            vec![(
                "valid_until",
                "document: valid_until 2026-01-10 comes before the issue date 2026-01-20".into()
            )]
        );
        r.valid_until = NaiveDate::from_ymd_opt(2026, 2, 28);
        assert!(request_problems(&r).is_empty());
        // A country in the wrong case would read as outside the EU, at 0 % VAT.
        r.buyer.country = "fr".into();
        r.seller.address = Some(crate::party::Address {
            lines: vec!["a".into(); 2_000_000],
            ..Default::default()
        });
        let d = crate::adjust::Adjustment {
            id: "d".into(),
            description: String::new(),
            value: crate::adjust::Value::Percent(Decimal::ONE),
            scope: Default::default(),
        };
        r.adjustments.discounts = vec![d; MAX_ADJUSTMENTS + 1];
        let said: Vec<(&str, String)> = request_problems(&r)
            .into_iter()
            .map(|(f, e)| (f, e.to_string()))
            .collect();
        assert_eq!(
            said,
            vec![
                ("buyer.country", "document: buyer.country: `fr` is not an ISO 3166 country code (write it in capitals)".into()),
                ("adjustments", "document: adjustments.discounts: at most 1000 (got 1001); each one is weighed against every line".into()),
            ]
        );
        assert!(check_request(&r, true).is_err());
        // A document already issued with these parties is rebuilt as it was (a correction).
        r.adjustments.discounts.truncate(MAX_ADJUSTMENTS);
        assert!(check_request(&r, false).is_ok());
    }

    /// A figure shown beside a document is converted and rounded as its lines are.
    #[test]
    fn convert_as_a_line() {
        let stamp = FxStamp {
            from: "EUR".into(),
            to: "JPY".into(),
            rate: Decimal::new(16245, 2),
            date: NaiveDate::from_ymd_opt(2026, 1, 30).unwrap(),
            source: "test".into(),
        };
        let a = Decimal::new(4129, 2);
        assert_eq!(
            convert(a, Some(&stamp), "JPY", RoundingMode::HalfUp),
            Some(Decimal::from(6708))
        );
        assert_eq!(convert(a, None, "EUR", RoundingMode::HalfUp), Some(a));
        assert_eq!(
            convert(Decimal::MAX, Some(&stamp), "JPY", RoundingMode::HalfUp),
            None
        );
    }
}
