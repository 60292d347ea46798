//! Exports of a document: CSV of its lines, and UBL 2.1 XML with the EN 16931 core fields (the
//! format of the French e-invoicing reform). Both are text built in memory: no I/O.
//!
//! UBL business terms written (BT = EN 16931 business term):
//! - header: CustomizationID, ID (BT-1), IssueDate (BT-2), InvoiceTypeCode 380 / CreditNoteTypeCode
//!   381 (BT-3), Note (BT-22), DocumentCurrencyCode (BT-5), TaxCurrencyCode (BT-6),
//!   InvoicePeriod (BG-14: BT-73, BT-74), BillingReference to the corrected invoice (BG-3:
//!   BT-25, BT-26);
//! - seller (BG-4): name (BT-27), SIREN (BT-30), VAT number (BT-31), address and country
//!   (BT-35..BT-40); buyer (BG-7): name (BT-44), VAT number (BT-48), country (BT-55);
//! - TaxTotal (BT-110) with one TaxSubtotal per category and rate (BG-23: BT-116, BT-117,
//!   BT-118, BT-119, exemption reason BT-120), and the VAT total in EUR (BT-111) when the
//!   document is in another currency;
//! - LegalMonetaryTotal (BG-22: BT-106, BT-109, BT-112, BT-115);
//! - lines (BG-25): ID (BT-126), quantity and unit (BT-129, BT-130), net (BT-131), period
//!   (BG-26), item name (BT-153), seller's item id (BT-155), VAT category and rate (BT-151,
//!   BT-152), price (BT-146) per base quantity (BT-149).

use std::fmt::Write as _;

use crate::document::{Document, DocumentKind};
use crate::error::{Error, Result};
use crate::meter::Unit;
use crate::vat::VatCategory;
use rust_decimal::Decimal;

/// The document's lines as CSV, with a header row.
pub fn csv(doc: &Document) -> Result<String> {
    let mut out = String::new();
    csv_record(
        &mut out,
        &[
            "document",
            "kind",
            "issue_date",
            "line",
            "account",
            "resource",
            "sku",
            "description",
            "region",
            "period",
            "quantity",
            "unit",
            "unit_price",
            "price_unit",
            "divisor",
            "net",
            "currency",
            "vat_category",
            "vat_rate",
        ],
    );
    let number = doc.number.clone().unwrap_or_default();
    let kind = doc.kind.code();
    for l in &doc.lines {
        csv_record(
            &mut out,
            &[
                number.as_str(),
                kind,
                &doc.issue_date.to_string(),
                &l.id.to_string(),
                &l.account,
                l.resource.as_deref().unwrap_or(""),
                &l.sku,
                &l.description,
                &l.region,
                &l.segment.label(),
                &l.quantity.to_string(),
                l.unit.name(),
                &l.unit_price.to_string(),
                &l.price_unit,
                &l.divisor.to_string(),
                &l.amount.to_string(),
                &doc.currency,
                l.vat_category.code(),
                &l.vat_rate.to_string(),
            ],
        );
    }
    Ok(out)
}

/// Appends one CSV record (RFC 4180, `\n` line ends): a field that holds a comma, a quote or a
/// line break is quoted, its quotes doubled. A test checks it against the csv crate's writer,
/// which is not used here: it links float parsing and its tables (about 8 KB gzipped in the
/// calculator) for quoting styles this export does not use.
/// A cell that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, a tab or a carriage
/// return first) gets a leading `'`, unless it is a plain number ("-0.50" stays a number).
fn neutralised(f: &str) -> std::borrow::Cow<'_, str> {
    let risky = f.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let number = f.parse::<Decimal>().is_ok() && !f.starts_with(['=', '@', '\t', '\r']);
    if risky && !number {
        std::borrow::Cow::Owned(format!("'{f}"))
    } else {
        std::borrow::Cow::Borrowed(f)
    }
}

