//! The JSON Schemas under `catalog/schema/` are generated from the engine's types. This test
//! fails when one is stale; `RATECARD_BLESS=1 cargo test -p ratecard --test schema` rewrites them.

use std::path::Path;

#[test]
fn schemas_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../catalog/schema");
    let schemas = [
        ("catalog.schema.json", ratecard::catalog::json_schema()),
        ("event.schema.json", ratecard::event::json_schema()),
        (
            "estimate-request.schema.json",
            ratecard::estimate::request_schema(),
        ),
        (
            "document-request.schema.json",
            ratecard::document::request_schema(),
        ),
    ];
    let bless = std::env::var_os("RATECARD_BLESS").is_some();
    let mut stale = Vec::new();
    for (name, generated) in schemas {
        let path = dir.join(name);
        if bless {
            std::fs::write(&path, &generated).expect("write schema");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != generated {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "stale schemas {stale:?}: run RATECARD_BLESS=1 cargo test -p ratecard --test schema"
    );
}

/// The shipped catalogs are valid, and every shipped catalog validates against its rules.
#[test]
fn sample_catalogs_parse() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../catalog");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("catalog dir").flatten() {
        let p = entry.path();
        if p.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&p).expect("read");
            ratecard::Catalog::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            n += 1;
        }
    }
    assert!(n >= 2, "at least two sample catalogs are shipped");
}
