//! Factur-X: the PDF of an invoice or credit note as PDF/A-3, with its CII XML (EN 16931
//! profile) embedded as `factur-x.xml` (relationship `Alternative`), and the XMP metadata that
//! names the Factur-X profile. The XML is the very text [`ratecard::export::cii`] writes.

use krilla::embed::{AssociationKind, EmbeddedFile, MimeType};
use ratecard::document::Document;

use super::layout::{pdf_date, render};
use super::text::Lang;

/// The name Factur-X gives the embedded XML.
pub const XML_NAME: &str = "factur-x.xml";

/// The Factur-X properties of the document, in its XMP.
const FX_PROPERTIES: &str = r#"<rdf:Description rdf:about="" xmlns:fx="urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"><fx:DocumentType>INVOICE</fx:DocumentType><fx:DocumentFileName>factur-x.xml</fx:DocumentFileName><fx:Version>1.0</fx:Version><fx:ConformanceLevel>EN 16931</fx:ConformanceLevel></rdf:Description>"#;

/// The PDF/A extension schema that declares them (PDF/A accepts only declared properties).
const FX_SCHEMA: &str = r#"<rdf:li rdf:parseType="Resource"><pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema><pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI><pdfaSchema:prefix>fx</pdfaSchema:prefix><pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource"><pdfaProperty:name>DocumentFileName</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>The name of the embedded XML document</pdfaProperty:description></rdf:li><rdf:li rdf:parseType="Resource"><pdfaProperty:name>DocumentType</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>The type of the hybrid document in capital letters, e.g. INVOICE or ORDER</pdfaProperty:description></rdf:li><rdf:li rdf:parseType="Resource"><pdfaProperty:name>Version</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>The actual version of the standard applying to the embedded XML document</pdfaProperty:description></rdf:li><rdf:li rdf:parseType="Resource"><pdfaProperty:name>ConformanceLevel</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>The conformance level of the embedded XML document</pdfaProperty:description></rdf:li></rdf:Seq></pdfaSchema:property></rdf:li>"#;

/// The end of the extension schemas krilla writes for PDF/A: the Factur-X schema joins them
/// (one `pdfaExtension:schemas` property, as XMP allows).
const SCHEMAS_END: &str = "</rdf:Bag></pdfaExtension:schemas>";

/// The same schemas, when the packet has none of its own.
fn extension(schema: &str) -> String {
    format!(
        r#"<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#"><pdfaExtension:schemas><rdf:Bag>{schema}</rdf:Bag></pdfaExtension:schemas></rdf:Description>"#
    )
}

/// The Factur-X file of a final invoice or credit note (EN 16931 profile). Other kinds are
/// refused, as CII refuses them.
pub fn facturx(doc: &Document, lang: Lang) -> Result<Vec<u8>, String> {
    let xml = ratecard::export::cii(doc).map_err(|e| e.to_string())?;
    let file = EmbeddedFile {
        path: XML_NAME.into(),
        mime_type: MimeType::new("text/xml"),
        description: Some("Factur-X invoice, EN 16931 profile (UN/CEFACT CII D16B)".into()),
        association_kind: AssociationKind::Alternative,
        data: xml.into_bytes().into(),
        modification_date: Some(pdf_date(doc.issue_date)),
        compress: Some(true),
        location: None,
    };
    let pdf = render(doc, lang, Some(file))?;
    with_facturx_xmp(&pdf)
}

