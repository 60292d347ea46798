//! The calculator's state: plain structs with small methods, no DOM. The form keeps what the
//! user typed (text), so that a bad value is shown next to its field instead of being lost;
//! `Setup::compute` turns it into an engine request and runs the engine.

use std::collections::BTreeMap;
use std::rc::Rc;

use ratecard::adjust::{Adjustment, Adjustments, Scope, Value};
use ratecard::document::{self, Document, DocumentKind, DocumentRequest, Fx};
use ratecard::estimate::{EstimateItem, PaymentOption, Plan, Upfront, Uptime};
use ratecard::fx::FxRates;
use ratecard::party::{Customer, CustomerKind};
use ratecard::vat::VatTable;
use ratecard::{Catalog, Estimate, EstimateRequest, PriceBook};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

mod errors;
pub mod import;
mod input;
pub mod offers;

use errors::document_field;
pub use errors::{FieldError, engine_error, in_french};
use input::{number, percent};

/// The price lists the calculator offers, by id, with their versions: the shipped ones.
pub const CATALOGS: &[(&str, &[&str])] = ratecard::samples::CATALOGS;

/// Currencies offered, besides the catalog's EUR.
pub const CURRENCIES: &[&str] = &["EUR", "USD", "GBP", "CHF", "SEK", "PLN", "JPY"];

/// Countries offered: the EU member states, the territories with VAT rules of their own (the
/// French overseas departments, Monaco, the Åland and Canary Islands, Ceuta and Melilla) and a
/// few others.
pub const COUNTRIES: &[&str] = &[
    "FR", "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "MC", "GP", "MQ", "RE", "GF",
    "YT", "AX", "IC", "EA", "GB", "CH", "US", "CA", "JP",
];

thread_local! {
    /// The price books, parsed once per page rather than on every keystroke, and shared (an
    /// `Rc`, never a copy of the price list).
    static BOOKS: std::cell::RefCell<BTreeMap<String, Result<Rc<PriceBook>, String>>> = const { std::cell::RefCell::new(BTreeMap::new()) };
    /// The sample exchange rates and the VAT table, read once per page.
    static FX: Option<Rc<FxRates>> = FxRates::sample().ok().map(Rc::new);
    static VAT: Rc<VatTable> = Rc::new(VatTable::builtin());
}

pub fn book(id: &str) -> Result<Rc<PriceBook>, String> {
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
                PriceBook::new(versions)
                    .map(Rc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
    })
}

fn fx_rates() -> Option<Rc<FxRates>> {
    FX.with(Clone::clone)
}

