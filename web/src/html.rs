//! Read-only parts of the page (the summary, the breakdown, the plans compared, the chart, the
//! pricing view, the printed document) are written as HTML text and set as one element's
//! content. Each of them changes as a whole whenever the outcome does, and text costs far less
//! WebAssembly than a typed view per table cell (the calculator has a size budget). Every piece
//! of text goes through [`Html::text`] or [`Html::attr`], which escape it.

use std::fmt::Write;

#[derive(Default)]
pub struct Html(String);

/// The engine's escaper, the one UBL uses: markup characters escaped, control characters
/// dropped.
fn escape(out: &mut String, s: &str) {
    out.push_str(&ratecard::export::escape_xml(s));
}

impl Html {
    /// Opens `tag` with attributes (name, value); values are escaped.
    pub fn open(&mut self, tag: &str, attrs: &[(&str, &str)]) -> &mut Self {
        let _ = write!(self.0, "<{tag}");
        for (k, v) in attrs {
            let _ = write!(self.0, " {k}=\"");
            escape(&mut self.0, v);
            self.0.push('"');
        }
        self.0.push('>');
        self
    }

    pub fn close(&mut self, tag: &str) -> &mut Self {
        let _ = write!(self.0, "</{tag}>");
        self
    }

    pub fn text(&mut self, s: &str) -> &mut Self {
        escape(&mut self.0, s);
        self
    }

    /// `<tag attrs>text</tag>`.
    pub fn el(&mut self, tag: &str, attrs: &[(&str, &str)], text: &str) -> &mut Self {
        self.open(tag, attrs).text(text).close(tag)
    }

    /// A table row of header cell and data cells.
    pub fn row(&mut self, head: &str, cells: &[(&str, &str)]) -> &mut Self {
        self.open("tr", &[]).el("th", &[], head);
        for (testid, v) in cells {
            if testid.is_empty() {
                self.el("td", &[], v);
            } else {
                self.el("td", &[("data-testid", testid)], v);
            }
        }
        self.close("tr")
    }

    pub fn finish(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_attributes_are_escaped() {
        let mut h = Html::default();
        h.el("p", &[("title", "a\"b")], "<script>&");
        assert_eq!(h.finish(), "<p title=\"a&quot;b\">&lt;script&gt;&amp;</p>");
    }
}
