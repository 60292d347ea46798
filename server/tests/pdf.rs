//! Every document the conformance cases produce, printed as PDF (French and English) and, for
//! final invoices and credit notes, as Factur-X, then read back with Debian's poppler-utils
//! (`pdftotext`, `pdfdetach`, `pdfinfo`; `cargo xtask test` installs them): the text holds the
//! number, the totals and each mention the law asks for, and the XML inside a Factur-X file is
//! the CII export byte for byte.

use std::path::{Path, PathBuf};
use std::process::Command;

use ratecard::document::{Document, DocumentKind};
use ratecard_server::pdf::{self, Lang};
use serde_json::Value;

/// Every document of every case that produces some, named after its case.
fn case_documents() -> Vec<(String, Document)> {
    let mut all = Vec::new();
    for (name, text) in ratecard_conformance::CASES {
        let case: Value = serde_json::from_str(text).unwrap();
        if case.get("expected_error").is_some() {
            continue;
        }
        let Ok(out) = ratecard_conformance::produce(&case) else {
            continue;
        };
        let mut docs = Vec::new();
        ratecard_conformance::documents(&out, &mut docs);
        for (i, d) in docs.into_iter().enumerate() {
            all.push((format!("{name}#{i}"), d));
        }
    }
    all
}

/// The first final invoice of the cases (with lines, when asked).
fn a_final_invoice(with_lines: bool) -> Document {
    case_documents()
        .into_iter()
        .map(|(_, d)| d)
        .find(|d| d.kind == DocumentKind::FinalInvoice && (!with_lines || !d.lines.is_empty()))
        .expect("a final invoice among the cases")
}

