//! The parties of a document: the seller (established in France by default) and the customer.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Seller {
    pub name: String,
    /// ISO 3166 code; France by default.
    #[serde(default = "france")]
    pub country: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_number: Option<String>,
    /// French company number (9 digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub siren: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// Under the 10,000 EUR yearly threshold of cross-border B2C sales: EU consumers pay the
    /// seller's own VAT instead of theirs.
    #[serde(default)]
    pub oss_below_threshold: bool,
    /// The seller opted to pay VAT on debits (when invoiced) rather than on receipt: French
    /// invoices must then say so.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub vat_on_debits: bool,
}

fn france() -> String {
    "FR".into()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomerKind {
    Business,
    #[default]
    Consumer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    pub name: String,
    /// ISO 3166 code (GR for Greece).
    pub country: String,
    #[serde(default)]
    pub kind: CustomerKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_number: Option<String>,
    /// French company number (9 digits) of a business customer: a mention French invoices
    /// carry since the e-invoicing reform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub siren: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

/// The most lines of an address: the block is drawn as it is, not paginated.
pub const MAX_ADDRESS_LINES: usize = 6;
/// The longest name, address line, postcode or city, in characters.
pub const MAX_TEXT_CHARS: usize = 200;

/// ISO 3166-1 alpha-2 codes: the assigned ones, and the reserved ones EU VAT uses (IC the
/// Canary Islands, EA Ceuta and Melilla, XI Northern Ireland) with XK (Kosovo).
const ISO_COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI \
BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ \
DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ \
GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN \
KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS \
MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT \
PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF \
TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM \
ZW IC EA XI XK";

/// Why `code` is not a country code the VAT rules can place, or `None` when it is one. A code in
/// the wrong case or a VAT prefix would otherwise read as a country outside the EU, taxed at 0 %.
pub fn country_problem(code: &str) -> Option<String> {
    let known = |c: &str| ISO_COUNTRIES.split(' ').any(|k| k == c);
    if known(code) {
        return None;
    }
    let hint = match code {
        "EL" => " (EL is Greece's VAT prefix; its country code is GR)",
        "UK" => " (the United Kingdom's code is GB)",
        _ if known(&code.to_ascii_uppercase()) => " (write it in capitals)",
        _ => "",
    };
    Some(format!("`{code}` is not an ISO 3166 country code{hint}"))
}

/// Why an address cannot go on a document, or `None`.
fn address_problem(a: &Address) -> Option<String> {
    if a.lines.len() > MAX_ADDRESS_LINES {
        return Some(format!(
            "at most {MAX_ADDRESS_LINES} address lines (got {})",
            a.lines.len()
        ));
    }
    let texts = a.lines.iter().chain(&a.postcode).chain(&a.city);
    texts.filter_map(|t| text_problem(t)).next()
}

fn text_problem(t: &str) -> Option<String> {
    let n = t.chars().count();
    (n > MAX_TEXT_CHARS).then(|| format!("is {n} characters long, more than {MAX_TEXT_CHARS}"))
}

/// What is wrong with a party's name, country and address, each with its field.
fn problems_of(
    name: &str,
    country: &str,
    address: Option<&Address>,
) -> Vec<(&'static str, String)> {
    let found = [
        ("name", text_problem(name)),
        ("country", country_problem(country)),
        ("address", address.and_then(address_problem)),
    ];
    found
        .into_iter()
        .filter_map(|(f, m)| Some((f, m?)))
        .collect()
}

impl Customer {
    /// What is wrong with the customer's fields, each with its field (`country`, `address`).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        problems_of(&self.name, &self.country, self.address.as_ref())
    }
}

impl Seller {
    /// What is wrong with the seller's fields, each with its field.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        problems_of(&self.name, &self.country, self.address.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_country_list_is_the_assigned_codes_and_the_vat_reserved_ones() {
        let codes: Vec<&str> = ISO_COUNTRIES.split(' ').collect();
        assert_eq!(codes.len(), 249 + 4);
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()))
        );
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), codes.len(), "no code twice");
    }

    #[test]
    fn a_country_code_is_an_assigned_code_in_capitals() {
        for ok in ["FR", "GR", "GB", "US", "IC", "EA", "AX", "MC", "JP"] {
            assert_eq!(country_problem(ok), None, "{ok}");
        }
        let said = |c: &str| country_problem(c).unwrap();
        assert_eq!(
            said("fr"),
            "`fr` is not an ISO 3166 country code (write it in capitals)"
        );
        assert_eq!(
            said("EL"),
            "`EL` is not an ISO 3166 country code (EL is Greece's VAT prefix; its country code is GR)"
        );
        assert_eq!(
            said("UK"),
            "`UK` is not an ISO 3166 country code (the United Kingdom's code is GB)"
        );
        assert_eq!(said("XX"), "`XX` is not an ISO 3166 country code");
        assert_eq!(said("FRA"), "`FRA` is not an ISO 3166 country code");
        assert_eq!(said(""), "`` is not an ISO 3166 country code");
    }

    #[test]
    fn an_address_is_bounded() {
        let mut c = Customer {
            name: "Acme".into(),
            country: "FR".into(),
            kind: CustomerKind::Business,
            vat_number: None,
            siren: None,
            address: Some(Address {
                lines: vec!["1 rue de la Paix".into(); MAX_ADDRESS_LINES],
                postcode: Some("75002".into()),
                city: Some("Paris".into()),
            }),
        };
        assert!(c.problems().is_empty());
        if let Some(a) = c.address.as_mut() {
            a.lines.push("one more".into());
        }
        assert_eq!(
            c.problems(),
            vec![("address", "at most 6 address lines (got 7)".to_string())]
        );
        c.address = Some(Address {
            city: Some("é".repeat(MAX_TEXT_CHARS + 1)),
            ..Address::default()
        });
        c.name = "n".repeat(MAX_TEXT_CHARS + 1);
        assert_eq!(
            c.problems(),
            vec![
                ("name", "is 201 characters long, more than 200".to_string()),
                (
                    "address",
                    "is 201 characters long, more than 200".to_string()
                ),
            ]
        );
    }
}
