//! Keeping and sharing: the share link, saved estimates, export and import (a JSON file or a
//! CSV of lines, picked from disk or pasted).

use crate::i18n::t;
use crate::keep;
use crate::render;
use crate::state::{Lang, Setup, Shared};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::*;

/// A message of the engine or of the browser, in the page's language.
fn said(l: Lang, e: String) -> String {
    match l {
        Lang::Fr => crate::state::in_french(&e),
        Lang::En => e,
    }
}

#[component]
pub(super) fn Keep(
    setup: RwSignal<Setup>,
    outcome: Memo<Shared>,
    lang: Signal<Lang>,
    shared: RwSignal<String>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let saved = RwSignal::new(keep::saved());
    // The setup as last saved or opened: Open asks before replacing work that differs.
    let kept = StoredValue::new(setup.get_untracked());
    let import = RwSignal::new(String::new());
    let import_error = RwSignal::new(None::<String>);
    // What Save or Remove did, and whether it failed (said as an error).
    let notice = RwSignal::new(None::<String>);
    let failed = RwSignal::new(false);
    let tell = move |text: String, bad: bool| {
        failed.set(bad);
        notice.set(Some(text));
    };
    let export_json = move |_| {
        let text = setup.with(|s| outcome.with(|o| keep::export_json(s, o)));
        keep::download("estimate.json", "application/json", &text);
    };
    let export_csv = move |_| {
        if let Some(d) = outcome.with(|o| o.document.clone()) {
            keep::download(
                "estimate.csv",
                "text/csv",
                &ratecard::export::csv(&d).unwrap_or_default(),
            );
        }
    };
    let save = move |_| {
        let n = name.get();
        let n = n.trim();
        let l = lang.get_untracked();
        if n.is_empty() {
            tell(t(l, "name_needed").into(), true);
            return;
        }
        if saved.with(|s| s.contains_key(n))
            && !confirm(&format!("{} `{n}`?", t(l, "confirm_overwrite")))
        {
            return;
        }
        match keep::save(n, &setup.get()) {
            Ok(()) => {
                kept.set_value(setup.get());
                tell(format!("{} `{n}`", t(l, "saved_as")), false);
            }
            // Not kept: Open and Import still ask before replacing this work.
            Err(e) => tell(format!("{}: {}", t(l, "not_saved"), said(l, e)), true),
        }
        saved.set(keep::saved());
    };
    let load = move |s: Setup| {
        let unsaved = setup.with(|now| kept.with_value(|k| now != k));
        if unsaved && !confirm(t(lang.get_untracked(), "confirm_open")) {
            return false;
        }
        let s = s.with_ids();
        kept.set_value(s.clone());
        setup.set(s);
        true
    };
    // The saved list is text (see `render::saved`); its buttons say what they do by attribute.
    let saved_click = move |ev: leptos::ev::MouseEvent| {
        let Some(el) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        if let Some(n) = el.get_attribute("data-open") {
            if let Some(s) = saved.with(|m| m.get(&n).cloned()) {
                load(s);
            }
        } else if let Some(n) = el.get_attribute("data-forget") {
            let ask = format!("{} `{n}`?", t(lang.get_untracked(), "confirm_forget"));
            if confirm(&ask) {
                if let Err(e) = keep::forget(&n) {
                    let l = lang.get_untracked();
                    tell(format!("{}: {}", t(l, "not_saved"), said(l, e)), true);
                }
                saved.set(keep::saved());
            }
        }
    };
    let read = move |text: String| match keep::import_any(&text, &setup.get_untracked()) {
        Ok(s) => {
            if load(s) {
                import_error.set(None);
                import.set(String::new());
            }
        }
        Err(e) => import_error.set(Some(said(lang.get_untracked(), e))),
    };
    let pick = move |ev: leptos::ev::Event| {
        let file = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|i| i.files())
            .and_then(|f| f.get(0));
        let reader = web_sys::FileReader::new().ok();
        if let (Some(file), Some(reader)) = (file, reader) {
            let done = reader.clone();
            let onload = wasm_bindgen::closure::Closure::once_into_js(move || {
                match done.result().ok().and_then(|v| v.as_string()) {
                    Some(text) => read(text),
                    None => {
                        import_error.set(Some(t(lang.get_untracked(), "file_unreadable").into()))
                    }
                }
            });
            reader.set_onload(Some(onload.unchecked_ref()));
            if reader.read_as_text(&file).is_err() {
                import_error.set(Some(t(lang.get_untracked(), "file_unreadable").into()));
            }
        }
    };
    view! {
        <section class="keep controls">
            <h2>{label(lang, "keep")}</h2>
            <label>{label(lang, "share")}
                <input readonly data-testid="share-link" prop:value=move || shared.get() />
            </label>
            <div class="row">
                <label>{label(lang, "name")}
                    <input data-testid="save-name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                </label>
                <button data-testid="save" on:click=save>{label(lang, "save")}</button>
                <button data-testid="export-json" on:click=export_json>{label(lang, "export_json")}</button>
                <button data-testid="export-csv" on:click=export_csv>{label(lang, "export_csv")}</button>
            </div>
            <div inner_html=move || notice.get().map(|n| render::notice(&n, failed.get_untracked())).unwrap_or_default()></div>
            <h3>{label(lang, "saved")}</h3>
            <ul data-testid="saved" on:click=saved_click
                inner_html=move || saved.with(|m| render::saved(m.keys(), lang.get()))></ul>
            <h3>{label(lang, "import")}</h3>
            <p class="hint">{label(lang, "import_hint")}</p>
            <label>{label(lang, "import_file")}
                <input type="file" accept=".json,.csv,application/json,text/csv" data-testid="import-file" on:change=pick />
            </label>
            <label>{label(lang, "import_text")}
                <textarea data-testid="import-text" prop:value=move || import.get() on:input=move |ev| import.set(event_target_value(&ev))></textarea>
            </label>
            <button data-testid="import" on:click=move |_| read(import.get())>{label(lang, "import")}</button>
            {move || import_error.get().map(|e| view! { <p class="error" role="alert" data-testid="import-error">{e}</p> })}
        </section>
    }
}
