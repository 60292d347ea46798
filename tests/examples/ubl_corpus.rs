//! Writes the UBL of every invoice and credit note the conformance cases produce, plus the README
//! example's and one of each VAT treatment, into a directory, for the EN 16931 validation that
//! `cargo xtask test` runs on them (the official CEN rules, in `../shared/validation/`).
//!
//! `cargo run -p ratecard-conformance --example ubl_corpus -- OUT_DIR [CII_DIR]`
//!
//! With `CII_DIR`, each document is written there as CII too, under the same name.
//!
//! A draft invoice of a case is exported as the final invoice it would become (same lines, a
//! number of its issue year), so that every VAT treatment the cases cover is validated.

use ratecard::document::Document;
use ratecard::export;
use serde_json::Value;

fn main() -> Result<(), String> {
    let dir = std::env::args().nth(1).ok_or("usage: ubl_corpus OUT_DIR")?;
    let dir = std::path::Path::new(&dir);
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let cii_dir = std::env::args().nth(2).map(std::path::PathBuf::from);
    if let Some(c) = &cii_dir {
        std::fs::create_dir_all(c).map_err(|e| e.to_string())?;
    }
    // The document as UBL in `dir`, and as CII in `cii_dir` under the same name.
    let write = |name: &str, d: &Document| -> Result<(), String> {
        std::fs::write(
            dir.join(name),
            export::ubl(d).map_err(|e| format!("{name}: {e}"))?,
        )
        .map_err(|e| e.to_string())?;
        if let Some(c) = &cii_dir {
            std::fs::write(
                c.join(name),
                export::cii(d).map_err(|e| format!("{name}: {e}"))?,
            )
            .map_err(|e| e.to_string())?;
        }
        Ok(())
    };
    let mut written = 0;
    for (name, finals) in ratecard_conformance::final_documents()? {
        for (i, d) in finals.iter().enumerate() {
            write(&format!("{}-{i}.xml", name.replace('/', "--")), d)?;
            written += 1;
        }
    }
    // One invoice and one credit note of each VAT treatment, in EUR and in USD: the README
    // example's usage (a b2-15 instance, then its late delete) for four buyers.
    for (tag, buyer) in [
        (
            "domestic",
            // With its SIREN (BT-47, scheme 0002) and address, as French invoices carry them.
            r#"{"name":"Acme SARL","country":"FR","kind":"business","vat_number":"FR40303265045","siren":"303265045","address":{"lines":["12 rue des Lilas"],"postcode":"69003","city":"Lyon"}}"#,
        ),
        (
            "reverse-charge",
            r#"{"name":"Beispiel GmbH","country":"DE","kind":"business","vat_number":"DE136695976"}"#,
        ),
        (
            "oss",
            r#"{"name":"Max Mustermann","country":"DE","kind":"consumer"}"#,
        ),
        (
            "out-of-scope",
            r#"{"name":"Example Inc.\u0007 <& Co>","country":"US","kind":"business","vat_number":"US12-3456789"}"#,
        ),
    ] {
        for currency in ["EUR", "USD"] {
            for d in treatment_documents(buyer, currency)? {
                let kind = d.kind.code();
                write(&format!("treatment--{tag}-{currency}-{kind}.xml"), &d)?;
                written += 1;
            }
        }
    }
    println!("{written} UBL documents written to {}", dir.display());
    if let Some(c) = &cii_dir {
        println!("{written} CII documents written to {}", c.display());
    }
    if written < 20 {
        return Err(format!(
            "only {written} documents: the corpus must cover the cases"
        ));
    }
    Ok(())
}

/// A final invoice and its credit note for `buyer`, in `currency`.
fn treatment_documents(buyer: &str, currency: &str) -> Result<Vec<Document>, String> {
    use ratecard::correction::{CorrectionRequest, correct};
    use ratecard::document::{DocumentRequest, Fx, build};
    use ratecard::{Catalog, Period, PriceBook, rate_events};
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let text = ratecard_conformance::catalog_text("stratus-2026-01").ok_or("catalog")?;
    let book = PriceBook::single(Catalog::from_json(text).map_err(|x| e(&x))?);
    let vat = ratecard::vat::VatTable::builtin();
    let fx = ratecard::fx::FxRates::sample().map_err(|x| e(&x))?;
    let january = Period::parse("2026-01").map_err(|x| e(&x))?;
    let start = r#"{"id":"g1","account":"acme","resource":"b2-15-a","sku":"b2-15","region":"gra","kind":"start","at":"2026-01-04T09:40:00Z"}"#;
    let late = r#"{"id":"g2","account":"acme","resource":"b2-15-a","sku":"b2-15","region":"gra","kind":"delete","at":"2026-01-12T16:30:00Z"}"#;
    let request: DocumentRequest = serde_json::from_value(serde_json::json!({
        "kind": "final_invoice",
        "number": "INV-2026-000001",
        "issue_date": "2026-02-01",
        "seller": {"name":"Ratecard Cloud SAS","vat_number":"FR40303265045","siren":"303265045",
                   "address":{"lines":["1 rue de la Paix"],"city":"Paris","postcode":"75002"}},
        "buyer": serde_json::from_str::<Value>(buyer).map_err(|x| e(&x))?,
        "currency": currency,
    }))
    .map_err(|x| e(&x))?;
    let rating = rate_events(&book, january, start).map_err(|x| e(&x))?;
    let invoice = build(&request, &rating, &book, &vat, Fx::Rates(&fx)).map_err(|x| e(&x))?;
    let rerated = rate_events(&book, january, &format!("{start}\n{late}")).map_err(|x| e(&x))?;
    let fix = CorrectionRequest {
        issue_date: chrono::NaiveDate::from_ymd_opt(2026, 2, 10).ok_or("date")?,
        credit_note_number: Some("CN-2026-000001".into()),
        supplementary_number: None,
    };
    let c = correct(&invoice, &[], &rerated, &book, &vat, &fix).map_err(|x| e(&x))?;
    Ok(std::iter::once(invoice).chain(c.credit_note).collect())
}
