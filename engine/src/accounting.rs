//! The accountant's view of final documents: journal entries in double entry, and the French
//! FEC ("Fichier des Écritures Comptables", article A47 A-1 of the Livre des procédures
//! fiscales).
//!
//! An invoice is one entry: the customer's account (411) in debit for the gross total, revenue
//! per product family (706x) in credit for the nets of its lines, and VAT collected per rate
//! (44571x) in credit for the tax of each rate. A credit note is the same entry reversed. The
//! figures are the document's own (its lines' nets, its VAT breakdown, its totals), which
//! balance by construction (`document::finish`), so no amount is computed here but sums.
//! Account numbers come from an [`AccountMap`] (data, with defaults).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalog::PriceBook;
use crate::document::{Document, DocumentKind};
use crate::error::{Error, Result};
use crate::num::{Arith, OrOverflow};

/// An account of the chart: its number and its label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub account: String,
    pub label: String,
}

/// Which account each part of a document goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountMap {
    /// The sales journal: code and label (`VE`, `Ventes`).
    pub journal: Account,
    /// The customers' account (`411000`); each customer is an auxiliary account under it.
    pub customers: Account,
    /// Revenue: by product family (the price list's `family`), else by service, else the
    /// default.
    pub revenue: Account,
    #[serde(default)]
    pub revenue_by_family: BTreeMap<String, Account>,
    #[serde(default)]
    pub revenue_by_service: BTreeMap<String, Account>,
    /// VAT collected: by rate (`"20"`), else the default.
    pub vat: Account,
    #[serde(default)]
    pub vat_by_rate: BTreeMap<String, Account>,
}

impl AccountMap {
    pub fn from_json(text: &str) -> Result<AccountMap> {
        let m: AccountMap =
            serde_json::from_str(text).map_err(|e| Error::Document(format!("account map: {e}")))?;
        for a in std::iter::once(&m.journal)
            .chain([&m.customers, &m.revenue, &m.vat])
            .chain(m.revenue_by_family.values())
            .chain(m.revenue_by_service.values())
            .chain(m.vat_by_rate.values())
        {
            if a.account.is_empty()
                || a.account.len() > 20
                || !a.account.chars().all(|c| c.is_ascii_alphanumeric())
            {
                return Err(Error::Document(format!(
                    "account map: account `{}` ({}): 1 to 20 letters or digits",
                    a.account, a.label
                )));
            }
        }
        Ok(m)
    }
}

/// One line of an entry: an account, in debit or in credit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Posting {
    pub account: Account,
    /// The customer's auxiliary account (on the customers' account only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auxiliary: Option<Account>,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub debit: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub credit: Decimal,
}

impl Posting {
    /// The auxiliary account's number and label, empty when there is none.
    fn auxiliary(&self) -> (&str, &str) {
        self.auxiliary
            .as_ref()
            .map(|a| (a.account.as_str(), a.label.as_str()))
            .unwrap_or(("", ""))
    }
}

/// One document's entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Entry {
    /// In order, from 1.
    pub number: u32,
    #[serde(with = "crate::time::date")]
    #[schemars(with = "String")]
    pub date: NaiveDate,
    /// The document's number.
    pub piece: String,
    pub label: String,
    pub currency: String,
    pub postings: Vec<Posting>,
}

/// A document to post, with the ledger's account (the customer's auxiliary account).
pub struct Posted<'a> {
    pub account: &'a str,
    pub document: &'a Document,
}

fn zero() -> Decimal {
    Decimal::new(0, 2)
}

