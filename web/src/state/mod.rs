//! The calculator's state: plain structs with small methods, no DOM. The form keeps what the
//! user typed (text), so that a bad value is shown next to its field instead of being lost;
//! `Setup::compute` turns it into an engine request and runs the engine.

use std::collections::BTreeMap;

use ratecard::adjust::{Adjustment, Adjustments, Scope, Value};
use ratecard::document::{self, Document, DocumentKind, DocumentRequest, Fx};
use ratecard::estimate::{EstimateItem, Plan, Uptime};
use ratecard::fx::FxRates;
use ratecard::party::{Customer, CustomerKind};
use ratecard::vat::VatTable;
use ratecard::{Catalog, Estimate, EstimateRequest, PriceBook};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

mod errors;
mod input;
pub mod offers;

use errors::document_field;
pub use errors::{FieldError, engine_error};
use input::{number, percent};

/// The price lists the calculator offers, by id, with their versions: the shipped ones.
pub const CATALOGS: &[(&str, &[&str])] = ratecard::samples::CATALOGS;

/// Currencies offered, besides the catalog's EUR.
pub const CURRENCIES: &[&str] = &["EUR", "USD", "GBP", "CHF", "SEK", "PLN", "JPY"];

/// Countries offered: the EU member states and a few others.
pub const COUNTRIES: &[&str] = &[
    "FR", "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "GB", "CH", "US", "CA", "JP",
];

thread_local! {
    /// The price books, parsed once per page rather than on every keystroke.
    static BOOKS: std::cell::RefCell<BTreeMap<String, Result<PriceBook, String>>> = const { std::cell::RefCell::new(BTreeMap::new()) };
}

pub fn book(id: &str) -> Result<PriceBook, String> {
    BOOKS.with(|b| {
        b.borrow_mut()
            .entry(id.to_string())
            .or_insert_with(|| {
                let (_, texts) = CATALOGS
                    .iter()
                    .find(|(c, _)| *c == id)
                    .ok_or_else(|| format!("unknown catalog `{id}`"))?;
                let versions = texts
                    .iter()
                    .map(|t| Catalog::from_shipped_json(t).map_err(|e| e.to_string()))
                    .collect::<Result<Vec<_>, _>>()?;
                PriceBook::new(versions).map_err(|e| e.to_string())
            })
            .clone()
    })
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    En,
    Fr,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UptimeUnit {
    #[default]
    Percent,
    Hours,
}

/// One line of the setup, as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemForm {
    pub sku: String,
    pub region: String,
    pub count: String,
    pub plan: Plan,
    pub uptime_unit: UptimeUnit,
    pub uptime: String,
    pub gb: String,
    pub egress_gb: String,
    pub requests: String,
    /// Quote mode: percent off this line.
    pub discount: String,
}

