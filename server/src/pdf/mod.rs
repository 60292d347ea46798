//! PDF documents, laid out from the engine's [`Document`]: every figure on the page is a field
//! of the document (the one model UBL and CII read too), never computed here.
//!
//! Every kind prints: estimate, quote, draft invoice, final invoice, supplementary invoice (a
//! final invoice that references another) and credit note, in French or English, with the
//! mentions French law asks of an invoice (article 242 nonies A of annex II of the CGI, the
//! commercial code's late-payment terms, and the e-invoicing reform's four additions).
//! [`facturx`] makes the same page a PDF/A-3 with the CII XML embedded.
//!
//! Text is set in DejaVu Sans, shipped in `server/fonts/` with its licence and embedded
//! (subset) in every file, so a PDF reads the same on any machine.

mod facturx;
mod layout;
mod text;

pub use facturx::facturx;
pub use text::Lang;

use ratecard::document::Document;

/// A document as a PDF (PDF 1.7, fonts embedded). Deterministic: the same document gives the
/// same bytes (the dates in the file are the document's issue date, never the clock).
pub fn pdf(doc: &Document, lang: Lang) -> Result<Vec<u8>, String> {
    layout::render(doc, lang, None)
}

/// The file name a download proposes: `INV-2026-0001.pdf`, `draft-acme-2026-03.pdf`.
pub fn file_name(doc: &Document, extension: &str) -> String {
    let stem = match &doc.number {
        Some(n) => n.clone(),
        None => format!(
            "{}-{}",
            doc.kind.code().replace('_', "-"),
            doc.supply_period.start.format("%Y-%m")
        ),
    };
    let safe: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{safe}.{extension}")
}
