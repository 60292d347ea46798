//! The page: a document becomes blocks of text and rules on A4 pages (laid out first, so the
//! footer can say "page 2 / 3"), then krilla draws them.

use krilla::color::rgb;
use krilla::configure::{Archival, ConfigurationBuilder, PdfVersion, Validator};
use krilla::embed::EmbeddedFile;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule, Stroke};
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::{Document as Pdf, SerializeSettings};
use ratecard::document::{Document, DocumentKind};
use skrifa::MetadataProvider;
use skrifa::instance::{LocationRef, Size};

use super::text::{self, Lang};

static REGULAR: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../fonts/DejaVuSans-Bold.ttf");

/// A4 in points.
const WIDTH: f32 = 595.28;
const HEIGHT: f32 = 841.89;
const LEFT: f32 = 42.0;
const RIGHT: f32 = WIDTH - 42.0;
const TOP: f32 = 48.0;
/// Where the body stops; the footer is below.
const BOTTOM: f32 = HEIGHT - 56.0;

/// The most pages a document may take: drawing is the costly part, so a document laid out on
/// more is refused before it is drawn (an invoice of 250 lines takes 14).
pub const MAX_PAGES: usize = 1_000;

/// The longest text one field prints (characters): a name, a line's description, the notes.
const MAX_TEXT: usize = 20_000;

/// Columns of the lines table: the description's left edge, then each right edge.
const COL_QTY: f32 = 335.0;
const COL_PRICE: f32 = 432.0;
const COL_VAT: f32 = 462.0;
const COL_DESC_WIDTH: f32 = 210.0;

#[derive(Clone, Copy, PartialEq)]
enum Weight {
    Regular,
    Bold,
}

#[derive(Clone, Copy, PartialEq)]
enum Align {
    Left,
    Right,
}

enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        weight: Weight,
        grey: bool,
        align: Align,
        text: String,
    },
    Rule {
        y: f32,
        x1: f32,
        x2: f32,
    },
    Band {
        y: f32,
        h: f32,
    },
}

/// The characters whose glyph and advance each face keeps at hand: Latin, with its
/// supplements and extensions (what invoices print); others are looked up in the font.
const KEPT: u32 = 0x250;

/// One font: its glyph and advance (in font units) for each kept character, looked up once
/// per document instead of once per character drawn.
struct Face<'a> {
    font: skrifa::FontRef<'a>,
    units_per_em: f32,
    kept: Vec<Option<(skrifa::GlyphId, f32)>>,
}

impl<'a> Face<'a> {
    fn new(bytes: &'a [u8]) -> Result<Self, String> {
        let font =
            skrifa::FontRef::new(bytes).map_err(|e| format!("the PDF font cannot be read: {e}"))?;
        let units_per_em = f32::from(
            skrifa::raw::TableProvider::head(&font)
                .map(|h| h.units_per_em())
                .unwrap_or(2048),
        );
        let map = font.charmap();
        let m = font.glyph_metrics(Size::unscaled(), LocationRef::default());
        let kept = (0..KEPT)
            .map(|u| {
                let g = char::from_u32(u).and_then(|c| map.map(c))?;
                Some((g, m.advance_width(g).unwrap_or(0.0)))
            })
            .collect();
        Ok(Face {
            font,
            units_per_em,
            kept,
        })
    }

    /// The glyph of `c` and its advance in font units; `None` when the font lacks it.
    fn glyph(&self, c: char) -> Option<(skrifa::GlyphId, f32)> {
        match self.kept.get(c as usize) {
            Some(kept) => *kept,
            None => {
                let g = self.font.charmap().map(c)?;
                let m = self
                    .font
                    .glyph_metrics(Size::unscaled(), LocationRef::default());
                Some((g, m.advance_width(g).unwrap_or(0.0)))
            }
        }
    }

    /// The advance of `c` at `size` points (a missing glyph counts as 0.6 em).
    fn advance(&self, c: char, size: f32) -> f32 {
        self.glyph(c)
            .map_or(size * 0.6, |(_, a)| a * size / self.units_per_em)
    }
}

