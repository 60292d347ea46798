//! Where a customer is, for VAT: its country, unless the country and postcode name a territory
//! with a rule of its own. DOMAIN.md, "VAT territories".
//!
//! - Monaco is in the French VAT territory (Directive 2006/112/EC, article 7(1)).
//! - Outside the EU VAT territory although in a member state (Directive 2006/112/EC, article 6):
//!   the Canary Islands, Ceuta, Melilla (ES), the Åland Islands (FI), Mount Athos (GR),
//!   Büsingen and Heligoland (DE), Livigno and Campione d'Italia (IT). Treated as outside the EU.
//! - The French overseas departments are outside the EU VAT territory too, but French VAT law
//!   treats services between mainland France and them as domestic: the place of supply follows
//!   articles 259 to 259 D of the CGI "to define the rate" (BOI 3 A-1-10 of 4 January 2010,
//!   §164-165; BOI-TVA-GEO-20-40 §20-40), and the seller pays the VAT, with no reverse charge.
//!   Cloud services go where the customer is (a business's establishment, article 259; a
//!   consumer's residence for electronically supplied services, article 259 D): Guadeloupe,
//!   Martinique and La Réunion at their own rates (article 296: 8.5 % standard), Guyane and
//!   Mayotte with no VAT (article 294, 1).
//!
//! A territory is named by its own code (`GP`, `AX`, `IC`...) or by its country and postcode
//! (`FR` 971xx, `ES` 35xxx, `DE` 78266...).

/// A customer's place, as VAT sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place<'a> {
    /// Taxed as this country (a member state or not).
    Country(&'a str),
    /// In a member state, outside the EU VAT territory: (name, member state).
    OutsideEu(&'static str, &'static str),
    /// A French overseas department: its code (`GP`) and name.
    FrenchOverseas(&'static str, &'static str),
}

/// Territories by their own code: (code, place).
const BY_CODE: &[(&str, Place<'static>)] = &[
    ("MC", Place::Country("FR")),
    ("GP", Place::FrenchOverseas("GP", "Guadeloupe")),
    ("MQ", Place::FrenchOverseas("MQ", "Martinique")),
    ("RE", Place::FrenchOverseas("RE", "La Réunion")),
    ("GF", Place::FrenchOverseas("GF", "Guyane")),
    ("YT", Place::FrenchOverseas("YT", "Mayotte")),
    ("AX", Place::OutsideEu("the Åland Islands", "FI")),
    ("IC", Place::OutsideEu("the Canary Islands", "ES")),
    ("EA", Place::OutsideEu("Ceuta and Melilla", "ES")),
];

/// Territories by country and postcode prefix: (country, prefix, place).
/// Longer prefixes first: Saint-Barthélemy and Saint-Martin (97133, 97150) share Guadeloupe's
/// 971, and with the French collectivities of the Pacific and Saint-Pierre-et-Miquelon they are
/// outside both the EU VAT territory and French VAT.
const BY_POSTCODE: &[(&str, &str, Place<'static>)] = &[
    ("FR", "97133", Place::OutsideEu("Saint-Barthélemy", "FR")),
    ("FR", "97150", Place::OutsideEu("Saint-Martin", "FR")),
    (
        "FR",
        "975",
        Place::OutsideEu("Saint-Pierre-et-Miquelon", "FR"),
    ),
    ("FR", "986", Place::OutsideEu("Wallis-et-Futuna", "FR")),
    ("FR", "987", Place::OutsideEu("French Polynesia", "FR")),
    ("FR", "988", Place::OutsideEu("New Caledonia", "FR")),
    ("FR", "971", Place::FrenchOverseas("GP", "Guadeloupe")),
    ("FR", "972", Place::FrenchOverseas("MQ", "Martinique")),
    ("FR", "973", Place::FrenchOverseas("GF", "Guyane")),
    ("FR", "974", Place::FrenchOverseas("RE", "La Réunion")),
    ("FR", "976", Place::FrenchOverseas("YT", "Mayotte")),
    ("ES", "35", Place::OutsideEu("the Canary Islands", "ES")),
    ("ES", "38", Place::OutsideEu("the Canary Islands", "ES")),
    ("ES", "51", Place::OutsideEu("Ceuta", "ES")),
    ("ES", "52", Place::OutsideEu("Melilla", "ES")),
    ("FI", "22", Place::OutsideEu("the Åland Islands", "FI")),
    ("GR", "63086", Place::OutsideEu("Mount Athos", "GR")),
    ("GR", "63087", Place::OutsideEu("Mount Athos", "GR")),
    ("DE", "78266", Place::OutsideEu("Büsingen", "DE")),
    ("DE", "27498", Place::OutsideEu("Heligoland", "DE")),
    ("IT", "23041", Place::OutsideEu("Livigno", "IT")),
    ("IT", "22061", Place::OutsideEu("Campione d'Italia", "IT")),
];

/// The place of a customer in `country` at `postcode` (spaces and a leading `AX-` ignored).
pub fn place<'a>(country: &'a str, postcode: Option<&str>) -> Place<'a> {
    if let Some((_, p)) = BY_CODE.iter().find(|(c, _)| *c == country) {
        return *p;
    }
    let digits: String = postcode
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    BY_POSTCODE
        .iter()
        .find(|(c, prefix, _)| *c == country && !digits.is_empty() && digits.starts_with(prefix))
        .map_or(Place::Country(country), |(_, _, p)| *p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn territories_by_code_and_by_postcode() {
        assert_eq!(place("MC", None), Place::Country("FR"));
        assert_eq!(place("FR", Some("75002")), Place::Country("FR"));
        assert_eq!(place("FR", None), Place::Country("FR"));
        assert_eq!(
            place("FR", Some("97110")),
            Place::FrenchOverseas("GP", "Guadeloupe")
        );
        assert_eq!(place("YT", None), Place::FrenchOverseas("YT", "Mayotte"));
        assert_eq!(
            place("ES", Some("35 001")),
            Place::OutsideEu("the Canary Islands", "ES")
        );
        assert_eq!(place("ES", Some("28001")), Place::Country("ES"));
        assert_eq!(
            place("FI", Some("AX-22100")),
            Place::OutsideEu("the Åland Islands", "FI")
        );
        assert_eq!(
            place("DE", Some("78266")),
            Place::OutsideEu("Büsingen", "DE")
        );
        assert_eq!(place("DE", Some("78267")), Place::Country("DE"));
        assert_eq!(
            place("FR", Some("97133")),
            Place::OutsideEu("Saint-Barthélemy", "FR")
        );
        assert_eq!(
            place("FR", Some("98800")),
            Place::OutsideEu("New Caledonia", "FR")
        );
    }
}