/// The journal entries of final documents, in the order given (the order they were issued).
/// Only final invoices and credit notes are posted; every entry balances (checked).
pub fn journal(docs: &[Posted], map: &AccountMap, book: Option<&PriceBook>) -> Result<Vec<Entry>> {
    let mut out = Vec::with_capacity(docs.len());
    for (i, p) in docs.iter().enumerate() {
        let d = p.document;
        let number = d
            .number
            .clone()
            .ok_or_else(|| Error::Document("a document without a number is not posted".into()))?;
        let credit_note = match d.kind {
            DocumentKind::FinalInvoice => false,
            DocumentKind::CreditNote => true,
            k => {
                return Err(Error::Document(format!(
                    "{number}: a {} is not posted, only final invoices and credit notes",
                    k.name()
                )));
            }
        };
        let what = || format!("posting {number}");
        // Revenue: the lines' nets per account, in the map's order of accounts.
        let mut revenue: BTreeMap<String, (Account, Decimal)> = BTreeMap::new();
        for l in &d.lines {
            let family = book
                .and_then(|b| b.product(&l.sku))
                .and_then(|p| p.family.clone());
            let account = family
                .as_ref()
                .and_then(|f| map.revenue_by_family.get(f))
                .or_else(|| map.revenue_by_service.get(&l.service))
                .unwrap_or(&map.revenue);
            let e = revenue
                .entry(account.account.clone())
                .or_insert_with(|| (account.clone(), zero()));
            e.1 = e.1.plus(l.amount).or_overflow(what)?;
        }
        let mut vat: BTreeMap<String, (Account, Decimal)> = BTreeMap::new();
        for v in d.vat.iter().filter(|v| !v.tax.is_zero()) {
            let rate = v.rate.normalize().to_string();
            let account = map.vat_by_rate.get(&rate).unwrap_or(&map.vat);
            let e = vat
                .entry(account.account.clone())
                .or_insert_with(|| (account.clone(), zero()));
            e.1 = e.1.plus(v.tax).or_overflow(what)?;
        }
        // Debit and credit of an amount on the invoice's side; reversed for a credit note. A
        // negative amount (a line given back) goes to the other side, positive.
        let side = |amount: Decimal, debit_side: bool| -> (Decimal, Decimal) {
            let debit = debit_side != credit_note;
            let (mut a, flip) = (amount, amount.is_sign_negative() && !amount.is_zero());
            if flip {
                a.set_sign_negative(false);
            }
            if debit != flip {
                (a, zero())
            } else {
                (zero(), a)
            }
        };
        let mut postings = Vec::new();
        let (dr, cr) = side(d.totals.gross, true);
        postings.push(Posting {
            account: map.customers.clone(),
            auxiliary: Some(Account {
                account: p.account.to_string(),
                label: d.buyer.name.clone(),
            }),
            debit: dr,
            credit: cr,
        });
        for (account, amount) in revenue.into_values().chain(vat.into_values()) {
            if amount.is_zero() {
                continue;
            }
            let (dr, cr) = side(amount, false);
            postings.push(Posting {
                account,
                auxiliary: None,
                debit: dr,
                credit: cr,
            });
        }
        let debit = crate::num::sum(postings.iter().map(|p| p.debit)).or_overflow(what)?;
        let credit = crate::num::sum(postings.iter().map(|p| p.credit)).or_overflow(what)?;
        if debit != credit {
            return Err(Error::Document(format!(
                "{number}: the entry does not balance ({debit} in debit, {credit} in credit)"
            )));
        }
        let kind = if credit_note { "Avoir" } else { "Facture" };
        out.push(Entry {
            number: u32::try_from(i.saturating_add(1)).unwrap_or(u32::MAX),
            date: d.issue_date,
            piece: number.clone(),
            label: format!("{kind} {number} {}", d.buyer.name),
            currency: d.currency.clone(),
            postings,
        });
    }
    Ok(out)
}

/// The FEC's 18 columns, in the order article A47 A-1 gives them.
pub const FEC_COLUMNS: [&str; 18] = [
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
];

/// A FEC amount: a comma before the cents, no thousands separator (`1234,50`).
fn fec_amount(d: Decimal) -> String {
    let mut d = d;
    d.rescale(2);
    d.to_string().replace('.', ",")
}

