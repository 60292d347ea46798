//! The console's URL: `#/costs?period=2026-03&group=service&drill=service:Compute`. Every view
//! and its parameters live in the fragment, so the back button works and a view can be shared.

/// The views, in the order the navigation shows them.
pub const VIEWS: &[&str] = &[
    "now",
    "costs",
    "pricing",
    "allocation",
    "invoices",
    "budgets",
];

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Route {
    pub view: String,
    pub params: Vec<(String, String)>,
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |x: u8| (x as char).to_digit(16);
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A text as a URL's query value: what is not unreserved is percent-encoded.
pub fn encode_component(s: &str) -> String {
    let mut out = String::new();
    for c in s.bytes() {
        if c.is_ascii_alphanumeric() || b"-_.:~@".contains(&c) {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

impl Route {
    /// The route of a fragment (`#/costs?period=2026-03`); the first view when it names none
    /// the console has.
    pub fn parse(fragment: &str) -> Route {
        let f = fragment.trim_start_matches('#').trim_start_matches('/');
        let (view, query) = f.split_once('?').unwrap_or((f, ""));
        let view = if VIEWS.contains(&view) {
            view
        } else {
            VIEWS[0]
        };
        let params = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect();
        Route {
            view: view.to_string(),
            params,
        }
    }

    pub fn fragment(&self) -> String {
        let mut out = format!("#/{}", self.view);
        for (i, (k, v)) in self.params.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            out.push_str(&encode_component(k));
            out.push('=');
            out.push_str(&encode_component(v));
        }
        out
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// This route with `key` set to `value` (removed when empty), keeping the others' order.
    pub fn with(&self, key: &str, value: &str) -> Route {
        let mut r = self.clone();
        r.params.retain(|(k, _)| k != key);
        if !value.is_empty() {
            r.params.push((key.to_string(), value.to_string()));
        }
        r
    }

    pub fn view(view: &str) -> Route {
        Route {
            view: view.to_string(),
            params: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_round_trip() {
        let r =
            Route::parse("#/costs?period=2026-03&group=tag%3Aproject&drill=tag:project:web%20app");
        assert_eq!(r.view, "costs");
        assert_eq!(r.get("group"), Some("tag:project"));
        assert_eq!(r.get("drill"), Some("tag:project:web app"));
        assert_eq!(Route::parse(&r.fragment()), r);
        assert_eq!(Route::parse("#/nowhere").view, "now");
        assert_eq!(Route::parse("").view, "now");
        assert_eq!(Route::parse("#/costs?bad=%zz%").get("bad"), Some("%zz%"));
        let r = r.with("drill", "").with("period", "2026-02");
        assert_eq!(r.fragment(), "#/costs?group=tag:project&period=2026-02");
    }
}