fn vat_table() -> Rc<VatTable> {
    VAT.with(Clone::clone)
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
#[serde(default, deny_unknown_fields)]
pub struct ItemForm {
    /// The line's own id, stable while lines are added, moved and removed: rows, errors,
    /// discounts and costs follow it (a row number would shift).
    pub id: u32,
    pub sku: String,
    /// What the line is for ("web servers"), printed on the quote.
    pub label: String,
    /// The group the line belongs to ("production"), with its subtotal.
    pub group: String,
    pub region: String,
    pub count: String,
    pub plan: Plan,
    pub uptime_unit: UptimeUnit,
    pub uptime: String,
    pub gb: String,
    pub egress_gb: String,
    pub requests: String,
    /// A savings plan: the amount committed per hour (or per month), and how it is paid.
    pub commitment: String,
    pub upfront: Upfront,
    /// A function's month: invocations (or instances kept warm), duration in ms, memory in MB.
    pub invocations: String,
    pub duration_ms: String,
    pub memory_mb: String,
    /// A volume's first two further provisioned dimensions (`IOPS`, `MBps`), per resource, in
    /// the price list's order.
    pub dim_1: String,
    pub dim_2: String,
    /// Quote mode: percent off this line.
    pub discount: String,
}

impl Default for ItemForm {
    fn default() -> Self {
        ItemForm {
            id: 0,
            sku: String::new(),
            label: String::new(),
            group: String::new(),
            region: String::new(),
            count: "1".into(),
            plan: Plan::Hourly,
            uptime_unit: UptimeUnit::Percent,
            uptime: "100".into(),
            gb: String::new(),
            egress_gb: String::new(),
            requests: String::new(),
            commitment: String::new(),
            upfront: Upfront::None,
            invocations: String::new(),
            duration_ms: String::new(),
            memory_mb: String::new(),
            dim_1: String::new(),
            dim_2: String::new(),
            discount: String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
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
#[serde(default, deny_unknown_fields)]
pub struct QuoteForm {
    pub enabled: bool,
    pub number: String,
    pub valid_until: String,
    pub issue_date: String,
    /// Percent off the whole quote.
    pub discount: String,
    pub notes: String,
}

/// The whole state of the calculator: what a share link and a saved estimate hold. A field it
/// does not know (a typo in an imported file: `egress` for `egress_gb`) is an error, never a
/// line imported without it; no field was ever removed, so every link this page wrote reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
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

/// What the engine made of the setup, ready to show: every amount in the chosen currency.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// The request the engine was given (what an exported JSON carries).
    pub request: Option<EstimateRequest>,
    pub estimate: Option<Estimate>,
    pub document: Option<Document>,
    pub errors: Vec<FieldError>,
    /// A second estimate for the pricing view.
    pub compared: Option<Estimate>,
    /// Each line's amount as the document shows it (converted, after its discounts), by id.
    pub item_amounts: BTreeMap<u32, Decimal>,
    /// Each line's amount at list price (converted the same way, before discounts), by id.
    pub item_list: BTreeMap<u32, Decimal>,
    /// The document's amounts per group ("" for lines in none) and per service.
    pub groups: BTreeMap<String, Decimal>,
    pub services: BTreeMap<String, Decimal>,
    /// The lines sold both ways, their plans compared, in the document's currency.
    pub plans: Vec<PlanRow>,
    /// The pricing view, in the document's currency (the last row is the total).
    pub pricing: Vec<PriceRow>,
    /// With a savings plan: the setup over time, in the document's currency, excluding VAT.
    pub term: Option<TermRow>,
}

/// What a setup with a savings plan costs over time (at list price, excluding VAT): paid
/// upfront, every month after, the first twelve months and the whole term.
#[derive(Debug, Clone, PartialEq)]
pub struct TermRow {
    pub upfront: Decimal,
    pub monthly: Decimal,
    pub first_12_months: Decimal,
    pub months: u32,
    pub over_term: Decimal,
}

/// A line sold both by the hour and by the month, both plans at its uptime.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRow {
    pub id: u32,
    pub position: usize,
    pub sku: String,
    pub hourly: Decimal,
    pub monthly: Decimal,
    pub cheaper: ratecard::estimate::Cheaper,
    /// How much the cheaper plan saves.
    pub saves: Decimal,
    pub break_even_hours: Option<i64>,
}

/// One row of the pricing view: a line's list cost here and in the other region.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceRow {
    pub label: String,
    pub here: Decimal,
    pub there: Decimal,
    pub difference: Decimal,
}

/// The outcome as the page holds it: shared, and equal only to itself. Every setup change
/// makes a new outcome, so comparing two deeply (documents, estimates) would cost time and
/// WebAssembly for nothing; the rows compare their own small part instead.
#[derive(Debug, Clone, Default)]
pub struct Shared(pub std::sync::Arc<Outcome>);

impl PartialEq for Shared {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::ops::Deref for Shared {
    type Target = Outcome;
    fn deref(&self) -> &Outcome {
        &self.0
    }
}

/// What one line's row shows of the outcome: a row follows this in a signal of its own, so the
/// outcome has one reader per row, and a row redraws only when its own figures change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowOutcome {
    /// The line's amount as the document shows it, and the currency.
    pub amount: Option<Decimal>,
    pub currency: String,
    /// Whether the line's product is sold by the month too (the plan choice applies).
    pub monthly: bool,
    /// The line's errors: (field, message).
    pub errors: Vec<(String, String)>,
}

impl RowOutcome {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

impl Outcome {
    /// Line `id`'s part, the line being at `position` in the setup.
    pub fn row(&self, id: u32, position: usize) -> RowOutcome {
        RowOutcome {
            amount: self.item_amounts.get(&id).copied(),
            currency: self.currency().to_string(),
            monthly: self
                .estimate
                .as_ref()
                .and_then(|e| e.items.get(position))
                .is_some_and(|it| it.comparison.is_some()),
            errors: self
                .errors
                .iter()
                .filter(|e| e.item == Some(id))
                .map(|e| (e.field.clone(), e.message.clone()))
                .collect(),
        }
    }

    pub fn error_for(&self, item: Option<u32>, field: &str) -> Option<String> {
        self.errors
            .iter()
            .find(|e| e.item == item && e.field == field)
            .map(|e| e.message.clone())
    }

    /// The currency amounts are shown in: the document's, or the catalog's without one.
    pub fn currency(&self) -> &str {
        self.document
            .as_ref()
            .map(|d| d.currency.as_str())
            .or(self.estimate.as_ref().map(|e| e.currency.as_str()))
            .unwrap_or("EUR")
    }

    /// An amount in the catalog's currency (a list price, a plan's cost) in the document's,
    /// converted the way the document converts its lines.
    pub fn shown(&self, amount: Decimal) -> Option<Decimal> {
        match &self.document {
            Some(d) => document::convert(amount, d.fx.as_ref(), &d.currency, d.rounding.lines),
            None => Some(amount),
        }
    }
}

/// A number typed the `from` way, written the `to` way (`1 000,5` -> `1000.5`); a field that
/// does not read stays as typed, and its error is returned.
fn rewrite_number(text: &mut String, from: Lang, to: Lang) -> Result<(), String> {
    if text.trim().is_empty() {
        return Ok(());
    }
    let n = input::normalize(text, from)?;
    *text = match to {
        Lang::En => n,
        Lang::Fr => n.replace('.', ","),
    };
    Ok(())
}

/// Every number of `items`, typed the `from` way, written the `to` way. Those that do not read
/// the `from` way stay as typed; the first is returned, by its line's position, its field and
/// its text.
pub(super) fn rewrite_numbers(
    items: &mut [ItemForm],
    from: Lang,
    to: Lang,
) -> Result<(), (usize, &'static str, String)> {
    let mut first = Ok(());
    for (i, it) in items.iter_mut().enumerate() {
        for (name, f) in [
            ("count", &mut it.count),
            ("uptime", &mut it.uptime),
            ("gb", &mut it.gb),
            ("egress_gb", &mut it.egress_gb),
            ("requests", &mut it.requests),
            ("commitment", &mut it.commitment),
            ("invocations", &mut it.invocations),
            ("duration_ms", &mut it.duration_ms),
            ("memory_mb", &mut it.memory_mb),
            ("dim_1", &mut it.dim_1),
            ("dim_2", &mut it.dim_2),
            ("discount", &mut it.discount),
        ] {
            if rewrite_number(f, from, to).is_err() && first.is_ok() {
                first = Err((i, name, f.clone()));
            }
        }
    }
    first
}

/// The setup over its savings plans' term, from the estimate, converted as the document
/// converts; none without a savings plan.
fn term_row(book: &PriceBook, out: &Outcome) -> Option<TermRow> {
    let est = out.estimate.as_ref()?;
    let months = ratecard::estimate::term_months(book, est)?;
    let (upfront, first_12_months) = ratecard::estimate::projection(book, est, 12).ok()?;
    let (_, over_term) = ratecard::estimate::projection(book, est, months).ok()?;
    Some(TermRow {
        upfront: out.shown(upfront)?,
        monthly: out.shown(est.summary.total.checked_sub(upfront)?)?,
        first_12_months: out.shown(first_12_months)?,
        months,
        over_term: out.shown(over_term)?,
    })
}

impl Setup {
    /// An id no line has yet.
    fn next_id(&self) -> u32 {
        self.items
            .iter()
            .map(|i| i.id)
            .max()
            .map_or(0, |m| m.saturating_add(1))
    }

    /// Gives every line an id of its own (a setup saved before lines had ids has all zeros).
    /// Numbers the lines 0, 1, 2... (a link or file may carry none, the same twice, or the
    /// largest there is): ids only need to be unique within the page.
    pub fn with_ids(mut self) -> Self {
        for (n, it) in self.items.iter_mut().enumerate() {
            it.id = u32::try_from(n).unwrap_or(u32::MAX);
        }
        // A country code as the list writes it (`fr` is FR).
        self.customer.country = self.customer.country.trim().to_ascii_uppercase();
        self
    }

    /// Switches the language, rewriting each number typed as the new language writes it
    /// (`1,000.5` becomes `1000,5`), so that a number never changes value with the language.
    /// A number that does not read stays as typed (it is an error either way).
    pub fn switch_lang(&mut self, to: Lang) {
        let from = self.lang;
        if from == to {
            return;
        }
        // A field that did not read stays as typed, with its error.
        let _ = rewrite_numbers(&mut self.items, from, to);
        let _ = rewrite_number(&mut self.quote.discount, from, to);
        self.lang = to;
    }

    pub fn position(&self, id: u32) -> Option<usize> {
        self.items.iter().position(|i| i.id == id)
    }

    pub fn item(&self, id: u32) -> Option<&ItemForm> {
        self.items.iter().find(|i| i.id == id)
    }

    pub fn item_mut(&mut self, id: u32) -> Option<&mut ItemForm> {
        self.items.iter_mut().find(|i| i.id == id)
    }

    /// Adds a line for `sku`; returns its id.
    pub fn add(&mut self, sku: &str) -> u32 {
        let id = self.next_id();
        self.items.push(ItemForm {
            id,
            sku: sku.into(),
            ..Default::default()
        });
        id
    }

    /// Copies line `id` just after it; returns the copy's id.
    pub fn duplicate(&mut self, id: u32) -> Option<u32> {
        let at = self.position(id)?;
        let new = self.next_id();
        let mut copy = self.items.get(at)?.clone();
        copy.id = new;
        self.items.insert(at.saturating_add(1), copy);
        Some(new)
    }

    /// Removes line `id`; returns its position.
    pub fn remove(&mut self, id: u32) -> Option<usize> {
        let at = self.position(id)?;
        self.items.remove(at);
        Some(at)
    }

    /// The names of the groups in use, in order of first use.
    pub fn group_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for it in &self.items {
            let g = it.group.trim();
            if !g.is_empty() && !names.iter().any(|n| n == g) {
                names.push(g.to_string());
            }
        }
        names
    }

    /// The engine's estimate request for this setup, and the fields that could not be read.
    pub fn request(&self) -> (EstimateRequest, Vec<FieldError>) {
        let mut errors = Vec::new();
        let mut items = Vec::new();
        let book = book(&self.catalog).ok();
        for f in &self.items {
            let at = Some(f.id);
            // Only the fields the engine reads for the product are read (a hidden field left
            // over from another product is neither sent nor an error).
            let fields = book
                .as_ref()
                .and_then(|b| b.product(&f.sku))
                .map(ratecard::estimate::item_fields);
            let applies = |name: &str| fields.is_none_or(|fl| fl.reads(name));
            let read = |text: &str, name: &str, errors: &mut Vec<FieldError>| {
                if applies(name) {
                    number(text, self.lang, at, name, errors)
                } else {
                    None
                }
            };
            let count = input::count(&f.count, self.lang, at, &mut errors);
            let uptime = read(&f.uptime, "uptime", &mut errors).map(|u| match f.uptime_unit {
                UptimeUnit::Percent => Uptime::Percent(u),
                UptimeUnit::Hours => Uptime::Hours(u),
            });
            let text = |t: &str| (!t.trim().is_empty()).then(|| t.trim().to_string());
            items.push(EstimateItem {
                sku: f.sku.clone(),
                label: text(&f.label),
                group: text(&f.group),
                region: (!f.region.is_empty()).then(|| f.region.clone()),
                count,
                plan: f.plan,
                uptime,
                gb: read(&f.gb, "gb", &mut errors),
                egress_gb: read(&f.egress_gb, "egress_gb", &mut errors),
                requests: read(&f.requests, "requests", &mut errors),
                quantity: None,
                commitment: read(&f.commitment, "commitment", &mut errors),
                upfront: applies("upfront").then_some(f.upfront),
                function: function(f, &applies, self.lang, at, &mut errors),
                dimensions: book
                    .as_ref()
                    .and_then(|b| b.product(&f.sku))
                    .map_or(&[][..], |p| p.charge.dimensions())
                    .iter()
                    .zip([("dim_1", &f.dim_1), ("dim_2", &f.dim_2)])
                    .filter_map(|(d, (field, v))| {
                        number(v, self.lang, at, field, &mut errors).map(|n| (d.name.clone(), n))
                    })
                    .collect(),
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

    /// The body the service prices a quote from (`POST /api/v1/quotes`): the estimate request
    /// the engine was given and the quote's document request. The service prices it again
    /// with the same engine, so its PDF prints the figures on this page.
    pub fn quote_body(&self, request: &EstimateRequest) -> String {
        #[derive(Serialize)]
        struct Body<'a> {
            estimate: &'a EstimateRequest,
            document: DocumentRequest,
        }
        let document = self.document_request(&mut Vec::new());
        // The engine's canonical writer, which the calculator carries already (exports).
        ratecard::canonical::to_string(&Body {
            estimate: request,
            document,
        })
        .unwrap_or_default()
    }

    fn document_request(&self, errors: &mut Vec<FieldError>) -> DocumentRequest {
        let q = &self.quote;
        // An estimate is dated the last day of its month, the date of supply (and of the rate).
        let issue = ratecard::time::parse_date(&q.issue_date)
            .ok()
            .filter(|_| q.enabled)
            .unwrap_or_else(|| last_of_month(&self.month));
        let mut adjustments = Adjustments::default();
        if q.enabled {
            for (i, it) in self.items.iter().enumerate() {
                if let Some(p) = percent(&it.discount, self.lang, Some(it.id), "discount", errors) {
                    adjustments.discounts.push(Adjustment {
                        id: format!("line-{}", i + 1),
                        description: format!("Discount on line {}", i + 1),
                        // Every line of the item, wherever the document puts them: the
                        // engine tags each line with its item's place in the request.
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
        // A country the page does not offer (a link's `fr` or `UK`) is an error at its field,
        // and the figures are those of the default country meanwhile: the document failed,
        // every total was blank, and the error was filed where nothing showed it.
        let offered = COUNTRIES.contains(&c.country.as_str());
        let country = if offered {
            c.country.clone()
        } else {
            errors.push(FieldError {
                item: None,
                field: "customer.country".into(),
                message: format!(
                    "`{}` is not a country offered here: pick one in the list",
                    c.country
                ),
            });
            CustomerForm::default().country
        };
        let mut request = DocumentRequest::new(
            if q.enabled {
                DocumentKind::Quote
            } else {
                DocumentKind::Estimate
            },
            issue,
            ratecard::samples::seller(),
            Customer {
                name: if c.name.trim().is_empty() {
                    "Prospect".into()
                } else {
                    c.name.trim().to_string()
                },
                country,
                kind: if c.business {
                    CustomerKind::Business
                } else {
                    CustomerKind::Consumer
                },
                vat_number: (!c.vat_number.trim().is_empty())
                    .then(|| c.vat_number.trim().to_string()),
                siren: None,
                address: None,
            },
        );
        request.number =
            (q.enabled && !q.number.trim().is_empty()).then(|| q.number.trim().to_string());
        request.valid_until = if q.enabled {
            ratecard::time::parse_date(&q.valid_until).ok()
        } else {
            None
        };
        request.currency = Some(self.currency.clone());
        request.adjustments = adjustments;
        request.notes =
            (q.enabled && !q.notes.trim().is_empty()).then(|| q.notes.trim().to_string());
        if q.enabled
            && !q.issue_date.trim().is_empty()
            && ratecard::time::parse_date(&q.issue_date).is_err()
        {
            errors.push(FieldError {
                item: None,
                field: "quote.issue_date".into(),
                message: format!("`{}` is not a date", q.issue_date),
            });
        }
        // A quote's own fields in error are shown at those fields; meanwhile the figures are
        // those of an estimate (the same lines, discounts and VAT), never a blank page.
        // So is a quote whose customer's country is refused: it is not numbered, printed or
        // sent with the default country's VAT.
        let problems = document::request_problems(&request);
        if !problems.is_empty() || !offered {
            for (field, e) in problems {
                errors.push(FieldError {
                    item: None,
                    field: format!("quote.{field}"),
                    message: e.to_string(),
                });
            }
            request.kind = DocumentKind::Estimate;
            request.number = None;
            request.valid_until = None;
        }
        request
    }

    /// Runs the engine: the estimate (the invoice path on a hypothetical month), then the
    /// estimate or quote document with VAT and currency. Messages are in the page's language.
    pub fn compute(&self) -> Outcome {
        let mut out = self.compute_in_english();
        if self.lang == Lang::Fr {
            for e in &mut out.errors {
                e.message = errors::in_french(&e.message);
            }
        }
        out
    }

    fn compute_in_english(&self) -> Outcome {
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
        for it in &self.items {
            if book.product(&it.sku).is_none() {
                errors.push(FieldError {
                    item: Some(it.id),
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
                out.document = self.document(&doc_request, &est, &book, &mut errors);
                if let Some(d) = &out.document {
                    let by_index = ratecard::estimate::amounts_by_tag(&est, d, "item");
                    let list = ratecard::estimate::list_amounts_by_tag(
                        &est,
                        d.fx.as_ref(),
                        &d.currency,
                        d.rounding.lines,
                        "item",
                    );
                    for (i, it) in self.items.iter().enumerate() {
                        let key = i.to_string();
                        // An item with no line of its own costs nothing; amounts that could not
                        // be summed are not shown at all (never a false 0.00).
                        if let Some(m) = &by_index {
                            let a = m.get(&key).copied().unwrap_or_default();
                            out.item_amounts.insert(it.id, a);
                        }
                        if let Some(m) = &list {
                            let a = m.get(&key).copied().unwrap_or_default();
                            out.item_list.insert(it.id, a);
                        }
                    }
                    out.groups =
                        ratecard::estimate::amounts_by_tag(&est, d, "group").unwrap_or_default();
                    out.services = document::subtotals_by_service(d).unwrap_or_default();
                }
                out.estimate = Some(est);
            }
            Err(e) => errors.push(engine_error(&e, &self.items, Some(&book))),
        }
        if !self.compare_region.is_empty() && self.compare_region != self.region {
            let mut other = request.clone();
            other.region = Some(self.compare_region.clone());
            for it in &mut other.items {
                it.region = None;
            }
            out.compared = ratecard::estimate(&book, &other).ok();
        }
        out.plans = self.plan_rows(&out);
        out.pricing = self.pricing_rows(&out);
        out.term = term_row(&book, &out);
        out.errors = errors;
        out
    }

    /// Every way to pay for the setup's usage (on demand, monthly plans, each savings plan and
    /// upfront option), in the catalog's currency; none while the setup has errors.
    pub fn payment_options(&self) -> Vec<PaymentOption> {
        let (request, errors) = self.request();
        let Ok(book) = book(&self.catalog) else {
            return Vec::new();
        };
        if !errors.is_empty() || request.items.is_empty() {
            return Vec::new();
        }
        let request = self.trimmed(&book, request);
        ratecard::estimate::payment_options(&book, &request).unwrap_or_default()
    }

    /// The commitment a savings plan `sku` would be used in full at, for the setup as it is
    /// (written as the page writes numbers); none without eligible usage.
    pub fn suggested_commitment(&self, sku: &str) -> Option<String> {
        let mut without = self.clone();
        without.items.retain(|it| it.sku != sku);
        let c = without
            .payment_options()
            .into_iter()
            .find(|o| o.sku.as_deref() == Some(sku))?
            .commitment?
            .to_string();
        Some(match self.lang {
            Lang::En => c,
            Lang::Fr => c.replace('.', ","),
        })
    }

    /// The document for the estimate; in the catalog's currency, with the error at the currency
    /// field, when it cannot be converted (no rate for the date): the figures stay.
    fn document(
        &self,
        request: &DocumentRequest,
        est: &Estimate,
        book: &PriceBook,
        errors: &mut Vec<FieldError>,
    ) -> Option<Document> {
        let fx = fx_rates();
        let fx = fx.as_deref().map_or(Fx::None, Fx::Rates);
        let vat = vat_table();
        let rating = est.rating();
        match document::build(request, &rating, book, &vat, fx) {
            Ok(d) => Some(d),
            Err(e @ ratecard::Error::Fx(_)) => {
                errors.push(FieldError {
                    item: None,
                    field: "currency".into(),
                    message: e.to_string(),
                });
                let mut request = request.clone();
                request.currency = None;
                document::build(&request, &rating, book, &vat, Fx::None).ok()
            }
            Err(e) => {
                errors.push(FieldError {
                    item: None,
                    field: document_field(&e),
                    message: e.to_string(),
                });
                None
            }
        }
    }

    fn plan_rows(&self, out: &Outcome) -> Vec<PlanRow> {
        let Some(est) = &out.estimate else {
            return Vec::new();
        };
        est.items
            .iter()
            .filter_map(|it| {
                let c = it.comparison.as_ref()?;
                let id = self.items.get(it.index)?.id;
                // Both plans at list price (the verdict is the engine's, before discounts). The
                // plan the line is on shows the line's list amount as the document converts it,
                // so with no discount it is the line's own figure to the cent; the other plan
                // is converted from its rounded cost. A line a savings plan covers costs less
                // than the on-demand figures the verdict weighs: both plans show those (the
                // covered cost beside the verdict said "monthly cheaper by 13.93" for 2.58).
                let billed = (!est.covered_by_savings_plan(it.index))
                    .then(|| out.item_list.get(&id).copied())
                    .flatten();
                let (hourly, monthly) = match it.plan {
                    Plan::Hourly => (billed.or(out.shown(c.hourly))?, out.shown(c.monthly)?),
                    Plan::Monthly => (out.shown(c.hourly)?, billed.or(out.shown(c.monthly))?),
                };
                Some(PlanRow {
                    id,
                    position: it.index,
                    sku: it.sku.clone(),
                    hourly,
                    monthly,
                    cheaper: c.cheaper,
                    saves: hourly.checked_sub(monthly)?.abs(),
                    break_even_hours: c.break_even_hours,
                })
            })
            .collect()
    }

    /// The pricing view's rows: each line's list cost in both regions, both sides converted and
    /// rounded line by line as the document converts its lines; then the totals.
    fn pricing_rows(&self, out: &Outcome) -> Vec<PriceRow> {
        let (Some(a), Some(b), Some(doc)) = (&out.estimate, &out.compared, &out.document) else {
            return Vec::new();
        };
        let list = |e: &Estimate| {
            ratecard::estimate::list_amounts_by_tag(
                e,
                doc.fx.as_ref(),
                &doc.currency,
                doc.rounding.lines,
                "item",
            )
        };
        let (Some(here), Some(there)) = (list(a), list(b)) else {
            return Vec::new();
        };
        let row = |label: String, here: Decimal, there: Decimal| {
            Some(PriceRow {
                label,
                here,
                there,
                difference: there.checked_sub(here)?,
            })
        };
        let mut rows: Vec<PriceRow> = a
            .items
            .iter()
            .filter_map(|x| {
                let key = x.index.to_string();
                row(
                    x.label.clone().unwrap_or_else(|| x.sku.clone()),
                    here.get(&key).copied().unwrap_or_default(),
                    there.get(&key).copied().unwrap_or_default(),
                )
            })
            .collect();
        let total = |m: &BTreeMap<String, Decimal>| {
            m.values().try_fold(Decimal::ZERO, |a, v| a.checked_add(*v))
        };
        if let (Some(h), Some(t)) = (total(&here), total(&there)) {
            rows.extend(row(String::new(), h, t));
        }
        rows
    }

    /// What the plan chart of line `id` depends on: the line alone, with the month and region.
    /// A memo of this keeps the chart from being recomputed when another line changes.
    pub fn curve_input(&self, id: u32) -> Option<Setup> {
        let item = self.item(id)?.clone();
        Some(Setup {
            items: vec![item],
            customer: CustomerForm::default(),
            quote: QuoteForm::default(),
            compare_region: String::new(),
            ..self.clone_shallow()
        })
    }

    fn clone_shallow(&self) -> Setup {
        Setup {
            catalog: self.catalog.clone(),
            month: self.month.clone(),
            region: self.region.clone(),
            items: Vec::new(),
            customer: CustomerForm::default(),
            currency: self.currency.clone(),
            lang: self.lang,
            quote: QuoteForm::default(),
            compare_region: String::new(),
        }
    }

    /// The hourly and monthly cost of the first line at each uptime in `hours`: the engine
    /// path, one estimate per point.
    pub fn plan_curve(&self, hours: &[i64]) -> Vec<(i64, Decimal, Option<Decimal>)> {
        let Ok(book) = book(&self.catalog) else {
            return Vec::new();
        };
        let (request, errors) = self.request();
        let Some(item) = request.items.first().filter(|_| errors.is_empty()) else {
            return Vec::new();
        };
        let item = match book.product(&item.sku) {
            Some(p) => {
                let mut it = item.clone();
                it.trim_to(p);
                it
            }
            None => return Vec::new(),
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

/// A line's function use, when its product counts one and any of its fields is filled in (an
/// empty one then counts zero; none filled in: nothing used).
fn function(
    f: &ItemForm,
    applies: &dyn Fn(&str) -> bool,
    lang: Lang,
    at: Option<u32>,
    errors: &mut Vec<FieldError>,
) -> Option<ratecard::event::FunctionUse> {
    if !applies("function")
        || [&f.invocations, &f.duration_ms, &f.memory_mb]
            .iter()
            .all(|t| t.trim().is_empty())
    {
        return None;
    }
    let mut get = |text: &str, name: &str| number(text, lang, at, name, errors).unwrap_or_default();
    let n = get(&f.invocations, "invocations");
    let warm = applies("function.concurrency");
    Some(ratecard::event::FunctionUse {
        invocations: (!warm).then_some(n),
        concurrency: warm.then_some(n),
        duration_ms: get(&f.duration_ms, "duration_ms"),
        memory_mb: get(&f.memory_mb, "memory_mb"),
    })
}

fn last_of_month(month: &str) -> chrono::NaiveDate {
    ratecard::Period::parse(month)
        .map(|p| ratecard::document::supply_date(&p))
        .unwrap_or_default()
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
        // Past what a decimal holds: too large, at the field (it said "not a number").
        let mut s = setup();
        s.items[1].gb = "9".repeat(30);
        assert_eq!(
            s.compute().error_for(Some(1), "gb").as_deref(),
            Some("`999999999999999999999999999999` is too large")
        );
        s.items[1].gb = format!("0.{}", "1".repeat(30));
        assert!(
            s.compute()
                .error_for(Some(1), "gb")
                .is_some_and(|e| e.contains("more decimals"))
        );
        // Counts: empty, past any integer, past the engine's bound, not whole, grouped.
        let count = |text: &str, lang: Lang| {
            let mut s = setup();
            s.lang = lang;
            s.items[0].count = text.into();
            s.compute().error_for(Some(0), "count")
        };
        assert_eq!(
            count("", Lang::En).as_deref(),
            Some("enter how many (1 or more)")
        );
        assert_eq!(
            count("4294967296", Lang::En).as_deref(),
            Some("too large: at most 5000 (got 4294967296)")
        );
        assert_eq!(
            count("5001", Lang::Fr).as_deref(),
            Some("trop grand : 5000 au plus (reçu 5001)")
        );
        assert_eq!(
            count("2.5", Lang::En).as_deref(),
            Some("`2.5` is not a whole number")
        );
        assert_eq!(count("1,000", Lang::En), None);
        assert_eq!(count("1 000", Lang::Fr), None);
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

    /// Quote mode with its own fields missing or wrong keeps every total; each problem is
    /// shown at its field (the totals were blank until both number and validity were set).
    #[test]
    fn quote_mode_never_blanks_the_totals() {
        let mut s = setup();
        let estimate = s.compute().document.expect("document").totals;
        s.quote.enabled = true;
        let out = s.compute();
        assert_eq!(out.document.as_ref().map(|d| &d.totals), Some(&estimate));
        assert_eq!(
            out.error_for(None, "quote.number").as_deref(),
            Some("document: a quote needs a number (SERIES-YYYY-NNNNNN)")
        );
        assert_eq!(
            out.error_for(None, "quote.valid_until").as_deref(),
            Some("document: a quote needs valid_until")
        );
        s.quote.number = "Q-2026-0001".into();
        s.quote.issue_date = "2026-01-20".into();
        s.quote.valid_until = "2026-01-10".into();
        s.quote.discount = "150".into();
        s.lang = Lang::Fr;
        let out = s.compute();
        assert_eq!(out.document.as_ref().map(|d| &d.totals), Some(&estimate));
        assert_eq!(
            out.error_for(None, "quote.valid_until").as_deref(),
            Some("valid_until 2026-01-10 précède la date d'émission 2026-01-20")
        );
        assert_eq!(
            out.error_for(None, "quote.discount").as_deref(),
            Some("doit être entre 0 et 100 % (reçu 150)")
        );
    }

    /// In another currency, every amount is the document's: each line's amount, the groups,
    /// the services, the plans compared; and the lines add up to the net total.
    #[test]
    fn every_amount_in_the_chosen_currency() {
        let mut s = setup();
        s.items[0].group = "production".into();
        s.items[1].group = "staging".into();
        s.currency = "USD".into();
        let out = s.compute();
        let doc = out.document.clone().expect("document");
        assert_eq!(doc.currency, "USD");
        let rate = doc.fx.as_ref().expect("rate").rate;
        let lines: Decimal = out.item_amounts.values().copied().sum();
        assert_eq!(lines, doc.totals.net);
        let groups: Decimal = out.groups.values().copied().sum();
        assert_eq!(groups, doc.totals.net);
        assert_eq!(out.groups.len(), 2);
        let services: Decimal = out.services.values().copied().sum();
        assert_eq!(services, doc.totals.net);
        // 2 x 41.29 EUR on the hourly plan, converted as a document line is.
        let plan = out.plans.first().expect("a line sold both ways");
        assert_eq!(plan.hourly, (Decimal::new(8258, 2) * rate).round_dp(2));
        assert_eq!(out.item_amounts.get(&0), Some(&plan.hourly));
        assert_eq!(plan.saves, (plan.hourly - plan.monthly).abs());
    }

    /// Frankfurt sells at other prices than Gravelines (as providers' regions do), so the
    /// pricing view shows a difference: 744 h x 0.111 = 82.58 against 744 h x 0.122 = 90.77.
    #[test]
    fn the_pricing_view_shows_regions_that_differ() {
        let mut s = Setup::default();
        s.add("b2-15");
        s.compare_region = "de1".into();
        let out = s.compute();
        let total = out.pricing.last().expect("a total row");
        assert_eq!(
            (
                total.here.to_string(),
                total.there.to_string(),
                total.difference.to_string()
            ),
            ("82.58".into(), "90.77".into(), "8.19".into())
        );
    }

    /// Two lines feeding one counter (egress of two object storages, an account total): the
    /// counter line is the first line's, whole, for its discount, its amount and its group,
    /// and the lines add up to the net total (the egress was nobody's and kept its price).
    #[test]
    fn a_shared_counter_belongs_to_its_first_line() {
        let mut s = Setup::default();
        for (egress, group) in [("500", "prod"), ("200", "staging")] {
            let id = s.add("object-storage");
            let it = s.item_mut(id).expect("line");
            it.gb = "100".into();
            it.egress_gb = egress.into();
            it.group = group.into();
        }
        s.quote = QuoteForm {
            enabled: true,
            number: "Q-2026-0001".into(),
            issue_date: "2026-01-31".into(),
            valid_until: "2026-02-28".into(),
            ..QuoteForm::default()
        };
        let full = s.compute();
        let sum = |o: &Outcome| o.item_amounts.values().copied().sum::<Decimal>();
        let net = |o: &Outcome| o.document.as_ref().map(|d| d.totals.net);
        assert_eq!(Some(sum(&full)), net(&full));
        assert_eq!(full.groups.get(""), None, "no line without a group");
        s.items[0].discount = "100".into();
        let out = s.compute();
        assert_eq!(out.item_amounts.get(&0), Some(&Decimal::new(0, 2)));
        assert_eq!(Some(sum(&out)), net(&out));
        assert_eq!(net(&out), full.item_amounts.get(&1).copied());
    }

    /// A country the page does not offer, from a link or a file, is an error at the country
    /// field, and the totals stay (they were blank, the error shown nowhere); `fr` is FR.
    #[test]
    fn a_country_not_offered_is_an_error_at_its_field() {
        let mut s = setup();
        s.quote = QuoteForm {
            enabled: true,
            number: "Q-2026-0001".into(),
            issue_date: "2026-01-31".into(),
            valid_until: "2026-02-28".into(),
            ..QuoteForm::default()
        };
        assert_eq!(
            s.compute().document.expect("a quote").kind,
            DocumentKind::Quote
        );
        s.customer.country = "UK".into();
        let out = s.compute();
        assert_eq!(
            out.error_for(None, "customer.country").as_deref(),
            Some("`UK` is not a country offered here: pick one in the list")
        );
        let doc = out.document.expect("the figures stay");
        assert_eq!(doc.totals.gross.to_string(), "111.49");
        // Not a quote meanwhile: no number to print or send with the default country's VAT.
        assert_eq!((doc.kind, doc.number), (DocumentKind::Estimate, None));
        s.customer.country = " fr".into();
        let s = s.with_ids();
        assert_eq!(s.customer.country, "FR");
        assert!(s.compute().error_for(None, "customer.country").is_none());
    }

    /// A line a savings plan covers is compared on demand, as the verdict is: the covered cost
    /// (66.07, 744 h at the plan's 0.0888) showed as its hourly cost beside "monthly cheaper".
    #[test]
    fn plans_are_compared_on_demand_under_a_savings_plan() {
        let mut s = Setup::default();
        let vm = s.add("b2-15");
        let plan = s.add("savings-1y");
        s.item_mut(plan).expect("line").commitment = "0.0888".into();
        let out = s.compute();
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        let row = out.plans.iter().find(|r| r.id == vm).expect("a plan row");
        // 744 h x 0.111 on demand, against the monthly plan's fee.
        assert_eq!(row.hourly.to_string(), "82.58");
        assert_eq!(row.saves, row.hourly - row.monthly);
        assert_eq!(row.cheaper, ratecard::estimate::Cheaper::Monthly);
    }

    /// With a line discount, both plans are still compared at list price, so the verdict and
    /// the figures agree (the discounted amount against a list price said the opposite).
    #[test]
    fn plans_are_compared_at_list_price() {
        let mut s = setup();
        let before = s.compute().plans;
        s.quote.enabled = true;
        s.items[0].discount = "10".into();
        let after = s.compute().plans;
        assert_eq!(before, after);
        let p = after.first().expect("a plan row");
        assert_eq!(
            (p.hourly.to_string(), p.monthly.to_string()),
            ("82.58".into(), "80.00".into())
        );
    }

    /// Switching language rewrites the numbers, so none changes value; a number that does not
    /// read stays as typed.
    #[test]
    fn switching_language_keeps_every_number() {
        let mut s = setup();
        s.items[1].gb = "1,000.5".into();
        s.items[0].uptime = "oops".into();
        let en = s.compute();
        s.switch_lang(Lang::Fr);
        assert_eq!(
            (s.items[1].gb.as_str(), s.items[0].uptime.as_str()),
            ("1000,5", "oops")
        );
        s.items[0].uptime = "50".into();
        let fr = s.compute();
        s.switch_lang(Lang::En);
        assert_eq!(s.items[1].gb, "1000.5");
        let gb = |o: &Outcome| o.request.as_ref().and_then(|r| r.items[1].gb);
        assert_eq!(gb(&fr), Some(Decimal::new(10005, 1)));
        assert!(en.error_for(Some(0), "uptime").is_some());
    }

    /// A field the product does not read is not read at all: a bad value left in a hidden
    /// field blanked every total. Whole-request errors (too many resources) are said.
    #[test]
    fn hidden_fields_and_request_errors() {
        let mut s = setup();
        s.items[0].gb = "abc".into(); // an instance: no GB field
        let out = s.compute();
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        assert!(out.document.is_some());
        s.items[0].count = "3000".into();
        s.items[1].sku = "b2-15".into();
        s.items[1].count = "3000".into();
        let out = s.compute();
        assert!(
            out.error_for(None, "items")
                .is_some_and(|e| e.contains("at most 5000 resources")),
            "{:?}",
            out.errors
        );
    }

    /// A support plan in the calculator: a share of the month's spend, through the engine:
    /// 2 x 744 h x 0.222 = 330.34 of instances, 10 % = 33.03 of support (over the 29.00 minimum).
    #[test]
    fn a_support_plan_is_a_share_of_the_spend() {
        let mut s = Setup::default();
        let vm = s.add("b2-30");
        s.item_mut(vm).expect("line").count = "2".into();
        let support = s.add("support-business");
        let out = s.compute();
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        assert_eq!(
            out.services
                .get("Support")
                .map(|d| d.to_string())
                .as_deref(),
            Some("33.03")
        );
        assert_eq!(
            out.item_amounts
                .get(&support)
                .map(|d| d.to_string())
                .as_deref(),
            Some("33.03")
        );
    }

    /// A savings plan in the calculator: offered at the commitment the usage uses in full
    /// (4 x b2-30 at 0.222 less 20 % = 0.7104 an hour, to 0.71), then priced through the engine
    /// with the setup over time: 4 x 744 h x 0.1776 = 132.13 a line, 528.52 a month; over the
    /// 8,760 hours of the year from January, 6,222.90; all upfront, 0.7104 x 8,760 = 6,223.10
    /// at the start and nothing a month.
    /// A function and a volume with provisioned dimensions, typed as a prospect types them
    /// (French separators included), price as the engine's cases do.
    #[test]
    fn a_function_and_a_volume_with_dimensions() {
        let mut s = Setup {
            catalog: "nimbus".into(),
            region: "fr-par".into(),
            ..Setup::default()
        };
        let f = s.add("functions-compute");
        {
            let it = s.item_mut(f).expect("line");
            it.invocations = "3,000,000".into();
            it.duration_ms = "1000".into();
            it.memory_mb = "512".into();
        }
        let v = s.add("block-gp");
        {
            let it = s.item_mut(v).expect("line");
            it.count = "2".into();
            it.gb = "500".into();
            it.dim_1 = "6000".into();
            it.dim_2 = "250".into();
        }
        let out = s.compute();
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        let amount = |k: &str| out.services.get(k).map(|d| d.to_string());
        // 11.00 of GB-seconds and 0.30 of requests; 2 x (40.77 + 15.29 + 5.10).
        assert_eq!(amount("Serverless").as_deref(), Some("11.30"));
        assert_eq!(amount("Block storage").as_deref(), Some("122.32"));
        // The dimensions' own skus are priced through the volume, not offered on their own.
        let offered = offers::offers("nimbus");
        assert!(offered.iter().all(|o| o.sku != "block-gp-iops"));
        let gp = offered
            .iter()
            .find(|o| o.sku == "block-gp")
            .expect("block-gp");
        assert_eq!(gp.dimensions.len(), 2);
        // A bad value is reported on its own field; a language switch keeps every number.
        s.item_mut(f).expect("line").memory_mb = "-5".into();
        let out = s.compute();
        assert_eq!(
            out.error_for(Some(f), "memory_mb").as_deref(),
            Some("must not be negative")
        );
        s.item_mut(f).expect("line").memory_mb = "512".into();
        s.switch_lang(Lang::Fr);
        assert_eq!(s.item(f).expect("line").invocations, "3000000");
        s.item_mut(v).expect("line").dim_1 = "6000,5".into();
        let out = s.compute();
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        // A dimension's error lands on its own field: the second (MB/s) past the engine's
        // bound, the first unreadable.
        s.item_mut(v).expect("line").dim_2 = "2000000000000".into();
        let out = s.compute();
        assert!(
            out.error_for(Some(v), "dim_2").is_some(),
            "{:?}",
            out.errors
        );
        assert!(
            out.error_for(Some(v), "dim_1").is_none(),
            "{:?}",
            out.errors
        );
        s.item_mut(v).expect("line").dim_2 = "250".into();
        s.item_mut(v).expect("line").dim_1 = "x".into();
        let out = s.compute();
        assert!(
            out.error_for(Some(v), "dim_1").is_some(),
            "{:?}",
            out.errors
        );
        s.item_mut(v).expect("line").dim_1 = "6000".into();
        // A function within every bound that makes more GB-seconds than a quantity may be is
        // refused on its first field.
        s.item_mut(f).expect("line").invocations = "1000000000000".into();
        s.item_mut(f).expect("line").memory_mb = "1048576".into();
        s.item_mut(f).expect("line").duration_ms = "10000000000".into();
        let out = s.compute();
        assert!(
            out.error_for(Some(f), "invocations").is_some(),
            "{:?}",
            out.errors
        );
        s.item_mut(f).expect("line").invocations = "3000000".into();
        s.item_mut(f).expect("line").memory_mb = "512".into();
        // An engine error on a function's field lands on that field of the form.
        s.item_mut(f).expect("line").duration_ms = "20000000000".into();
        let out = s.compute();
        assert_eq!(
            out.error_for(Some(f), "duration_ms").as_deref(),
            Some("doit valoir au plus 10000000000 (reçu 20000000000)")
        );
    }

    #[test]
    fn a_savings_plan_is_offered_and_priced() {
        let mut s = Setup::default();
        let vm = s.add("b2-30");
        s.item_mut(vm).expect("line").count = "4".into();
        assert_eq!(
            s.suggested_commitment("savings-1y").as_deref(),
            Some("0.71")
        );
        s.switch_lang(Lang::Fr);
        assert_eq!(
            s.suggested_commitment("savings-1y").as_deref(),
            Some("0,71")
        );
        s.switch_lang(Lang::En);
        let plan = s.add("savings-1y");
        s.item_mut(plan).expect("line").commitment = "0.7104".into();
        let out = s.compute();
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        let amount = |k: &str| out.services.get(k).map(|d| d.to_string());
        assert_eq!(amount("Instances").as_deref(), Some("528.52"));
        assert_eq!(amount("Savings plans").as_deref(), Some("0.00"));
        let t = out.term.clone().expect("a term");
        let text = |d: Decimal| d.to_string();
        assert_eq!(
            (
                text(t.upfront),
                text(t.monthly),
                text(t.first_12_months),
                t.months,
                text(t.over_term)
            ),
            (
                "0.00".into(),
                "528.52".into(),
                "6222.90".into(),
                12,
                "6222.90".into()
            )
        );
        s.item_mut(plan).expect("line").upfront = Upfront::All;
        let t = s.compute().term.expect("a term");
        assert_eq!(
            (text(t.upfront), text(t.monthly), text(t.first_12_months)),
            ("6223.10".into(), "0.00".into(), "6223.10".into())
        );
        let options = s.payment_options();
        assert_eq!(
            options
                .iter()
                .map(|o| o.option.as_str())
                .collect::<Vec<_>>(),
            [
                "on_demand",
                "monthly_plans",
                "savings_plan",
                "savings_plan",
                "savings_plan",
                "savings_plan",
                "savings_plan",
                "savings_plan"
            ]
        );
        // A commitment is a number the page reads like any other.
        s.item_mut(plan).expect("line").commitment = "1,5".into();
        let out = s.compute();
        assert_eq!(
            out.errors.first().map(|e| e.field.as_str()),
            Some("commitment"),
            "{:?}",
            out.errors
        );
    }

    #[test]
    fn ids_stay_with_their_lines() {
        let mut s = setup();
        let copy = s.duplicate(0).expect("copy");
        assert_eq!(
            s.items.iter().map(|i| i.id).collect::<Vec<_>>(),
            vec![0, copy, 1]
        );
        assert_eq!(s.remove(0), Some(0));
        assert_eq!(s.position(1), Some(1));
        // A setup saved before lines had ids, or a link with the largest id twice, gets one id
        // per line, and adding a line after it gives a new one.
        for id in [0, u32::MAX] {
            let mut old = setup();
            for it in &mut old.items {
                it.id = id;
            }
            let mut fixed = old.with_ids();
            assert_eq!(
                fixed.items.iter().map(|i| i.id).collect::<Vec<_>>(),
                vec![0, 1]
            );
            assert_eq!(fixed.add("b2-7"), 2);
        }
    }

    #[test]
    fn share_state_round_trips() {
        let s = setup();
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<Setup>(&json).unwrap(), s);
    }

    #[test]
    fn plan_curve_uses_the_engine() {
        let s = setup();
        let c = s
            .curve_input(s.items[0].id)
            .expect("line")
            .plan_curve(&[0, 361, 744]);
        assert_eq!(c[1].1.to_string(), "80.14"); // 2 x 361 x 0.111 = 2 x 40.07
        assert_eq!(c[0].2.map(|m| m.to_string()), Some("80.00".into()));
    }
}