/// Adds the Factur-X description to the file's XMP packet, by an incremental update (the one
/// way PDF has to change an object of a finished file): the metadata stream again under its own
/// object number with the description added, a cross-reference section for it, and a trailer
/// pointing back to the first. Readers take the newest version of the object.
fn with_facturx_xmp(pdf: &[u8]) -> Result<Vec<u8>, String> {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let find = |hay: &[u8], needle: &[u8], from: usize| -> Option<usize> {
        hay.get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p.saturating_add(from))
    };
    let rfind = |hay: &[u8], needle: &[u8]| -> Option<usize> {
        hay.windows(needle.len()).rposition(|w| w == needle)
    };
    let missing = |what: &str| format!("the PDF has no {what}: Factur-X metadata cannot be added");
    // The trailer of the file as written: its size, root, info and ids.
    let trailer_at = rfind(pdf, b"trailer").ok_or_else(|| missing("trailer"))?;
    let startxref_at = rfind(pdf, b"startxref").ok_or_else(|| missing("startxref"))?;
    let trailer = text(&pdf[trailer_at.saturating_add(7)..startxref_at]);
    // The catalog (the trailer's /Root), and its /Metadata reference: read inside the catalog
    // only, so no text elsewhere (a name in the document information) can stand for it.
    let root: u32 = trailer
        .split("/Root")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| missing("/Root in its trailer"))?;
    let root_head = format!("\n{root} 0 obj");
    let root_at = find(pdf, root_head.as_bytes(), 0).ok_or_else(|| missing("catalog"))?;
    let root_end = find(pdf, b"endobj", root_at).ok_or_else(|| missing("end of the catalog"))?;
    let at = find(&pdf[..root_end], b"/Metadata ", root_at)
        .ok_or_else(|| missing("/Metadata in its catalog"))?;
    let after = &pdf[at.saturating_add(10)..];
    let end = after
        .iter()
        .position(|&c| c == b'R')
        .ok_or_else(|| missing("metadata reference"))?;
    let reference = text(&after[..end]);
    let object: u32 = reference
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| missing("metadata object number"))?;
    // The packet itself: XMP is stored uncompressed in PDF/A.
    let head = format!("\n{object} 0 obj");
    let obj_at = find(pdf, head.as_bytes(), 0).ok_or_else(|| missing("metadata object"))?;
    let stream_at = find(pdf, b"stream\n", obj_at)
        .or_else(|| find(pdf, b"stream\r\n", obj_at))
        .ok_or_else(|| missing("metadata stream"))?;
    let body_at =
        stream_at.saturating_add(if pdf.get(stream_at.saturating_add(6)) == Some(&b'\r') {
            8
        } else {
            7
        });
    let body_end = find(pdf, b"endstream", body_at).ok_or_else(|| missing("end of stream"))?;
    let packet = text(&pdf[body_at..body_end]);
    let mut xmp = packet.trim_end().to_string();
    match xmp.find(SCHEMAS_END) {
        Some(end) => xmp.insert_str(end, FX_SCHEMA),
        None => {
            let close = xmp
                .rfind("</rdf:RDF>")
                .ok_or_else(|| missing("RDF element in its XMP"))?;
            xmp.insert_str(close, &extension(FX_SCHEMA));
        }
    }
    let close = xmp
        .rfind("</rdf:RDF>")
        .ok_or_else(|| missing("RDF element in its XMP"))?;
    xmp.insert_str(close, FX_PROPERTIES);
    let prev: usize = text(&pdf[startxref_at.saturating_add(9)..])
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| missing("cross-reference offset"))?;
    let dict = trailer
        .trim()
        .strip_prefix("<<")
        .and_then(|t| t.rfind(">>").map(|e| t[..e].to_string()))
        .ok_or_else(|| missing("trailer dictionary"))?;
    let mut out = pdf.to_vec();
    if out.last() != Some(&b'\n') {
        out.push(b'\n');
    }
    let offset = out.len();
    out.extend_from_slice(
        format!(
            "{object} 0 obj\n<< /Type /Metadata /Subtype /XML /Length {} >>\nstream\n{xmp}\nendstream\nendobj\n",
            xmp.len().saturating_add(0)
        )
        .as_bytes(),
    );
    // `Length` counts the bytes between `stream\n` and `\nendstream`.
    let xref_at = out.len();
    out.extend_from_slice(
        format!(
            "xref\n{object} 1\n{offset:010} 00000 n \ntrailer\n<<{} /Prev {prev} >>\nstartxref\n{xref_at}\n%%EOF\n",
            strip_prev(&dict)
        )
        .as_bytes(),
    );
    Ok(out)
}

/// The trailer's entries without a `/Prev` of its own (the new one points to this trailer's
/// section).
fn strip_prev(dict: &str) -> String {
    match dict.find("/Prev") {
        None => dict.to_string(),
        Some(i) => {
            let rest = &dict[i.saturating_add(5)..];
            let rest = rest.trim_start();
            let number_end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            format!("{}{}", &dict[..i], &rest[number_end..])
        }
    }
}
