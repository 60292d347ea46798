//! Keeping and sharing: the share link (the whole setup in the URL's fragment), named estimates
//! in localStorage, and files to download (JSON, CSV).

use std::collections::BTreeMap;

use ratecard::{Estimate, EstimateRequest};
use serde::Serialize;
use wasm_bindgen::JsCast;

use crate::state::{Outcome, Setup};

const SAVED_KEY: &str = "ratecard.saved";

/// The setup as a URL fragment: `#s=` and the JSON, percent-encoded.
pub fn to_fragment(setup: &Setup) -> String {
    let json = serde_json::to_string(setup).unwrap_or_default();
    format!("#s={}", String::from(js_sys::encode_uri_component(&json)))
}

/// The setup in a URL fragment, if there is one. A fragment that does not read gives an error,
/// shown to the user; the default setup is used meanwhile.
pub fn from_fragment(fragment: &str) -> Option<Result<Setup, String>> {
    let encoded = fragment.strip_prefix("#s=")?;
    let json = match js_sys::decode_uri_component(encoded) {
        Ok(j) => String::from(j),
        Err(_) => return Some(Err("(the link's text is cut or altered)".into())),
    };
    Some(crate::state::import::from_json(&json).map_err(|e| format!("({e})")))
}

/// What "Export JSON" writes: the setup (to import again), and the engine's request and result.
/// `ratecard estimate` reads the same file and prints the same result.
#[derive(Serialize)]
struct Export<'a> {
    setup: &'a Setup,
    catalog: &'a str,
    request: &'a Option<EstimateRequest>,
    estimate: &'a Option<Estimate>,
}

pub fn export_json(setup: &Setup, outcome: &Outcome) -> String {
    // The engine's canonical writer (sorted keys, one line): the same code the documents'
    // digests use, so the calculator carries one JSON writer rather than two.
    ratecard::canonical::to_string(&Export {
        setup,
        catalog: &setup.catalog,
        request: &outcome.request,
        estimate: &outcome.estimate,
    })
    .unwrap_or_default()
}

/// Reads an exported or saved JSON file, or a CSV of lines (see [`crate::state::import`]).
/// A CSV replaces the lines of `current` only.
pub fn import_any(text: &str, current: &Setup) -> Result<Setup, String> {
    if text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('{')
    {
        crate::state::import::from_json(text)
    } else {
        crate::state::import::from_csv(text, current)
    }
}

fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

pub fn current_fragment() -> String {
    window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// Replaces the URL's fragment without adding a history entry.
pub fn set_fragment(fragment: &str) {
    if let Some(h) = window().and_then(|w| w.history().ok()) {
        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(fragment));
    }
}

pub fn share_url(setup: &Setup) -> String {
    let base = window()
        .and_then(|w| w.location().href().ok())
        .map(|h| h.split('#').next().unwrap_or("").to_string())
        .unwrap_or_default();
    format!("{base}{}", to_fragment(setup))
}

fn storage() -> Option<web_sys::Storage> {
    window().and_then(|w| w.local_storage().ok().flatten())
}

/// The saved estimates, by name. A stored list this version cannot read (saved by another
/// version, say) reads as none here, and is kept aside by the next save, never overwritten.
pub fn saved() -> BTreeMap<String, Setup> {
    storage()
        .and_then(|s| s.get_item(SAVED_KEY).ok().flatten())
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// Writes the saved estimates back; an error when the browser keeps nothing (storage blocked,
/// or full).
fn write(all: &BTreeMap<String, Setup>) -> Result<(), String> {
    let s = storage().ok_or("this browser keeps no local storage here")?;
    let text = serde_json::to_string(all).map_err(|e| e.to_string())?;
    if let Ok(Some(old)) = s.get_item(SAVED_KEY)
        && serde_json::from_str::<BTreeMap<String, Setup>>(&old).is_err()
    {
        s.set_item(&format!("{SAVED_KEY}.unreadable"), &old)
            .map_err(|_| "the browser refused to store it (its storage may be full)")?;
    }
    s.set_item(SAVED_KEY, &text)
        .map_err(|_| "the browser refused to store it (its storage may be full)".to_string())
}

pub fn save(name: &str, setup: &Setup) -> Result<(), String> {
    let mut all = saved();
    all.insert(name.to_string(), setup.clone());
    write(&all)
}

pub fn forget(name: &str) -> Result<(), String> {
    let mut all = saved();
    all.remove(name);
    write(&all)
}

/// Offers `text` as a file download.
pub fn download(name: &str, mime: &str, text: &str) {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let props = web_sys::BlobPropertyBag::new();
    props.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &props) else {
        return;
    };
    save_blob(name, &blob);
}

/// Saves a file's bytes under `name`, as the browser saves a download.
pub fn save_blob(name: &str, blob: &web_sys::Blob) {
    let Ok(url) = web_sys::Url::create_object_url_with_blob(blob) else {
        return;
    };
    let anchor = window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok());
    if let Some(a) = anchor {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}