/// Glyph advances of the two fonts, to measure text.
struct Metrics<'a> {
    regular: Face<'a>,
    bold: Face<'a>,
}

impl Metrics<'_> {
    fn new() -> Result<Self, String> {
        Ok(Metrics {
            regular: Face::new(REGULAR)?,
            bold: Face::new(BOLD)?,
        })
    }

    fn face(&self, weight: Weight) -> &Face<'_> {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }

    fn width(&self, text: &str, size: f32, weight: Weight) -> f32 {
        let face = self.face(weight);
        text.chars().map(|c| face.advance(c, size)).sum()
    }

    /// The glyphs of `text`, one per character (Latin text needs no shaping), each with its
    /// advance in em and the bytes of the text it stands for (what a reader extracts). Shaping
    /// each text with rustybuzz parsed the font again every time: 40 ms for a 14-page invoice.
    fn glyphs(&self, text: &str, weight: Weight) -> Vec<KrillaGlyph> {
        let face = self.face(weight);
        text.char_indices()
            .map(|(i, c)| {
                let (g, advance) = face.glyph(c).unwrap_or_default();
                KrillaGlyph::new(
                    GlyphId::new(g.to_u32()),
                    advance / face.units_per_em,
                    0.0,
                    0.0,
                    0.0,
                    i..i.saturating_add(c.len_utf8()),
                    None,
                )
            })
            .collect()
    }

    /// `text` as it can be printed: control characters dropped, a character the font lacks
    /// shown as `?` (PDF/A refuses a missing glyph).
    /// The text is cut at `MAX_TEXT` characters (with `…`): no field prints a book.
    fn printable(&self, text: &str, weight: Weight) -> String {
        let face = self.face(weight);
        let mut out: String = text
            .chars()
            .filter(|c| !c.is_control() || *c == '\n')
            .take(MAX_TEXT)
            .map(|c| if face.glyph(c).is_some() { c } else { '?' })
            .collect();
        if text.chars().nth(MAX_TEXT).is_some() {
            out.push('…');
        }
        out
    }

    /// `text` broken into lines no wider than `width`, at spaces (a word longer than the
    /// width is cut where it must be). Linear in the text's length.
    fn wrap(&self, text: &str, size: f32, weight: Weight, width: f32) -> Vec<String> {
        let face = self.face(weight);
        let advance = |c: char| face.advance(c, size);
        let space = advance(' ');
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            let mut line_w = 0.0;
            for word in paragraph.split(' ') {
                let word_w: f32 = word.chars().map(advance).sum();
                if !line.is_empty() && line_w + space + word_w <= width {
                    line.push(' ');
                    line.push_str(word);
                    line_w += space + word_w;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    line_w = 0.0;
                }
                for c in word.chars() {
                    let w = advance(c);
                    if !line.is_empty() && line_w + w > width {
                        lines.push(std::mem::take(&mut line));
                        line_w = 0.0;
                    }
                    line.push(c);
                    line_w += w;
                }
            }
            lines.push(line);
        }
        lines
    }
}

/// The pages being laid out, and where the next block goes.
struct Layout<'a> {
    pages: Vec<Vec<Op>>,
    y: f32,
    m: &'a Metrics<'a>,
}