pub(crate) fn csv_record(out: &mut String, fields: &[&str]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let f = neutralised(f);
        if f.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&f);
        }
    }
    out.push('\n');
}

/// Escapes text for XML (and HTML), and drops the characters XML 1.0 forbids (control
/// characters other than tab, line feed and carriage return, U+FFFE and U+FFFF), so the output
/// is always well-formed whatever a name or a note holds.
pub fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// An element with text: `<name>text</name>`, the text escaped here, the one place UBL text is.
fn el(name: &str, text: &str) -> String {
    format!("<{name}>{}</{name}>", escape_xml(text))
}

/// The same with attributes written as they are (`schemeID="0002"`).
fn el_with(name: &str, attrs: &str, text: &str) -> String {
    format!("<{name}{attrs}>{}</{name}>", escape_xml(text))
}

/// UN/ECE recommendation 20 unit codes.
fn unit_code(u: &Unit) -> &'static str {
    match u {
        Unit::Second => "SEC",
        Unit::Minute => "MIN",
        Unit::Hour => "HUR",
        Unit::Day => "DAY",
        Unit::Month => "MON",
        Unit::Count(c) if c == "GB" => "E34",
        Unit::GbHour | Unit::Count(_) => "C62",
    }
}

/// Out of scope of EU VAT (category O): no VAT identifier of either party (BR-O-02) and no VAT
/// rate (BR-O-05, BR-O-09), in either syntax.
fn out_of_scope(doc: &Document) -> bool {
    doc.vat
        .iter()
        .any(|v| v.category == VatCategory::OutOfScope)
        || doc
            .lines
            .iter()
            .any(|l| l.vat_category == VatCategory::OutOfScope)
}

/// A VAT rate's element (`cbc:Percent`, `ram:RateApplicablePercent`); none out of scope.
fn rate_element(tag: &str, category: VatCategory, rate: Decimal) -> String {
    if category == VatCategory::OutOfScope {
        String::new()
    } else {
        format!("<{tag}>{rate}</{tag}>")
    }
}

