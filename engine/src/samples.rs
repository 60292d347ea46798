//! The sample data the product ships, defined once for every edge: the price lists (embedded,
//! no I/O) and the sample seller. The prices are samples, not contractual.

use crate::party::{Address, Seller};

/// The shipped price lists, by id, each with its versions' JSON in order.
pub const CATALOGS: &[(&str, &[&str])] = &[
    (
        "stratus",
        &[
            include_str!("../../catalog/stratus-2026-01.json"),
            include_str!("../../catalog/stratus-2026-03.json"),
        ],
    ),
    (
        "nimbus",
        &[include_str!("../../catalog/nimbus-2026-01.json")],
    ),
];

/// The versions of a shipped price list, by id.
pub fn catalog(id: &str) -> Option<&'static [&'static str]> {
    CATALOGS.iter().find(|(n, _)| *n == id).map(|(_, v)| *v)
}

/// The sample seller: a French company, under no OSS threshold.
pub fn seller() -> Seller {
    Seller {
        name: "Ratecard Cloud SAS".into(),
        country: "FR".into(),
        vat_number: Some("FR40303265045".into()),
        siren: Some("303265045".into()),
        address: Some(Address {
            lines: vec!["12 rue de la Paix".into()],
            postcode: Some("75002".into()),
            city: Some("Paris".into()),
        }),
        oss_below_threshold: false,
        vat_on_debits: false,
    }
}

/// The demo's allocation rules (`catalog/allocation/demo.json`): the shared resources in
/// proportion to direct cost, a licence evenly, a support contract by weights.
pub const ALLOCATION_RULES: &str = include_str!("../../catalog/allocation/demo.json");

/// The default account map of the accounting export (`ratecard::accounting`).
pub const ACCOUNT_MAP: &str = include_str!("../../catalog/accounting/default.json");