/// A directory of the test's own (the tests of this file run at once).
fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ratecard-pdf-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name}: {e} (install poppler-utils; `cargo xtask test` does)"));
    assert!(
        out.status.success(),
        "{name} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The text of a PDF as pdftotext reads it, with its line breaks undone (a mention may wrap).
fn text_of(file: &Path) -> String {
    let raw = tool("pdftotext", &[file.to_str().unwrap(), "-"]);
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What every printed document must say, by kind.
fn check_text(name: &str, doc: &Document, lang: Lang, text: &str) {
    let has = |what: &str| {
        assert!(
            text.contains(&flat(what)),
            "{name} ({lang:?}): `{what}` missing from\n{text}"
        )
    };
    if let Some(n) = &doc.number {
        has(n);
    }
    has(&doc.seller.name);
    has(&doc.buyer.name);
    has(&lang.money(doc.totals.net, &doc.currency));
    has(&lang.money(doc.totals.tax, &doc.currency));
    has(&lang.money(doc.totals.gross, &doc.currency));
    for l in &doc.lines {
        has(&lang.number(l.amount));
        // A line's discount is printed beside it, converted by the engine as the line is.
        if let Some(off) = ratecard::document::convert(
            l.reductions,
            doc.fx.as_ref(),
            &doc.currency,
            doc.rounding.lines,
        )
        .filter(|o| !o.is_zero())
        {
            has(&format!(
                "{} {}",
                lang.pick("remise", "discount"),
                lang.money(-off, &doc.currency)
            ));
        }
    }
    for v in &doc.vat {
        has(&lang.money(v.tax, &doc.currency));
    }
    for m in &doc.mentions {
        has(m);
    }
    if let Some(s) = &doc.seller.siren {
        has(&format!("SIREN{} {s}", lang.pick(" :", ":")));
    }
    if let Some(v) = &doc.seller.vat_number {
        has(v);
    }
    if let Some(v) = &doc.buyer.vat_number {
        has(v);
    }
    if let Some(s) = &doc.buyer.siren {
        has(s);
    }
    has(lang.pick(
        "Nature de l'opération : prestations de services",
        "Nature of the operation: supply of services",
    ));
    has(&lang.date(doc.issue_date));
    has(&lang.date(doc.supply_period.start.date_naive()));
    has(&lang.date(ratecard::document::supply_date(&doc.supply_period)));
    let title = match (doc.kind, &doc.references) {
        (DocumentKind::Estimate, _) => lang.pick("ESTIMATION", "ESTIMATE"),
        (DocumentKind::Quote, _) => lang.pick("DEVIS", "QUOTE"),
        (DocumentKind::DraftInvoice, _) => lang.pick("FACTURE PROVISOIRE", "DRAFT INVOICE"),
        (DocumentKind::FinalInvoice, Some(_)) => {
            lang.pick("FACTURE COMPLÉMENTAIRE", "SUPPLEMENTARY INVOICE")
        }
        (DocumentKind::FinalInvoice, None) => lang.pick("FACTURE", "INVOICE"),
        (DocumentKind::CreditNote, _) => lang.pick("AVOIR", "CREDIT NOTE"),
    };
    has(title);
    if matches!(
        doc.kind,
        DocumentKind::FinalInvoice | DocumentKind::DraftInvoice
    ) {
        has(lang.pick("Conditions de paiement", "Payment terms"));
        // Penalties and the recovery indemnity are terms between businesses.
        let business = doc.buyer.kind == ratecard::party::CustomerKind::Business;
        for t in [
            lang.pick("Pénalités de retard", "Late payment penalties"),
            lang.pick(
                "Indemnité forfaitaire pour frais de recouvrement",
                "Fixed indemnity for recovery costs",
            ),
        ] {
            assert_eq!(text.contains(t), business, "{name} ({lang:?}): `{t}`");
        }
        if business {
            has(lang.pick("40 EUR", "EUR 40"));
        }
    }
    if let Some(r) = &doc.references {
        has(&format!(
            "{} {} {} {}",
            match doc.kind {
                DocumentKind::CreditNote => lang.pick("Avoir sur la facture", "Credits invoice"),
                _ => lang.pick("Complète la facture", "Completes invoice"),
            },
            r.number,
            lang.pick("du", "of"),
            lang.date(r.issue_date)
        ));
    }
    if let Some(v) = doc.valid_until {
        has(&lang.date(v));
    }
}

#[test]
fn every_document_of_the_cases_prints_and_every_facturx_reads_back() {
    let dir = dir("cases");
    let docs = case_documents();
    let mut kinds = std::collections::BTreeSet::new();
    let mut facturx = 0;
    for (i, (name, doc)) in docs.iter().enumerate() {
        kinds.insert(format!(
            "{}{}",
            doc.kind.code(),
            if doc.references.is_some() && doc.kind == DocumentKind::FinalInvoice {
                " (supplementary)"
            } else {
                ""
            }
        ));
        // Both languages for the first documents and every correction, French for the rest
        // (each print is read back by a process).
        let langs: &[Lang] = if i < 12 || doc.references.is_some() {
            &[Lang::Fr, Lang::En]
        } else {
            &[Lang::Fr]
        };
        for &lang in langs {
            let bytes = pdf::pdf(doc, lang).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(bytes.starts_with(b"%PDF-1.7"), "{name}");
            let file = dir.join(format!("{i}-{}.pdf", lang.code()));
            std::fs::write(&file, &bytes).unwrap();
            check_text(name, doc, lang, &text_of(&file));
        }
        match doc.kind {
            DocumentKind::FinalInvoice | DocumentKind::CreditNote => {}
            _ => {
                // Factur-X is for invoices and credit notes, as CII is.
                let e = pdf::facturx(doc, Lang::Fr).unwrap_err();
                assert!(
                    e.contains("CII is for final invoices and credit notes"),
                    "{e}"
                );
                continue;
            }
        }
        facturx += 1;
        let bytes = pdf::facturx(doc, Lang::Fr).unwrap_or_else(|e| panic!("{name}: {e}"));
        let file = dir.join(format!("{i}-facturx.pdf"));
        std::fs::write(&file, &bytes).unwrap();
        // The embedded XML is the CII export, byte for byte.
        let list = tool("pdfdetach", &["-list", file.to_str().unwrap()]);
        assert!(
            list.contains("1 embedded files") && list.contains("factur-x.xml"),
            "{list}"
        );
        let xml = dir.join(format!("{i}-factur-x.xml"));
        tool(
            "pdfdetach",
            &[
                "-save",
                "1",
                "-o",
                xml.to_str().unwrap(),
                file.to_str().unwrap(),
            ],
        );
        assert_eq!(
            std::fs::read(&xml).unwrap(),
            ratecard::export::cii(doc).unwrap().into_bytes(),
            "{name}: the embedded XML differs from the CII export"
        );
        // PDF/A-3 B and the Factur-X profile, in the metadata a reader uses.
        let meta = flat(&tool("pdfinfo", &["-meta", file.to_str().unwrap()]));
        assert_eq!(
            meta.matches("<pdfaExtension:schemas>").count(),
            1,
            "{name}: one list of extension schemas"
        );
        for expected in [
            "<pdfaid:part>3</pdfaid:part>",
            "<pdfaid:conformance>B</pdfaid:conformance>",
            "<fx:DocumentType>INVOICE</fx:DocumentType>",
            "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>",
            "<fx:Version>1.0</fx:Version>",
            "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>",
            "<pdfaSchema:prefix>fx</pdfaSchema:prefix>",
        ] {
            assert!(
                meta.contains(expected),
                "{name}: {expected} missing from {meta}"
            );
        }
        // The file's relationship to the document, and the catalog's list of associated files.
        let raw = String::from_utf8_lossy(&bytes);
        assert!(raw.contains("/AFRelationship/Alternative"), "{name}");
        assert!(raw.contains("/AF["), "{name}");
        assert!(raw.contains("/Subtype/text#2Fxml"), "{name}");
        check_text(name, doc, Lang::Fr, &text_of(&file));
    }
    for k in [
        "estimate",
        "quote",
        "draft_invoice",
        "final_invoice",
        "final_invoice (supplementary)",
        "credit_note",
    ] {
        assert!(
            kinds.contains(k),
            "no {k} among the cases' documents: {kinds:?}"
        );
    }
    assert!(facturx >= 10, "only {facturx} Factur-X files");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The same document gives the same bytes: what is archived can be made again and compared.
#[test]
fn a_pdf_is_the_same_bytes_every_time() {
    let doc = &a_final_invoice(false);
    assert_eq!(
        pdf::pdf(doc, Lang::Fr).unwrap(),
        pdf::pdf(doc, Lang::Fr).unwrap()
    );
    assert_eq!(
        pdf::facturx(doc, Lang::En).unwrap(),
        pdf::facturx(doc, Lang::En).unwrap()
    );
    assert_ne!(
        pdf::pdf(doc, Lang::Fr).unwrap(),
        pdf::pdf(doc, Lang::En).unwrap()
    );
}

/// Many lines flow onto further pages, each numbered, with the table's header again; a name
/// or note of ten thousand characters without a space wraps instead of running off the page.
#[test]
fn long_documents_flow_onto_numbered_pages() {
    let doc = &a_final_invoice(true);
    let mut long = doc.clone();
    let line = long.lines[0].clone();
    long.lines = (1..=150)
        .map(|i| {
            let mut l = line.clone();
            l.id = i;
            l.description = format!("{} number {i}", line.description);
            l
        })
        .collect();
    long.notes = Some("x".repeat(10_000));
    long.buyer.name = format!("{}\u{7}<&>\"", "Ω".repeat(60));
    let bytes = pdf::pdf(&long, Lang::En).unwrap();
    let dir = dir("long");
    let file = dir.join("long.pdf");
    std::fs::write(&file, &bytes).unwrap();
    let info = tool("pdfinfo", &[file.to_str().unwrap()]);
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(pages >= 5, "{pages} pages for 150 lines");
    let text = text_of(&file);
    assert!(text.contains(&format!("Page {pages} / {pages}")), "{text}");
    // Every page that carries lines carries the table's header too.
    let mut with_lines = 0;
    for p in 1..=pages {
        let n = p.to_string();
        let page = tool(
            "pdftotext",
            &["-f", &n, "-l", &n, file.to_str().unwrap(), "-"],
        );
        if page.contains("corrected number") || page.contains(" number ") {
            with_lines += 1;
            assert!(page.contains("Amount excl. VAT"), "page {p}:\n{page}");
        }
    }
    assert!(with_lines >= 4, "{with_lines} pages of lines");
    // A character the font lacks prints as `?`, a control character not at all.
    assert!(text.contains("<&>\""), "{text}");
    let cjk = {
        let mut d = doc.clone();
        d.buyer.name = "株式会社".into();
        pdf::facturx(&d, Lang::En).unwrap()
    };
    let file = dir.join("cjk.pdf");
    std::fs::write(&file, &cjk).unwrap();
    assert!(text_of(&file).contains("????"));
    for i in [1, 75, 150] {
        assert!(text.contains(&format!("number {i}")), "line {i} missing");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The VAT-on-debits option is printed when the seller chose it, and only then.
#[test]
fn the_vat_on_debits_option_is_printed_when_chosen() {
    let doc = &a_final_invoice(false);
    let dir = dir("debits");
    let mention = "Option pour le paiement de la taxe d'après les débits";
    for chosen in [false, true] {
        let mut d = doc.clone();
        d.seller.vat_on_debits = chosen;
        let file = dir.join(format!("{chosen}.pdf"));
        std::fs::write(&file, pdf::pdf(&d, Lang::Fr).unwrap()).unwrap();
        assert_eq!(text_of(&file).contains(mention), chosen);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A document of more than `MAX_PAGES` pages is refused before it is drawn.
#[test]
fn a_document_too_long_to_print_is_refused() {
    let doc = &a_final_invoice(true);
    let mut long = doc.clone();
    let line = long.lines[0].clone();
    long.lines = vec![line; 40_000];
    let e = pdf::pdf(&long, Lang::En).unwrap_err();
    assert!(
        e.starts_with("the document would take ") && e.ends_with("pages: at most 1000 are printed"),
        "{e}"
    );
}
