//! The words of a PDF document in French and English, and numbers and dates as each language
//! writes them.

use chrono::NaiveDate;
use ratecard::document::{Document, DocumentKind};
use rust_decimal::Decimal;

/// The language of a PDF document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    /// `fr` or `en`; anything else is refused with the choices.
    pub fn parse(s: &str) -> Result<Lang, String> {
        match s {
            "fr" => Ok(Lang::Fr),
            "en" => Ok(Lang::En),
            other => Err(format!("language `{other}`: fr or en")),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// One of two texts.
    pub fn pick(self, fr: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Fr => fr,
            Lang::En => en,
        }
    }

    /// A number grouped by thousands: `1 234,56` or `1,234.56`.
    pub fn number(self, v: Decimal) -> String {
        match self {
            Lang::Fr => ratecard::grouped(v, "\u{202f}", ","),
            Lang::En => ratecard::grouped(v, ",", "."),
        }
    }

    /// An amount with its currency: `1 234,56 EUR` or `EUR 1,234.56`.
    pub fn money(self, v: Decimal, currency: &str) -> String {
        match self {
            Lang::Fr => format!("{} {currency}", self.number(v)),
            Lang::En => format!("{currency} {}", self.number(v)),
        }
    }

    /// `31/03/2026` or `2026-03-31`.
    pub fn date(self, d: NaiveDate) -> String {
        match self {
            Lang::Fr => d.format("%d/%m/%Y").to_string(),
            Lang::En => d.format("%Y-%m-%d").to_string(),
        }
    }
}

/// The title of a document: a final invoice that references another completes it.
pub fn title(doc: &Document, lang: Lang) -> &'static str {
    match doc.kind {
        DocumentKind::Estimate => lang.pick("Estimation", "Estimate"),
        DocumentKind::Quote => lang.pick("Devis", "Quote"),
        DocumentKind::DraftInvoice => lang.pick("Facture provisoire", "Draft invoice"),
        DocumentKind::FinalInvoice if doc.references.is_some() => {
            lang.pick("Facture complémentaire", "Supplementary invoice")
        }
        DocumentKind::FinalInvoice => lang.pick("Facture", "Invoice"),
        DocumentKind::CreditNote => lang.pick("Avoir", "Credit note"),
    }
}

/// The mention under the title of a document that has no value in law.
pub fn disclaimer(doc: &Document, lang: Lang) -> Option<&'static str> {
    match doc.kind {
        DocumentKind::DraftInvoice => Some(lang.pick(
            "Document provisoire, sans valeur de facture : les montants peuvent encore changer.",
            "Provisional document, not an invoice: the amounts may still change.",
        )),
        DocumentKind::Estimate => Some(lang.pick(
            "Estimation d'un mois type, sans engagement.",
            "Estimate of a typical month, not binding.",
        )),
        _ => None,
    }
}

/// The nature of the operation (e-invoicing reform): a cloud provider supplies services.
pub fn nature(lang: Lang) -> &'static str {
    lang.pick(
        "Nature de l'opération : prestations de services",
        "Nature of the operation: supply of services",
    )
}

/// The VAT-on-debits option, when the seller chose it.
pub fn vat_on_debits(lang: Lang) -> &'static str {
    lang.pick(
        "Option pour le paiement de la taxe d'après les débits",
        "VAT paid on debits (option chosen by the seller)",
    )
}

/// Payment terms of an invoice: due on receipt, the late-payment penalties of article L441-10
/// of the commercial code and the fixed recovery indemnity of 40 EUR (article D441-5).
pub fn payment_terms(lang: Lang) -> [&'static str; 3] {
    [
        lang.pick(
            "Conditions de paiement : à réception de facture. Pas d'escompte pour paiement anticipé.",
            "Payment terms: due on receipt. No discount for early payment.",
        ),
        lang.pick(
            "Pénalités de retard : taux de la dernière opération de refinancement de la BCE majoré de 10 points (article L441-10 du Code de commerce).",
            "Late payment penalties: the ECB's latest refinancing rate plus 10 points (article L441-10 of the French Commercial Code).",
        ),
        lang.pick(
            "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 EUR (article D441-5 du Code de commerce).",
            "Fixed indemnity for recovery costs in case of late payment: EUR 40 (article D441-5 of the French Commercial Code).",
        ),
    ]
}

/// A VAT category as people read it.
pub fn vat_category(category: ratecard::vat::VatCategory, lang: Lang) -> &'static str {
    use ratecard::vat::VatCategory;
    match category {
        VatCategory::Standard => lang.pick("taux normal", "standard rate"),
        VatCategory::ReverseCharge => lang.pick("autoliquidation", "reverse charge"),
        VatCategory::OutOfScope => lang.pick("hors champ", "out of scope"),
    }
}
