//! Size floor (`cargo xtask bench size-floor`): the engine alone, called from JavaScript.

#[path = "floor/engine.rs"]
mod engine;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn rate(catalog: usize, request: &str, document: &str) -> String {
    engine::rate(catalog, request, document)
}

fn main() {}