/// A party's legal entity (BT-27/BT-30, BT-44/BT-47): its name and SIREN (scheme 0002).
fn legal_entity(x: &mut String, name: &str, siren: Option<&str>) {
    let _ = write!(
        x,
        "    <cac:PartyLegalEntity>{}",
        el("cbc:RegistrationName", name)
    );
    if let Some(siren) = siren {
        let _ = write!(
            x,
            "{}",
            el_with("cbc:CompanyID", r#" schemeID="0002""#, siren)
        );
    }
    let _ = writeln!(x, "</cac:PartyLegalEntity>");
}

/// The document as a UBL 2.1 Invoice (or CreditNote) with the EN 16931 core fields.
pub fn ubl(doc: &Document) -> Result<String> {
    let (root, type_tag, type_code, line_tag, qty_tag) = match doc.kind {
        DocumentKind::FinalInvoice => (
            "Invoice",
            "InvoiceTypeCode",
            "380",
            "InvoiceLine",
            "InvoicedQuantity",
        ),
        DocumentKind::CreditNote => (
            "CreditNote",
            "CreditNoteTypeCode",
            "381",
            "CreditNoteLine",
            "CreditedQuantity",
        ),
        other => {
            return Err(Error::Document(format!(
                "UBL is for final invoices and credit notes, not for the {} kind",
                other.name()
            )));
        }
    };
    let number = doc
        .number
        .as_deref()
        .ok_or_else(|| Error::Document("UBL needs a numbered document".into()))?;
    let cur = escape_xml(&doc.currency);
    let amt = |v: rust_decimal::Decimal| format!("currencyID=\"{cur}\">{v}");
    let mut x = String::new();
    let ns = if root == "Invoice" {
        "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
    } else {
        "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
    };
    let _ = writeln!(x, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        x,
        r#"<{root} xmlns="{ns}" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">"#
    );
    let _ = writeln!(
        x,
        "  <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>"
    );
    let _ = writeln!(x, "  {}", el("cbc:ID", number));
    let _ = writeln!(x, "  <cbc:IssueDate>{}</cbc:IssueDate>", doc.issue_date);
    let _ = writeln!(x, "  <cbc:{type_tag}>{type_code}</cbc:{type_tag}>");
    for m in &doc.mentions {
        let _ = writeln!(x, "  {}", el("cbc:Note", m));
    }
    let _ = writeln!(
        x,
        "  <cbc:DocumentCurrencyCode>{cur}</cbc:DocumentCurrencyCode>"
    );
    if doc.totals.tax_eur.is_some() {
        let _ = writeln!(x, "  <cbc:TaxCurrencyCode>EUR</cbc:TaxCurrencyCode>");
    }
    let last_day = crate::document::supply_date(&doc.supply_period);
    let _ = writeln!(
        x,
        "  <cac:InvoicePeriod><cbc:StartDate>{}</cbc:StartDate><cbc:EndDate>{last_day}</cbc:EndDate></cac:InvoicePeriod>",
        doc.supply_period.start.date_naive()
    );
    if let Some(r) = &doc.references {
        let _ = writeln!(
            x,
            "  <cac:BillingReference><cac:InvoiceDocumentReference>{}<cbc:IssueDate>{}</cbc:IssueDate></cac:InvoiceDocumentReference></cac:BillingReference>",
            el("cbc:ID", &r.number),
            r.issue_date
        );
    }
    let out_of_scope = out_of_scope(doc);
    let percent =
        |category: VatCategory, rate: Decimal| rate_element("cbc:Percent", category, rate);
    // Seller (BG-4).
    let s = &doc.seller;
    let _ = writeln!(x, "  <cac:AccountingSupplierParty><cac:Party>");
    let _ = writeln!(
        x,
        "    <cac:PartyName>{}</cac:PartyName>",
        el("cbc:Name", &s.name)
    );
    address(&mut x, s.address.as_ref(), &s.country);
    if let Some(v) = s.vat_number.as_ref().filter(|_| !out_of_scope) {
        let _ = writeln!(
            x,
            "    <cac:PartyTaxScheme>{}<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>",
            el("cbc:CompanyID", v)
        );
    }
    legal_entity(&mut x, &s.name, s.siren.as_deref());
    let _ = writeln!(x, "  </cac:Party></cac:AccountingSupplierParty>");
    // Buyer (BG-7).
    let b = &doc.buyer;
    let _ = writeln!(x, "  <cac:AccountingCustomerParty><cac:Party>");
    let _ = writeln!(
        x,
        "    <cac:PartyName>{}</cac:PartyName>",
        el("cbc:Name", &b.name)
    );
    address(&mut x, b.address.as_ref(), &b.country);
    if let Some(v) = b.vat_number.as_ref().filter(|_| !out_of_scope) {
        let _ = writeln!(
            x,
            "    <cac:PartyTaxScheme>{}<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>",
            el("cbc:CompanyID", v)
        );
    }
    legal_entity(&mut x, &b.name, b.siren.as_deref());
    let _ = writeln!(x, "  </cac:Party></cac:AccountingCustomerParty>");
    // VAT (BG-23), in the document currency, then in EUR (BT-111).
    let _ = writeln!(
        x,
        "  <cac:TaxTotal><cbc:TaxAmount {}</cbc:TaxAmount>",
        amt(doc.totals.tax)
    );
    for v in &doc.vat {
        let _ = writeln!(x, "    <cac:TaxSubtotal>");
        let _ = writeln!(
            x,
            "      <cbc:TaxableAmount {}</cbc:TaxableAmount>",
            amt(v.taxable)
        );
        let _ = writeln!(x, "      <cbc:TaxAmount {}</cbc:TaxAmount>", amt(v.tax));
        let _ = write!(
            x,
            "      <cac:TaxCategory><cbc:ID>{}</cbc:ID>{}",
            v.category.code(),
            percent(v.category, v.rate)
        );
        match v.category {
            VatCategory::Standard => {}
            VatCategory::ReverseCharge => {
                let _ = write!(
                    x,
                    "<cbc:TaxExemptionReasonCode>VATEX-EU-AE</cbc:TaxExemptionReasonCode><cbc:TaxExemptionReason>Reverse charge</cbc:TaxExemptionReason>"
                );
            }
            VatCategory::OutOfScope => {
                let _ = write!(
                    x,
                    "<cbc:TaxExemptionReasonCode>VATEX-EU-O</cbc:TaxExemptionReasonCode><cbc:TaxExemptionReason>Not subject to EU VAT</cbc:TaxExemptionReason>"
                );
            }
        }
        let _ = writeln!(
            x,
            "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>"
        );
        let _ = writeln!(x, "    </cac:TaxSubtotal>");
    }
    let _ = writeln!(x, "  </cac:TaxTotal>");
    if let Some(eur) = doc.totals.tax_eur {
        let _ = writeln!(
            x,
            "  <cac:TaxTotal><cbc:TaxAmount currencyID=\"EUR\">{eur}</cbc:TaxAmount></cac:TaxTotal>"
        );
    }
    // Totals (BG-22).
    let t = &doc.totals;
    let _ = writeln!(x, "  <cac:LegalMonetaryTotal>");
    let _ = writeln!(
        x,
        "    <cbc:LineExtensionAmount {}</cbc:LineExtensionAmount>",
        amt(t.net)
    );
    let _ = writeln!(
        x,
        "    <cbc:TaxExclusiveAmount {}</cbc:TaxExclusiveAmount>",
        amt(t.net)
    );
    let _ = writeln!(
        x,
        "    <cbc:TaxInclusiveAmount {}</cbc:TaxInclusiveAmount>",
        amt(t.gross)
    );
    let _ = writeln!(
        x,
        "    <cbc:PayableAmount {}</cbc:PayableAmount>",
        amt(t.gross)
    );
    let _ = writeln!(x, "  </cac:LegalMonetaryTotal>");
    // Lines (BG-25).
    for l in &doc.lines {
        let _ = writeln!(x, "  <cac:{line_tag}>");
        let _ = writeln!(x, "    <cbc:ID>{}</cbc:ID>", l.id);
        let _ = writeln!(
            x,
            "    <cbc:{qty_tag} unitCode=\"{}\">{}</cbc:{qty_tag}>",
            unit_code(&l.unit),
            l.quantity
        );
        let _ = writeln!(
            x,
            "    <cbc:LineExtensionAmount {}</cbc:LineExtensionAmount>",
            amt(l.amount)
        );
        let _ = writeln!(
            x,
            "    <cac:InvoicePeriod><cbc:StartDate>{}</cbc:StartDate><cbc:EndDate>{}</cbc:EndDate></cac:InvoicePeriod>",
            l.segment.start.date_naive(),
            crate::document::supply_date(&l.segment)
        );
        let _ = writeln!(
            x,
            "    <cac:Item>{}{}",
            el("cbc:Description", &l.formula),
            el("cbc:Name", &l.description)
        );
        let _ = writeln!(
            x,
            "      <cac:SellersItemIdentification>{}</cac:SellersItemIdentification>",
            el("cbc:ID", &l.sku)
        );
        let _ = writeln!(
            x,
            "      <cac:ClassifiedTaxCategory><cbc:ID>{}</cbc:ID>{}<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>",
            l.vat_category.code(),
            percent(l.vat_category, l.vat_rate)
        );
        let _ = writeln!(x, "    </cac:Item>");
        let _ = writeln!(
            x,
            "    <cac:Price><cbc:PriceAmount {}</cbc:PriceAmount><cbc:BaseQuantity unitCode=\"{}\">{}</cbc:BaseQuantity></cac:Price>",
            amt(l.unit_price),
            unit_code(&l.unit),
            l.divisor
        );
        let _ = writeln!(x, "  </cac:{line_tag}>");
    }
    let _ = writeln!(x, "</{root}>");
    Ok(x)
}

/// A date as CII writes it (format 102, `YYYYMMDD`).
fn cii_date(d: chrono::NaiveDate) -> String {
    format!(
        "<udt:DateTimeString format=\"102\">{}</udt:DateTimeString>",
        d.format("%Y%m%d")
    )
}

/// A party of CII (BG-4 seller, BG-7 buyer): name, legal registration, address, VAT number.
fn cii_party(
    x: &mut String,
    tag: &str,
    name: &str,
    siren: Option<&str>,
    address: Option<&crate::party::Address>,
    country: &str,
    vat_number: Option<&str>,
) {
    let _ = write!(x, "      <ram:{tag}>{}", el("ram:Name", name));
    if let Some(siren) = siren {
        let _ = write!(
            x,
            "<ram:SpecifiedLegalOrganization>{}</ram:SpecifiedLegalOrganization>",
            el_with("ram:ID", r#" schemeID="0002""#, siren)
        );
    }
    let _ = write!(x, "<ram:PostalTradeAddress>");
    if let Some(a) = address {
        if let Some(p) = &a.postcode {
            let _ = write!(x, "{}", el("ram:PostcodeCode", p));
        }
        if let Some(l) = a.lines.first() {
            let _ = write!(x, "{}", el("ram:LineOne", l));
        }
        if let Some(c) = &a.city {
            let _ = write!(x, "{}", el("ram:CityName", c));
        }
    }
    let _ = write!(
        x,
        "{}</ram:PostalTradeAddress>",
        el("ram:CountryID", country)
    );
    if let Some(v) = vat_number {
        let _ = write!(
            x,
            "<ram:SpecifiedTaxRegistration>{}</ram:SpecifiedTaxRegistration>",
            el_with("ram:ID", r#" schemeID="VA""#, v)
        );
    }
    let _ = writeln!(x, "</ram:{tag}>");
}

/// The document as UN/CEFACT CII D16B (the syntax Factur-X embeds), EN 16931 profile: the same
/// figures as [`ubl`], read from the same document.
pub fn cii(doc: &Document) -> Result<String> {
    let type_code = match doc.kind {
        DocumentKind::FinalInvoice => "380",
        DocumentKind::CreditNote => "381",
        other => {
            return Err(Error::Document(format!(
                "CII is for final invoices and credit notes, not for the {} kind",
                other.name()
            )));
        }
    };
    let number = doc
        .number
        .as_deref()
        .ok_or_else(|| Error::Document("CII needs a numbered document".into()))?;
    let cur = escape_xml(&doc.currency);
    let out_of_scope = out_of_scope(doc);
    let percent = |category: VatCategory, rate: Decimal| {
        rate_element("ram:RateApplicablePercent", category, rate)
    };
    let mut x = String::new();
    let _ = writeln!(x, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        x,
        r#"<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100" xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">"#
    );
    let _ = writeln!(
        x,
        "  <rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>"
    );
    let _ = write!(
        x,
        "  <rsm:ExchangedDocument>{}<ram:TypeCode>{type_code}</ram:TypeCode><ram:IssueDateTime>{}</ram:IssueDateTime>",
        el("ram:ID", number),
        cii_date(doc.issue_date)
    );
    for m in &doc.mentions {
        let _ = write!(
            x,
            "<ram:IncludedNote>{}</ram:IncludedNote>",
            el("ram:Content", m)
        );
    }
    let _ = writeln!(x, "</rsm:ExchangedDocument>");
    let _ = writeln!(x, "  <rsm:SupplyChainTradeTransaction>");
    let line_period = |p: &crate::time::Period| {
        format!(
            "<ram:BillingSpecifiedPeriod><ram:StartDateTime>{}</ram:StartDateTime><ram:EndDateTime>{}</ram:EndDateTime></ram:BillingSpecifiedPeriod>",
            cii_date(p.start.date_naive()),
            cii_date(crate::document::supply_date(p))
        )
    };
    // Lines (BG-25).
    for l in &doc.lines {
        let _ = writeln!(x, "    <ram:IncludedSupplyChainTradeLineItem>");
        let _ = writeln!(
            x,
            "      <ram:AssociatedDocumentLineDocument><ram:LineID>{}</ram:LineID></ram:AssociatedDocumentLineDocument>",
            l.id
        );
        let _ = writeln!(
            x,
            "      <ram:SpecifiedTradeProduct>{}{}{}</ram:SpecifiedTradeProduct>",
            el("ram:SellerAssignedID", &l.sku),
            el("ram:Name", &l.description),
            el("ram:Description", &l.formula)
        );
        let _ = writeln!(
            x,
            "      <ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>{}</ram:ChargeAmount><ram:BasisQuantity unitCode=\"{}\">{}</ram:BasisQuantity></ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>",
            l.unit_price,
            unit_code(&l.unit),
            l.divisor
        );
        let _ = writeln!(
            x,
            "      <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode=\"{}\">{}</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>",
            unit_code(&l.unit),
            l.quantity
        );
        let _ = writeln!(
            x,
            "      <ram:SpecifiedLineTradeSettlement><ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>{}</ram:CategoryCode>{}</ram:ApplicableTradeTax>{}<ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>{}</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation></ram:SpecifiedLineTradeSettlement>",
            l.vat_category.code(),
            percent(l.vat_category, l.vat_rate),
            line_period(&l.segment),
            l.amount
        );
        let _ = writeln!(x, "    </ram:IncludedSupplyChainTradeLineItem>");
    }
    // Parties (BG-4, BG-7).
    let _ = writeln!(x, "    <ram:ApplicableHeaderTradeAgreement>");
    let s = &doc.seller;
    cii_party(
        &mut x,
        "SellerTradeParty",
        &s.name,
        s.siren.as_deref(),
        s.address.as_ref(),
        &s.country,
        s.vat_number.as_deref().filter(|_| !out_of_scope),
    );
    let b = &doc.buyer;
    cii_party(
        &mut x,
        "BuyerTradeParty",
        &b.name,
        b.siren.as_deref(),
        b.address.as_ref(),
        &b.country,
        b.vat_number.as_deref().filter(|_| !out_of_scope),
    );
    let _ = writeln!(x, "    </ram:ApplicableHeaderTradeAgreement>");
    let _ = writeln!(x, "    <ram:ApplicableHeaderTradeDelivery/>");
    let _ = writeln!(x, "    <ram:ApplicableHeaderTradeSettlement>");
    if doc.totals.tax_eur.is_some() {
        let _ = writeln!(x, "      <ram:TaxCurrencyCode>EUR</ram:TaxCurrencyCode>");
    }
    let _ = writeln!(
        x,
        "      <ram:InvoiceCurrencyCode>{cur}</ram:InvoiceCurrencyCode>"
    );
    // VAT (BG-23).
    for v in &doc.vat {
        let (reason, code) = match v.category {
            VatCategory::Standard => ("", ""),
            VatCategory::ReverseCharge => ("Reverse charge", "VATEX-EU-AE"),
            VatCategory::OutOfScope => ("Not subject to EU VAT", "VATEX-EU-O"),
        };
        let _ = write!(
            x,
            "      <ram:ApplicableTradeTax><ram:CalculatedAmount>{}</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode>",
            v.tax
        );
        if !reason.is_empty() {
            let _ = write!(x, "{}", el("ram:ExemptionReason", reason));
        }
        let _ = write!(
            x,
            "<ram:BasisAmount>{}</ram:BasisAmount><ram:CategoryCode>{}</ram:CategoryCode>",
            v.taxable,
            v.category.code()
        );
        if !code.is_empty() {
            let _ = write!(x, "{}", el("ram:ExemptionReasonCode", code));
        }
        let _ = writeln!(
            x,
            "{}</ram:ApplicableTradeTax>",
            percent(v.category, v.rate)
        );
    }
    let _ = writeln!(x, "      {}", line_period(&doc.supply_period));
    // Totals (BG-22): the VAT total in the document's currency, then in EUR (BT-111).
    let t = &doc.totals;
    let _ = write!(
        x,
        "      <ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:LineTotalAmount>{}</ram:LineTotalAmount><ram:TaxBasisTotalAmount>{}</ram:TaxBasisTotalAmount><ram:TaxTotalAmount currencyID=\"{cur}\">{}</ram:TaxTotalAmount>",
        t.net, t.net, t.tax
    );
    if let Some(eur) = t.tax_eur {
        let _ = write!(
            x,
            "<ram:TaxTotalAmount currencyID=\"EUR\">{eur}</ram:TaxTotalAmount>"
        );
    }
    let _ = writeln!(
        x,
        "<ram:GrandTotalAmount>{}</ram:GrandTotalAmount><ram:DuePayableAmount>{}</ram:DuePayableAmount></ram:SpecifiedTradeSettlementHeaderMonetarySummation>",
        t.gross, t.gross
    );
    if let Some(r) = &doc.references {
        let _ = writeln!(
            x,
            "      <ram:InvoiceReferencedDocument>{}<ram:FormattedIssueDateTime><qdt:DateTimeString format=\"102\">{}</qdt:DateTimeString></ram:FormattedIssueDateTime></ram:InvoiceReferencedDocument>",
            el("ram:IssuerAssignedID", &r.number),
            r.issue_date.format("%Y%m%d")
        );
    }
    let _ = writeln!(x, "    </ram:ApplicableHeaderTradeSettlement>");
    let _ = writeln!(x, "  </rsm:SupplyChainTradeTransaction>");
    let _ = writeln!(x, "</rsm:CrossIndustryInvoice>");
    Ok(x)
}

fn address(x: &mut String, a: Option<&crate::party::Address>, country: &str) {
    let _ = write!(x, "    <cac:PostalAddress>");
    if let Some(a) = a {
        if let Some(l) = a.lines.first() {
            let _ = write!(x, "{}", el("cbc:StreetName", l));
        }
        if let Some(c) = &a.city {
            let _ = write!(x, "{}", el("cbc:CityName", c));
        }
        if let Some(p) = &a.postcode {
            let _ = write!(x, "{}", el("cbc:PostalZone", p));
        }
    }
    let _ = writeln!(
        x,
        "<cac:Country>{}</cac:Country></cac:PostalAddress>",
        el("cbc:IdentificationCode", country)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_xml_stays_well_formed() {
        let mut out = String::new();
        csv_record(
            &mut out,
            &[
                "=HYPERLINK(\"x\")",
                "+1+2",
                "-5+A1",
                "@SUM(A1)",
                "-0.50",
                "12",
                "a=b",
            ],
        );
        assert_eq!(
            out,
            "\"'=HYPERLINK(\"\"x\"\")\",'+1+2,'-5+A1,'@SUM(A1),-0.50,12,a=b\n"
        );
        assert_eq!(escape_xml("A\u{1}B\u{1b}<&>\tC"), "AB&lt;&amp;&gt;\tC");
    }

    #[test]
    fn csv_records_quote_as_the_csv_crate_does() {
        let fields = [
            "plain",
            "",
            "a,b",
            "say \"hi\"",
            "two\nlines",
            "cr\rhere",
            " spaced ",
            "#hash",
            "12.50",
            "Beispiel GmbH, Köln",
        ];
        let mut ours = String::new();
        csv_record(&mut ours, &fields);
        csv_record(&mut ours, &["", "y"]);
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(Vec::new());
        w.write_record(fields).unwrap();
        w.write_record(["", "y"]).unwrap();
        let theirs = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(ours, theirs);
        assert!(ours.starts_with("plain,,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\","));
    }
}