impl Default for ItemForm {
    fn default() -> Self {
        ItemForm {
            sku: String::new(),
            region: String::new(),
            count: "1".into(),
            plan: Plan::Hourly,
            uptime_unit: UptimeUnit::Percent,
            uptime: "100".into(),
            gb: String::new(),
            egress_gb: String::new(),
            requests: String::new(),
            discount: String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomerForm {
    pub name: String,
    pub country: String,
    pub business: bool,
    pub vat_number: String,
}

impl Default for CustomerForm {
    fn default() -> Self {
        CustomerForm {
            name: String::new(),
            country: "FR".into(),
            business: false,
            vat_number: String::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QuoteForm {
    pub enabled: bool,
    pub number: String,
    pub valid_until: String,
    pub issue_date: String,
    /// Percent off the whole quote.
    pub discount: String,
    pub notes: String,
}

/// The whole state of the calculator: what a share link and a saved estimate hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Setup {
    pub catalog: String,
    pub month: String,
    pub region: String,
    pub items: Vec<ItemForm>,
    pub customer: CustomerForm,
    pub currency: String,
    pub lang: Lang,
    pub quote: QuoteForm,
    /// Pricing view: the same setup in another region.
    pub compare_region: String,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            catalog: "stratus".into(),
            month: "2026-01".into(),
            region: "gra".into(),
            items: Vec::new(),
            customer: CustomerForm::default(),
            currency: "EUR".into(),
            lang: Lang::En,
            quote: QuoteForm::default(),
            compare_region: String::new(),
        }
    }
}

/// What the engine made of the setup.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// The request the engine was given (what an exported JSON carries).
    pub request: Option<EstimateRequest>,
    pub estimate: Option<Estimate>,
    pub document: Option<Document>,
    pub errors: Vec<FieldError>,
    /// A second estimate for the pricing view.
    pub compared: Option<Estimate>,
}

impl Outcome {
    pub fn error_for(&self, item: Option<usize>, field: &str) -> Option<String> {
        self.errors
            .iter()
            .find(|e| e.item == item && e.field == field)
            .map(|e| e.message.clone())
    }
}

impl Setup {
    pub fn add(&mut self, sku: &str) {
        let item = ItemForm {
            sku: sku.into(),
            ..Default::default()
        };
        self.items.push(item);
    }

    pub fn duplicate(&mut self, i: usize) {
        if let Some(it) = self.items.get(i).cloned() {
            self.items.insert(i + 1, it);
        }
    }

    pub fn remove(&mut self, i: usize) {
        if i < self.items.len() {
            self.items.remove(i);
        }
    }

    /// The engine's estimate request for this setup, and the fields that could not be read.
    pub fn request(&self) -> (EstimateRequest, Vec<FieldError>) {
        let mut errors = Vec::new();
        let mut items = Vec::new();
        for (i, f) in self.items.iter().enumerate() {
            let at = Some(i);
            let count = match f.count.trim().parse::<i64>() {
                Ok(n) if n >= 1 => u32::try_from(n).unwrap_or(u32::MAX),
                Ok(_) => {
                    errors.push(FieldError {
                        item: at,
                        field: "count".into(),
                        message: "must be at least 1".into(),
                    });
                    1
                }
                Err(_) => {
                    errors.push(FieldError {
                        item: at,
                        field: "count".into(),
                        message: format!("`{}` is not a whole number", f.count),
                    });
                    1
                }
            };
            let uptime = number(&f.uptime, self.lang, at, "uptime", &mut errors).map(|u| {
                match f.uptime_unit {
                    UptimeUnit::Percent => Uptime::Percent(u),
                    UptimeUnit::Hours => Uptime::Hours(u),
                }
            });
            items.push(EstimateItem {
                sku: f.sku.clone(),
                label: None,
                region: (!f.region.is_empty()).then(|| f.region.clone()),
                count,
                plan: f.plan,
                uptime,
                gb: number(&f.gb, self.lang, at, "gb", &mut errors),
                egress_gb: number(&f.egress_gb, self.lang, at, "egress_gb", &mut errors),
                requests: number(&f.requests, self.lang, at, "requests", &mut errors),
                quantity: None,
            });
        }
        let request = EstimateRequest {
            month: self.month.clone(),
            region: Some(self.region.clone()),
            rounding: Default::default(),
            items,
        };
        (request, errors)
    }

    /// Only the fields that apply to each item's sku go to the engine, so a field left over from
    /// another product is not an error.
    fn trimmed(&self, book: &PriceBook, mut request: EstimateRequest) -> EstimateRequest {
        for it in &mut request.items {
            if let Some(p) = book.product(&it.sku) {
                it.trim_to(p);
            }
        }
        request
    }

    fn document_request(&self, errors: &mut Vec<FieldError>) -> DocumentRequest {
        let q = &self.quote;
        // An estimate is dated the last day of its month, the date of supply (and of the rate).
        let issue = ratecard::time::parse_date(&q.issue_date)
            .ok()
            .unwrap_or_else(|| last_of_month(&self.month));
        let mut adjustments = Adjustments::default();
        if q.enabled {
            for (i, it) in self.items.iter().enumerate() {
                if let Some(p) = percent(&it.discount, self.lang, Some(i), "discount", errors) {
                    adjustments.discounts.push(Adjustment {
                        id: format!("line-{}", i + 1),
                        description: format!("Discount on line {}", i + 1),
                        // Every line of the item, wherever the document puts them.
                        scope: Scope::Tag {
                            key: "item".into(),
                            value: i.to_string(),
                        },
                        value: Value::Percent(p),
                    });
                }
            }
            if let Some(p) = percent(&q.discount, self.lang, None, "quote.discount", errors) {
                adjustments.discounts.push(Adjustment {
                    id: "overall".into(),
                    description: "Overall discount".into(),
                    scope: Scope::Document,
                    value: Value::Percent(p),
                });
            }
        }
        let c = &self.customer;
        DocumentRequest {
            kind: if q.enabled {
                DocumentKind::Quote
            } else {
                DocumentKind::Estimate
            },
            number: (q.enabled && !q.number.trim().is_empty()).then(|| q.number.trim().to_string()),
            issue_date: issue,
            valid_until: if q.enabled {
                ratecard::time::parse_date(&q.valid_until).ok()
            } else {
                None
            },
            seller: ratecard::samples::seller(),
            buyer: Customer {
                name: if c.name.trim().is_empty() {
                    "Prospect".into()
                } else {
                    c.name.trim().to_string()
                },
                country: c.country.clone(),
                kind: if c.business {
                    CustomerKind::Business
                } else {
                    CustomerKind::Consumer
                },
                vat_number: (!c.vat_number.trim().is_empty())
                    .then(|| c.vat_number.trim().to_string()),
                address: None,
            },
            currency: Some(self.currency.clone()),
            rounding: Default::default(),
            adjustments,
            notes: (q.enabled && !q.notes.trim().is_empty()).then(|| q.notes.trim().to_string()),
            references: None,
        }
    }

    /// Runs the engine: the estimate (the invoice path on a hypothetical month), then the
    /// estimate or quote document with VAT and currency.
    pub fn compute(&self) -> Outcome {
        let mut out = Outcome::default();
        let (request, mut errors) = self.request();
        let book = match book(&self.catalog) {
            Ok(b) => b,
            Err(e) => {
                errors.push(FieldError {
                    item: None,
                    field: "catalog".into(),
                    message: e,
                });
                out.errors = errors;
                return out;
            }
        };
        for (i, it) in self.items.iter().enumerate() {
            if book.product(&it.sku).is_none() {
                errors.push(FieldError {
                    item: Some(i),
                    field: "sku".into(),
                    message: format!("unknown product `{}` in {}", it.sku, self.catalog),
                });
            }
        }
        if !errors.is_empty() {
            out.errors = errors;
            return out;
        }
        let request = self.trimmed(&book, request);
        out.request = Some(request.clone());
        match ratecard::estimate(&book, &request) {
            Ok(est) => {
                let doc_request = self.document_request(&mut errors);
                let fx = FxRates::sample().ok();
                let fx = fx.as_ref().map_or(Fx::None, Fx::Rates);
                match document::build(&doc_request, &est.rating(), &book, &VatTable::builtin(), fx)
                {
                    Ok(d) => out.document = Some(d),
                    Err(e) => errors.push(FieldError {
                        item: None,
                        field: document_field(&e),
                        message: e.to_string(),
                    }),
                }
                out.estimate = Some(est);
            }
            Err(e) => errors.push(engine_error(&e)),
        }
        if !self.compare_region.is_empty() && self.compare_region != self.region {
            let mut other = request.clone();
            other.region = Some(self.compare_region.clone());
            for it in &mut other.items {
                it.region = None;
            }
            out.compared = ratecard::estimate(&book, &other).ok();
        }
        out.errors = errors;
        out
    }

    /// The hourly and monthly cost of item `i` at each uptime in `hours`: the engine path, one
    /// estimate per point.
    pub fn plan_curve(&self, i: usize, hours: &[i64]) -> Vec<(i64, Decimal, Option<Decimal>)> {
        let Ok(book) = book(&self.catalog) else {
            return Vec::new();
        };
        let (request, errors) = self.request();
        let Some(item) = request.items.get(i).filter(|_| errors.is_empty()) else {
            return Vec::new();
        };
        hours
            .iter()
            .filter_map(|&h| {
                let mut one = item.clone();
                one.uptime = Some(Uptime::Hours(Decimal::from(h)));
                one.plan = Plan::Hourly;
                let req = EstimateRequest {
                    items: vec![one],
                    ..request.clone()
                };
                let est = ratecard::estimate(&book, &req).ok()?;
                let it = est.items.first()?;
                Some((h, it.cost, it.comparison.as_ref().map(|c| c.monthly)))
            })
            .collect()
    }
}

fn last_of_month(month: &str) -> chrono::NaiveDate {
    ratecard::Period::parse(month)
        .map(|p| ratecard::document::supply_date(&p))
        .unwrap_or_default()
}

/// Subtotals of an estimate's lines per service, for the breakdown.
pub fn breakdown(est: &Estimate) -> BTreeMap<String, Decimal> {
    est.summary.subtotals.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> Setup {
        let mut s = Setup::default();
        s.add("b2-15");
        s.items[0].uptime = "50".into();
        s.items[0].count = "2".into();
        s.add("classic-volume");
        s.items[1].gb = "250".into();
        s
    }

    /// A line discount follows its item to every one of its lines, wherever the document
    /// sorts them: 100 % off a volume listed first takes nothing off the instance listed
    /// second (it took the instance's cost before), and 50 % off an item of count 2 halves
    /// both its lines.
    #[test]
    fn a_line_discount_lands_on_its_own_product() {
        let mut s = Setup::default();
        s.add("classic-volume");
        s.items[0].gb = "100".into();
        s.add("b2-15");
        s.quote = QuoteForm {
            enabled: true,
            number: "Q-2026-0001".into(),
            issue_date: "2026-01-31".into(),
            valid_until: "2026-02-28".into(),
            ..QuoteForm::default()
        };
        let full = s.compute();
        s.items[0].discount = "100".into();
        let out = s.compute();
        let doc = out.document.as_ref().expect("document");
        let amount = |sku: &str| -> Vec<Decimal> {
            doc.lines
                .iter()
                .filter(|l| l.sku == sku)
                .map(|l| l.amount)
                .collect()
        };
        assert_eq!(amount("classic-volume"), vec![Decimal::ZERO.round_dp(2)]);
        let instance = full
            .document
            .as_ref()
            .expect("document")
            .lines
            .iter()
            .find(|l| l.sku == "b2-15")
            .map(|l| l.amount);
        assert_eq!(amount("b2-15").first().copied(), instance);
        assert_eq!(Some(doc.totals.net), instance);
        // Count 2, 50 % off: both lines of the item, and only them.
        s.items[0].discount = String::new();
        s.items[1].count = "2".into();
        s.items[1].discount = "50".into();
        let doc = s.compute().document.expect("document");
        let halves: Vec<Decimal> = doc
            .lines
            .iter()
            .filter(|l| l.sku == "b2-15")
            .map(|l| l.reductions * Decimal::TWO)
            .collect();
        let rated: Vec<Decimal> = doc
            .lines
            .iter()
            .filter(|l| l.sku == "b2-15")
            .map(|l| l.rated)
            .collect();
        assert_eq!((halves.len(), &halves), (2, &rated));
        assert!(
            doc.lines
                .iter()
                .filter(|l| l.sku == "classic-volume")
                .all(|l| l.reductions.is_zero())
        );
    }

    #[test]
    fn computes_the_estimate_and_the_document() {
        let out = setup().compute();
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        let est = out.estimate.unwrap();
        // 2 x 41.29 (372 h x 0.111) + 10.33 (744 x 250 x 0.04 / 720).
        assert_eq!(est.summary.total.to_string(), "92.91");
        let doc = out.document.unwrap();
        assert_eq!(
            (doc.totals.tax.to_string(), doc.totals.gross.to_string()),
            ("18.58".into(), "111.49".into())
        );
    }

    #[test]
    fn bad_input_is_reported_on_its_field() {
        let mut s = setup();
        s.items[0].count = "-2".into();
        s.items[1].gb = "lots".into();
        let out = s.compute();
        assert_eq!(
            out.error_for(Some(0), "count").as_deref(),
            Some("must be at least 1")
        );
        assert_eq!(
            out.error_for(Some(1), "gb").as_deref(),
            Some("`lots` is not a number")
        );
        // Past what a decimal holds: said as such, at the field.
        let mut s = setup();
        s.items[1].gb = "9".repeat(30);
        assert_eq!(
            s.compute().error_for(Some(1), "gb").as_deref(),
            Some(
                "`999999999999999999999999999999` has more digits than a decimal holds (28 at most)"
            )
        );
        // "1,000" in English is a thousand (it was read as 1); in French, a comma is the
        // decimal point and "1 000" a thousand.
        let mut s = setup();
        s.items[1].gb = "1,000".into();
        let en = s.compute();
        s.lang = Lang::Fr;
        s.items[1].gb = "1 000".into();
        let fr = s.compute();
        let gb = |o: &Outcome| {
            o.estimate.as_ref().and_then(|e| {
                e.lines
                    .iter()
                    .find(|l| l.sku == "classic-volume")
                    .map(|l| l.quantity)
            })
        };
        assert_eq!(gb(&en), gb(&fr));
        assert_eq!(gb(&en), Some(Decimal::from(1000 * 744)));
        let mut s = setup();
        s.items[1].gb = "1,5".into();
        assert_eq!(
            s.compute().error_for(Some(1), "gb").as_deref(),
            Some("`1,5`: write it as 1,000.5")
        );
        // A decimal past the engine's bound: the engine's error, at the field.
        let mut s = setup();
        s.items[1].gb = "9".repeat(20);
        assert_eq!(
            s.compute().error_for(Some(1), "gb").as_deref(),
            Some("must be at most 1000000000000 (got 99999999999999999999)")
        );
        let mut s = setup();
        s.items[0].sku = "b9-99".into();
        assert_eq!(
            s.compute().error_for(Some(0), "sku").as_deref(),
            Some("unknown product `b9-99` in stratus")
        );
        let mut s = setup();
        s.items[0].uptime = "120".into();
        assert_eq!(
            s.compute().error_for(Some(0), "uptime").as_deref(),
            Some("must be from 0 to 100 (got 120)")
        );
    }

    #[test]
    fn reverse_charge_and_currency() {
        let mut s = setup();
        s.customer = CustomerForm {
            name: "Beispiel GmbH".into(),
            country: "DE".into(),
            business: true,
            vat_number: "DE136695976".into(),
        };
        s.currency = "USD".into();
        let doc = s.compute().document.unwrap();
        assert_eq!(
            doc.vat_treatment.category,
            ratecard::vat::VatCategory::ReverseCharge
        );
        assert_eq!(doc.fx.unwrap().date.to_string(), "2026-01-30");
    }

    #[test]
    fn quote_mode() {
        let mut s = setup();
        s.quote = QuoteForm {
            enabled: true,
            number: "Q-2026-0001".into(),
            valid_until: "2026-02-28".into(),
            issue_date: "2026-01-05".into(),
            discount: "10".into(),
            notes: String::new(),
        };
        let doc = s.compute().document.unwrap();
        assert_eq!(doc.kind, DocumentKind::Quote);
        assert_eq!(doc.totals.net.to_string(), "83.62");
    }

    #[test]
    fn share_state_round_trips() {
        let s = setup();
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<Setup>(&json).unwrap(), s);
    }

    #[test]
    fn plan_curve_uses_the_engine() {
        let c = setup().plan_curve(0, &[0, 361, 744]);
        assert_eq!(c[1].1.to_string(), "80.14"); // 2 x 361 x 0.111 = 2 x 40.07
        assert_eq!(c[0].2.map(|m| m.to_string()), Some("80.00".into()));
    }
}