impl<'a> Layout<'a> {
    fn new(m: &'a Metrics<'a>) -> Self {
        Layout {
            pages: vec![Vec::new()],
            y: TOP,
            m,
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len().saturating_sub(1);
        &mut self.pages[last]
    }

    /// Starts a new page when `h` points do not fit on this one; true when it did.
    fn need(&mut self, h: f32) -> bool {
        if self.y + h > BOTTOM {
            self.pages.push(Vec::new());
            self.y = TOP;
            true
        } else {
            false
        }
    }

    fn text(&mut self, x: f32, size: f32, weight: Weight, grey: bool, align: Align, t: &str) {
        let y = self.y;
        let t = self.m.printable(t, weight);
        self.ops().push(Op::Text {
            x,
            y,
            size,
            weight,
            grey,
            align,
            text: t,
        });
    }

    fn rule(&mut self, x1: f32, x2: f32) {
        let y = self.y;
        self.ops().push(Op::Rule { y, x1, x2 });
    }

    /// A paragraph at `x`, wrapped to `width`, advancing the cursor.
    fn paragraph(&mut self, x: f32, width: f32, size: f32, weight: Weight, grey: bool, t: &str) {
        let lead = size * 1.35;
        let t = self.m.printable(t, weight);
        for line in self.m.wrap(&t, size, weight, width) {
            self.need(lead);
            self.y += lead;
            self.text(x, size, weight, grey, Align::Left, &line);
        }
    }
}

/// The lines of a party's block: name, address, country, company and VAT numbers.
fn party_lines(
    name: &str,
    address: Option<&ratecard::party::Address>,
    country: &str,
    siren: Option<&str>,
    vat_number: Option<&str>,
    lang: Lang,
) -> Vec<(Weight, String)> {
    let mut out = vec![(Weight::Bold, name.to_string())];
    if let Some(a) = address {
        for l in &a.lines {
            out.push((Weight::Regular, l.clone()));
        }
        let city = [a.postcode.as_deref(), a.city.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        if !city.is_empty() {
            out.push((Weight::Regular, city));
        }
    }
    out.push((
        Weight::Regular,
        format!("{} {country}", lang.pick("Pays :", "Country:")),
    ));
    if let Some(s) = siren {
        out.push((
            Weight::Regular,
            format!("SIREN : {s}").replace(" : ", lang.pick(" : ", ": ")),
        ));
    }
    if let Some(v) = vat_number {
        out.push((
            Weight::Regular,
            format!(
                "{} {v}",
                lang.pick("N° TVA intracommunautaire :", "VAT number:")
            ),
        ));
    }
    out
}

/// Lays `doc` out and draws it; with `embed`, as PDF/A-3 with that file attached.
pub(super) fn render(
    doc: &Document,
    lang: Lang,
    embed: Option<EmbeddedFile>,
) -> Result<Vec<u8>, String> {
    let metrics = Metrics::new()?;
    let pages = lay_out(doc, lang, &metrics);
    if pages.len() > MAX_PAGES {
        return Err(format!(
            "the document would take {} pages: at most {MAX_PAGES} are printed",
            pages.len()
        ));
    }
    draw(doc, lang, &metrics, pages, embed)
}

fn lay_out(doc: &Document, lang: Lang, m: &Metrics) -> Vec<Vec<Op>> {
    let mut l = Layout::new(m);
    let cur = doc.currency.as_str();

    // Title and references, at the top right the number and dates.
    l.y += 22.0;
    l.text(
        LEFT,
        20.0,
        Weight::Bold,
        false,
        Align::Left,
        &text::title(doc, lang).to_uppercase(),
    );
    let mut facts: Vec<String> = Vec::new();
    if let Some(n) = &doc.number {
        facts.push(format!("{} {n}", lang.pick("N°", "No.")));
    }
    facts.push(format!(
        "{} {}",
        lang.pick("Date d'émission :", "Issue date:"),
        lang.date(doc.issue_date)
    ));
    let first = doc.supply_period.start.date_naive();
    let last = ratecard::document::supply_date(&doc.supply_period);
    facts.push(format!(
        "{} {} – {}",
        lang.pick("Période de prestation :", "Supply period:"),
        lang.date(first),
        lang.date(last)
    ));
    match doc.kind {
        DocumentKind::FinalInvoice => facts.push(format!(
            "{} {} ({})",
            lang.pick("Échéance :", "Due date:"),
            lang.date(doc.issue_date),
            lang.pick("à réception", "on receipt")
        )),
        DocumentKind::Quote => {
            if let Some(v) = doc.valid_until {
                facts.push(format!(
                    "{} {}",
                    lang.pick("Valable jusqu'au :", "Valid until:"),
                    lang.date(v)
                ));
            }
        }
        _ => {}
    }
    facts.push(format!("{} {cur}", lang.pick("Devise :", "Currency:")));
    let top = l.y - 14.0;
    for (i, f) in facts.iter().enumerate() {
        l.y = top + 12.0 * (i as f32);
        let weight = if i == 0 && doc.number.is_some() {
            Weight::Bold
        } else {
            Weight::Regular
        };
        l.text(RIGHT, 9.0, weight, false, Align::Right, f);
    }
    l.y = l.y.max(top + 12.0 * (facts.len() as f32)) + 6.0;
    if let Some(d) = text::disclaimer(doc, lang) {
        l.paragraph(LEFT, RIGHT - LEFT, 9.0, Weight::Bold, false, d);
    }
    if let Some(r) = &doc.references {
        let what = match doc.kind {
            DocumentKind::CreditNote => lang.pick("Avoir sur la facture", "Credits invoice"),
            _ => lang.pick("Complète la facture", "Completes invoice"),
        };
        let t = format!(
            "{what} {} {} {}",
            r.number,
            lang.pick("du", "of"),
            lang.date(r.issue_date)
        );
        l.paragraph(LEFT, RIGHT - LEFT, 9.0, Weight::Bold, false, &t);
    }

    // The parties, side by side.
    l.y += 16.0;
    let seller = party_lines(
        &doc.seller.name,
        doc.seller.address.as_ref(),
        &doc.seller.country,
        doc.seller.siren.as_deref(),
        doc.seller.vat_number.as_deref(),
        lang,
    );
    let buyer = party_lines(
        &doc.buyer.name,
        doc.buyer.address.as_ref(),
        &doc.buyer.country,
        doc.buyer.siren.as_deref(),
        doc.buyer.vat_number.as_deref(),
        lang,
    );
    let mid = LEFT + (RIGHT - LEFT) / 2.0 + 10.0;
    let block_top = l.y;
    let mut block_end = block_top;
    for (x, label, lines) in [
        (LEFT, lang.pick("VENDEUR", "SELLER"), &seller),
        (mid, lang.pick("CLIENT", "CUSTOMER"), &buyer),
    ] {
        l.y = block_top;
        l.text(x, 7.5, Weight::Bold, true, Align::Left, label);
        for (w, t) in lines.iter() {
            // A party's line is cut at a few lines: the block is not paginated.
            for piece in m
                .wrap(&m.printable(t, *w), 9.0, *w, mid - LEFT - 20.0)
                .into_iter()
                .take(4)
            {
                l.y += 12.0;
                l.text(x, 9.0, *w, false, Align::Left, &piece);
            }
        }
        block_end = block_end.max(l.y);
    }
    l.y = block_end + 14.0;
    l.paragraph(
        LEFT,
        RIGHT - LEFT,
        8.0,
        Weight::Regular,
        true,
        text::nature(lang),
    );
    if doc.seller.vat_on_debits {
        l.paragraph(
            LEFT,
            RIGHT - LEFT,
            8.0,
            Weight::Regular,
            true,
            text::vat_on_debits(lang),
        );
    }

    // The lines.
    l.y += 14.0;
    let header = |l: &mut Layout| {
        let y = l.y;
        l.ops().push(Op::Band { y, h: 16.0 });
        l.y += 11.0;
        l.text(
            LEFT + 4.0,
            8.0,
            Weight::Bold,
            false,
            Align::Left,
            lang.pick("Désignation", "Description"),
        );
        l.text(
            COL_QTY,
            8.0,
            Weight::Bold,
            false,
            Align::Right,
            lang.pick("Quantité", "Quantity"),
        );
        l.text(
            COL_PRICE,
            8.0,
            Weight::Bold,
            false,
            Align::Right,
            lang.pick("Prix unitaire HT", "Unit price excl. VAT"),
        );
        l.text(
            COL_VAT,
            8.0,
            Weight::Bold,
            false,
            Align::Right,
            lang.pick("TVA", "VAT"),
        );
        l.text(
            RIGHT - 4.0,
            8.0,
            Weight::Bold,
            false,
            Align::Right,
            lang.pick("Montant HT", "Amount excl. VAT"),
        );
        l.y += 9.0;
    };
    header(&mut l);
    for line in &doc.lines {
        let desc = m.wrap(
            &m.printable(&line.description, Weight::Regular),
            8.5,
            Weight::Regular,
            COL_DESC_WIDTH,
        );
        let mut detail = format!("{} · {}", line.sku, line.region);
        if let Some(r) = &line.resource {
            detail.push_str(&format!(" · {r}"));
        }
        if let Some(s) = &line.slice {
            detail.push_str(&format!(" · {s}"));
        }
        // What discounts, commitments and credits took off the line, converted as the line is
        // (by the engine), so that quantity times unit price less this is the amount.
        if !line.reductions.is_zero()
            && let Some(off) = ratecard::document::convert(
                line.reductions,
                doc.fx.as_ref(),
                cur,
                doc.rounding.lines,
            )
        {
            detail.push_str(&format!(
                " · {} {}",
                lang.pick("remise", "discount"),
                lang.money(-off, cur)
            ));
        }
        detail.push_str(&format!(
            " · {} – {}",
            lang.date(line.segment.start.date_naive()),
            lang.date(ratecard::document::supply_date(&line.segment))
        ));
        let detail = m.wrap(
            &m.printable(&detail, Weight::Regular),
            7.0,
            Weight::Regular,
            COL_DESC_WIDTH,
        );
        let h = 11.0 * (desc.len() as f32) + 9.0 * (detail.len() as f32) + 6.0;
        if l.need(h) {
            header(&mut l);
        }
        let row_top = l.y;
        l.y += 11.0;
        l.text(
            COL_QTY,
            8.5,
            Weight::Regular,
            false,
            Align::Right,
            &format!("{} {}", lang.number(line.quantity), line.unit.name()),
        );
        l.text(
            COL_PRICE,
            8.5,
            Weight::Regular,
            false,
            Align::Right,
            &format!(
                "{} / {}",
                lang.number(line.unit_price.normalize()),
                line.price_unit
            ),
        );
        let rate = match line.vat_category {
            ratecard::vat::VatCategory::OutOfScope => "–".to_string(),
            _ => format!("{} %", lang.number(line.vat_rate.normalize())),
        };
        l.text(COL_VAT, 8.5, Weight::Regular, false, Align::Right, &rate);
        l.text(
            RIGHT - 4.0,
            8.5,
            Weight::Regular,
            false,
            Align::Right,
            &lang.number(line.amount),
        );
        l.y = row_top;
        for d in &desc {
            l.y += 11.0;
            l.text(LEFT + 4.0, 8.5, Weight::Regular, false, Align::Left, d);
        }
        for d in &detail {
            l.y += 9.0;
            l.text(LEFT + 4.0, 7.0, Weight::Regular, true, Align::Left, d);
        }
        l.y += 5.0;
        l.rule(LEFT, RIGHT);
    }

    // VAT per rate, then the totals.
    let label_x = RIGHT - 200.0;
    let rows = doc.vat.len() + 4;
    l.need(14.0 * (rows as f32) + 30.0);
    l.y += 18.0;
    l.text(
        LEFT,
        8.0,
        Weight::Bold,
        false,
        Align::Left,
        lang.pick("TVA par taux", "VAT per rate"),
    );
    for v in &doc.vat {
        l.y += 12.0;
        let rate = match v.category {
            ratecard::vat::VatCategory::OutOfScope => String::new(),
            _ => format!(" {} %", lang.number(v.rate.normalize())),
        };
        l.text(
            LEFT,
            8.0,
            Weight::Regular,
            false,
            Align::Left,
            &format!(
                "{}{rate}{} {} {} → {} {}",
                text::vat_category(v.category, lang),
                lang.pick(" :", ":"),
                lang.pick("base", "base"),
                lang.money(v.taxable, cur),
                lang.pick("TVA", "VAT"),
                lang.money(v.tax, cur)
            ),
        );
    }
    let top = l.y - 12.0 * (doc.vat.len() as f32);
    l.y = top;
    let mut totals = vec![
        (
            lang.pick("Total HT", "Total excl. VAT"),
            lang.money(doc.totals.net, cur),
            Weight::Regular,
        ),
        (
            lang.pick("Total TVA", "Total VAT"),
            lang.money(doc.totals.tax, cur),
            Weight::Regular,
        ),
    ];
    if let Some(eur) = doc.totals.tax_eur {
        totals.push((
            lang.pick("dont TVA en EUR", "VAT in EUR"),
            lang.money(eur, "EUR"),
            Weight::Regular,
        ));
    }
    let gross_label = match doc.kind {
        DocumentKind::CreditNote => lang.pick("Total TTC à déduire", "Total credited incl. VAT"),
        DocumentKind::FinalInvoice => lang.pick("Total TTC à payer", "Total due incl. VAT"),
        _ => lang.pick("Total TTC", "Total incl. VAT"),
    };
    totals.push((gross_label, lang.money(doc.totals.gross, cur), Weight::Bold));
    for (label, value, w) in &totals {
        l.y += 14.0;
        l.text(label_x, 9.5, *w, false, Align::Left, label);
        l.text(RIGHT - 4.0, 9.5, *w, false, Align::Right, value);
    }
    l.y += 5.0;
    l.rule(label_x, RIGHT);
    l.y = l.y.max(top + 12.0 * (doc.vat.len() as f32));

    // Mentions, notes, terms.
    l.y += 16.0;
    for mention in &doc.mentions {
        l.paragraph(LEFT, RIGHT - LEFT, 8.0, Weight::Bold, false, mention);
    }
    if let Some(fx) = doc.fx.as_ref().or(doc.vat_fx.as_ref()) {
        let t = format!(
            "{} 1 {} = {} {} ({}, {})",
            lang.pick("Taux de change :", "Exchange rate:"),
            fx.from,
            lang.number(fx.rate),
            fx.to,
            fx.source,
            lang.date(fx.date)
        );
        l.paragraph(LEFT, RIGHT - LEFT, 8.0, Weight::Regular, true, &t);
    }
    if let Some(n) = &doc.notes {
        l.y += 4.0;
        l.paragraph(LEFT, RIGHT - LEFT, 8.5, Weight::Regular, false, n);
    }
    if matches!(
        doc.kind,
        DocumentKind::FinalInvoice | DocumentKind::DraftInvoice
    ) {
        l.y += 4.0;
        // Penalties and the recovery indemnity are terms between businesses (L441-10, D441-5).
        let [terms, penalties, indemnity] = text::payment_terms(lang);
        let business = doc.buyer.kind == ratecard::party::CustomerKind::Business;
        for t in [
            Some(terms),
            business.then_some(penalties),
            business.then_some(indemnity),
        ]
        .into_iter()
        .flatten()
        {
            l.paragraph(LEFT, RIGHT - LEFT, 7.5, Weight::Regular, true, t);
        }
    }
    l.pages
}

fn draw(
    doc: &Document,
    lang: Lang,
    metrics: &Metrics,
    pages: Vec<Vec<Op>>,
    embed: Option<EmbeddedFile>,
) -> Result<Vec<u8>, String> {
    let regular = Font::new(REGULAR.into(), 0).ok_or("the PDF font cannot be read")?;
    let bold = Font::new(BOLD.into(), 0).ok_or("the PDF bold font cannot be read")?;
    let archival = embed.is_some();
    let settings = if archival {
        let configuration = ConfigurationBuilder::new()
            .with_version(PdfVersion::Pdf17)
            .set_validator(Validator::A(Archival::A3_B))
            .finish()
            .map_err(|e| format!("PDF/A-3 configuration: {e:?}"))?;
        SerializeSettings {
            configuration,
            ..SerializeSettings::default()
        }
    } else {
        SerializeSettings::default()
    };
    let mut pdf = Pdf::new_with(settings);
    let date = pdf_date(doc.issue_date);
    let title = match &doc.number {
        Some(n) => format!("{} {n}", text::title(doc, lang)),
        None => text::title(doc, lang).to_string(),
    };
    pdf.set_metadata(
        Metadata::new()
            .title(title)
            .authors(vec![doc.seller.name.clone()])
            .creator("ratecard".into())
            .language(lang.code().into())
            .producer("ratecard (krilla)".into())
            .creation_date(date),
    );
    let total = pages.len();
    let grey = rgb::Color::new(96, 96, 96);
    let black = rgb::Color::new(0, 0, 0);
    let band = rgb::Color::new(232, 236, 242);
    let footer = {
        let who = doc.number.clone().unwrap_or_else(|| doc.buyer.name.clone());
        let line = format!("{} · {who}", doc.seller.name);
        metrics
            .wrap(
                &metrics.printable(&line, Weight::Regular),
                7.0,
                Weight::Regular,
                380.0,
            )
            .into_iter()
            .next()
            .unwrap_or_default()
    };
    for (i, ops) in pages.into_iter().enumerate() {
        let settings = PageSettings::from_wh(WIDTH, HEIGHT).ok_or("the A4 page size is refused")?;
        let mut page = pdf.start_page_with(settings);
        let mut s = page.surface();
        let fill = |c: rgb::Color| {
            Some(Fill {
                paint: c.into(),
                opacity: NormalizedF32::ONE,
                rule: FillRule::NonZero,
            })
        };
        let put = |s: &mut krilla::surface::Surface,
                   x: f32,
                   y: f32,
                   size: f32,
                   weight: Weight,
                   g: bool,
                   align: Align,
                   t: &str| {
            let font = if weight == Weight::Bold {
                bold.clone()
            } else {
                regular.clone()
            };
            let x = match align {
                Align::Right => x - metrics.width(t, size, weight),
                Align::Left => x,
            };
            s.set_fill(fill(if g { grey } else { black }));
            let glyphs = metrics.glyphs(t, weight);
            s.draw_glyphs(Point::from_xy(x, y), &glyphs, font, t, size, false);
        };
        for op in &ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    weight,
                    grey: g,
                    align,
                    text,
                } => put(&mut s, *x, *y, *size, *weight, *g, *align, text),
                Op::Rule { y, x1, x2 } => {
                    let mut pb = PathBuilder::new();
                    pb.move_to(*x1, *y);
                    pb.line_to(*x2, *y);
                    if let Some(path) = pb.finish() {
                        s.set_fill(None);
                        s.set_stroke(Some(Stroke {
                            paint: rgb::Color::new(200, 200, 200).into(),
                            width: 0.5,
                            ..Stroke::default()
                        }));
                        s.draw_path(&path);
                        s.set_stroke(None);
                    }
                }
                Op::Band { y, h } => {
                    let mut pb = PathBuilder::new();
                    if let Some(r) = Rect::from_xywh(LEFT, *y, RIGHT - LEFT, *h) {
                        pb.push_rect(r);
                    }
                    if let Some(path) = pb.finish() {
                        s.set_stroke(None);
                        s.set_fill(fill(band));
                        s.draw_path(&path);
                    }
                }
            }
        }
        let page_no = format!(
            "{} {} / {total}",
            lang.pick("Page", "Page"),
            i.saturating_add(1)
        );
        put(
            &mut s,
            LEFT,
            HEIGHT - 30.0,
            7.0,
            Weight::Regular,
            true,
            Align::Left,
            &footer,
        );
        put(
            &mut s,
            RIGHT,
            HEIGHT - 30.0,
            7.0,
            Weight::Regular,
            true,
            Align::Right,
            &page_no,
        );
        s.finish();
        page.finish();
    }
    if let Some(file) = embed {
        pdf.embed_file(file)
            .ok_or("the file to embed was refused (a second file of the same name)")?;
    }
    pdf.finish()
        .map_err(|e| format!("the PDF cannot be written: {e:?}"))
}

/// The issue date as krilla's date, for the embedded file.
pub(super) fn pdf_date(d: chrono::NaiveDate) -> DateTime {
    use chrono::Datelike;
    DateTime::new(u16::try_from(d.year()).unwrap_or(2000))
        .month(u8::try_from(d.month()).unwrap_or(1))
        .day(u8::try_from(d.day()).unwrap_or(1))
        .hour(0)
        .minute(0)
        .second(0)
        .utc_offset_hour(0)
        .utc_offset_minute(0)
}