/// A FEC field: no tab, no line break (they would break the file's structure).
fn fec_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The entries as a FEC: a header line, then one line per posting, tab-separated, lines ended
/// by CRLF. The FEC is kept in euros: an entry in another currency is refused, named.
pub fn fec(entries: &[Entry], map: &AccountMap) -> Result<String> {
    let mut out = FEC_COLUMNS.join("\t");
    out.push_str("\r\n");
    for e in entries {
        if e.currency != "EUR" {
            return Err(Error::Document(format!(
                "{}: in {}; the FEC is kept in EUR",
                e.piece, e.currency
            )));
        }
        let date = e.date.format("%Y%m%d").to_string();
        for p in &e.postings {
            let (aux, aux_label) = p.auxiliary();
            let cells = [
                fec_text(&map.journal.account),
                fec_text(&map.journal.label),
                e.number.to_string(),
                date.clone(),
                fec_text(&p.account.account),
                fec_text(&p.account.label),
                fec_text(aux),
                fec_text(aux_label),
                fec_text(&e.piece),
                date.clone(),
                fec_text(&e.label),
                fec_amount(p.debit),
                fec_amount(p.credit),
                String::new(),
                String::new(),
                date.clone(),
                String::new(),
                String::new(),
            ];
            out.push_str(&cells.join("\t"));
            out.push_str("\r\n");
        }
    }
    Ok(out)
}

/// The FEC's file name: the seller's SIREN, `FEC`, and the closing date (`303265045FEC20261231.txt`).
pub fn fec_file_name(siren: &str, closing: NaiveDate) -> String {
    format!("{siren}FEC{}.txt", closing.format("%Y%m%d"))
}

