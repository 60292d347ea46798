//! The whole engine path for one customer and one month, as the README shows it:
//! events -> final invoice -> a late event -> credit note.
//!
//! `cargo run -p ratecard --example invoice_flow` (run by `cargo xtask test`).

use chrono::NaiveDate;
use ratecard::correction::{CorrectionRequest, correct};
use ratecard::document::{self, DocumentKind, DocumentRequest, Fx};
use ratecard::fx::FxRates;
use ratecard::vat::VatTable;
use ratecard::{Catalog, Period, PriceBook, canonical, event, export, meter, rate};

const CATALOG: &str = include_str!("../../catalog/stratus-2026-01.json");

/// January's events as the backend received them by the end of the month: the instance was
/// still running, as far as anyone knew.
const EVENTS: &str = r#"
{"id":"g1","account":"acme","resource":"b2-15-a","sku":"b2-15","region":"gra","kind":"start","at":"2026-01-04T09:40:00Z"}
{"id":"g3","account":"acme","resource":"vol-a","sku":"classic-volume","region":"gra","kind":"start","at":"2026-01-08T10:00:00Z","quantity":"250"}
{"id":"g4","account":"acme","resource":"vol-a","sku":"classic-volume","region":"gra","kind":"delete","at":"2026-01-12T16:30:00Z"}
"#;

/// The delete of the instance, which arrived after the invoice was final.
const LATE: &str = r#"{"id":"g2","account":"acme","resource":"b2-15-a","sku":"b2-15","region":"gra","kind":"delete","at":"2026-01-12T16:30:00Z"}"#;

const PARTIES: &str = r#"{
  "kind": "final_invoice", "number": "INV-2026-000001", "issue_date": "2026-02-01",
  "seller": {"name": "Ratecard Cloud SAS", "vat_number": "FR40303265045", "siren": "303265045"},
  "buyer": {"name": "Acme SARL", "country": "FR", "kind": "business", "vat_number": "FR40303265045"}
}"#;

/// The document's head line and its lines.
fn show(doc: &ratecard::document::Document) {
    let refers = doc
        .references
        .as_ref()
        .map(|r| format!(" for {}", r.number))
        .unwrap_or_default();
    let t = &doc.totals;
    println!(
        "{} {}{refers}: net {} + VAT {} = {} {}",
        doc.kind.name(),
        doc.number.as_deref().unwrap_or(""),
        t.net,
        t.tax,
        t.gross,
        doc.currency
    );
    for l in &doc.lines {
        println!(
            "  {:>2}. {:<16} {:<52} {:>8}",
            l.id, l.sku, l.formula, l.amount
        );
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let book = PriceBook::single(Catalog::from_json(CATALOG)?);
    let (vat, fx) = (VatTable::builtin(), FxRates::sample()?);
    let january = Period::parse("2026-01")?;

    // 1. Events -> quantities -> priced lines -> the final invoice.
    let parsed = event::parse(EVENTS);
    assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
    let rating = rate(&book, &meter(&book, january, &parsed.events)?)?;
    let request: DocumentRequest = serde_json::from_str(PARTIES)?;
    let invoice = document::build(&request, &rating, &book, &vat, Fx::Rates(&fx))?;
    show(&invoice);
    let before = canonical::to_string(&invoice)?;

    // 2. A late event: the same period is metered and rated again, and compared.
    let mut events = parsed.events;
    events.extend(event::parse(LATE).events);
    let rerated = rate(&book, &meter(&book, january, &events)?)?;
    let fix = CorrectionRequest {
        issue_date: NaiveDate::from_ymd_opt(2026, 2, 10).ok_or("date")?,
        credit_note_number: Some("CN-2026-000001".into()),
        supplementary_number: None,
    };
    let correction = correct(&invoice, &[], &rerated, &book, &vat, &fix)?;
    let credit = correction.credit_note.ok_or("a credit note was expected")?;
    show(&credit);
    // Re-rating again with no new usage corrects nothing: the invoice as corrected (the
    // original and its credit note) already matches the rating.
    let again = correct(
        &invoice,
        std::slice::from_ref(&credit),
        &rerated,
        &book,
        &vat,
        &fix,
    )?;
    assert!(
        again.credit_note.is_none() && again.supplementary_invoice.is_none(),
        "a second re-rating with no new usage issues nothing"
    );

    // 3. The invoice is untouched; both documents export to UBL for e-invoicing.
    assert_eq!(
        before,
        canonical::to_string(&invoice)?,
        "a final invoice is never modified"
    );
    assert_eq!(
        (
            invoice.totals.gross.to_string(),
            credit.totals.gross.to_string()
        ),
        ("90.02".into(), "61.67".into())
    );
    assert_eq!(credit.kind, DocumentKind::CreditNote);
    let xml = export::ubl(&credit)?;
    println!(
        "UBL credit note: {} bytes, inputs digest {}",
        xml.len(),
        &credit.inputs_digest[..16]
    );
    Ok(())
}