/// The entries as plain CSV for other ERPs: entry, date, piece, account, label, auxiliary,
/// debit, credit, currency (a dot before the cents).
pub fn csv(entries: &[Entry]) -> String {
    let mut out = String::from(
        "entry,date,piece,account,account_label,auxiliary,auxiliary_label,label,debit,credit,currency\r\n",
    );
    for e in entries {
        for p in &e.postings {
            let (aux, aux_label) = p.auxiliary();
            let mut debit = p.debit;
            debit.rescale(2);
            let mut credit = p.credit;
            credit.rescale(2);
            let cells = [
                e.number.to_string(),
                e.date.format("%Y-%m-%d").to_string(),
                e.piece.clone(),
                p.account.account.clone(),
                p.account.label.clone(),
                aux.to_string(),
                aux_label.to_string(),
                e.label.clone(),
                debit.to_string(),
                credit.to_string(),
                e.currency.clone(),
            ];
            let quoted: Vec<String> = cells
                .iter()
                .map(|c| {
                    if c.contains([',', '"', '\n', '\r']) {
                        format!("\"{}\"", c.replace('"', "\"\""))
                    } else {
                        c.clone()
                    }
                })
                .collect();
            out.push_str(&quoted.join(","));
            out.push_str("\r\n");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The credit note and the supplementary invoice of a conformance case's correction.
    fn documents() -> (Document, Document) {
        let case: serde_json::Value = serde_json::from_str(include_str!(
            "../../tests/cases/correction/both-directions.json"
        ))
        .unwrap();
        let c = &case["expected"]["correction"];
        (
            serde_json::from_value(c["supplementary_invoice"].clone()).unwrap(),
            serde_json::from_value(c["credit_note"].clone()).unwrap(),
        )
    }

    fn map() -> AccountMap {
        AccountMap::from_json(crate::samples::ACCOUNT_MAP).unwrap()
    }

    fn row(e: &Entry, account: &str) -> (String, String) {
        let p = e
            .postings
            .iter()
            .find(|p| p.account.account == account)
            .unwrap();
        (p.debit.to_string(), p.credit.to_string())
    }

    #[test]
    fn an_invoice_debits_the_customer_and_a_credit_note_reverses_it() {
        let (inv, cn) = documents();
        let posted = [
            Posted {
                account: "acme",
                document: &inv,
            },
            Posted {
                account: "acme",
                document: &cn,
            },
        ];
        let j = journal(&posted, &map(), None).unwrap();
        assert_eq!(j.len(), 2);
        assert_eq!((j[0].number, j[1].number), (1, 2));
        // The invoice: 411 debit 2.40 = 706100 credit 2.00 + 445711 credit 0.40.
        assert_eq!(row(&j[0], "411000"), ("2.40".into(), "0.00".into()));
        assert_eq!(row(&j[0], "706100"), ("0.00".into(), "2.00".into()));
        assert_eq!(row(&j[0], "445711"), ("0.00".into(), "0.40".into()));
        assert_eq!(j[0].postings[0].auxiliary.as_ref().unwrap().account, "acme");
        // The credit note, reversed: 706200 (block storage) and VAT in debit, 411 in credit.
        assert_eq!(row(&j[1], "411000"), ("0.00".into(), "0.43".into()));
        assert_eq!(row(&j[1], "706200"), ("0.36".into(), "0.00".into()));
        assert_eq!(row(&j[1], "445711"), ("0.07".into(), "0.00".into()));
        assert!(j[1].label.starts_with("Avoir CN-2026-000002"));
    }

    #[test]
    fn the_fec_has_its_18_columns_and_balances() {
        let (inv, cn) = documents();
        let posted = [
            Posted {
                account: "acme",
                document: &inv,
            },
            Posted {
                account: "acme",
                document: &cn,
            },
        ];
        let m = map();
        let j = journal(&posted, &m, None).unwrap();
        let fec = fec(&j, &m).unwrap();
        let lines: Vec<&str> = fec.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines[0], FEC_COLUMNS.join("\t"));
        assert_eq!(lines.len(), 1 + 6);
        let (mut debit, mut credit) = (Decimal::ZERO, Decimal::ZERO);
        for l in &lines[1..] {
            let cells: Vec<&str> = l.split('\t').collect();
            assert_eq!(cells.len(), 18, "{l}");
            assert_eq!(cells[0], "VE");
            assert_eq!(cells[3].len(), 8, "YYYYMMDD: {l}");
            debit += cells[11].replace(',', ".").parse::<Decimal>().unwrap();
            credit += cells[12].replace(',', ".").parse::<Decimal>().unwrap();
        }
        assert_eq!(debit, credit);
        assert_eq!(debit.to_string(), "2.83");
        assert!(lines[1].contains("\t411000\tClients\tacme\tAcme SARL\tINV-2026-000021\t"));
        assert!(lines[1].contains("\t2,40\t0,00\t"), "{}", lines[1]);
        assert_eq!(
            fec_file_name("303265045", NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()),
            "303265045FEC20261231.txt"
        );
        let csv = csv(&j);
        assert!(csv.starts_with("entry,date,piece,account"));
        assert!(csv.contains("1,2026-"), "{csv}");
    }

    #[test]
    fn what_is_not_posted_is_said() {
        let (mut inv, _) = documents();
        inv.currency = "USD".into();
        let m = map();
        let j = journal(
            &[Posted {
                account: "a",
                document: &inv,
            }],
            &m,
            None,
        )
        .unwrap();
        let e = fec(&j, &m).unwrap_err();
        assert!(
            e.to_string()
                .contains("INV-2026-000021: in USD; the FEC is kept in EUR"),
            "{e}"
        );
        inv.kind = DocumentKind::DraftInvoice;
        let e = journal(
            &[Posted {
                account: "a",
                document: &inv,
            }],
            &m,
            None,
        )
        .unwrap_err();
        assert!(e.to_string().contains("not posted"), "{e}");
        let e = AccountMap::from_json(r#"{"journal":{"account":"VE","label":"x"},"customers":{"account":"4 11","label":"x"},"revenue":{"account":"706","label":"x"},"vat":{"account":"4457","label":"x"}}"#).unwrap_err();
        assert!(e.to_string().contains("`4 11`"), "{e}");
    }
}
