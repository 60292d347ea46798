//! Keeping and sharing: the share link, saved estimates, export and import.

use crate::keep;
use crate::state::{Lang, Outcome, Setup};
use leptos::prelude::*;

use super::*;

#[component]
pub(super) fn Keep(
    setup: RwSignal<Setup>,
    outcome: Memo<Outcome>,
    lang: Signal<Lang>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let saved = RwSignal::new(keep::saved());
    let import = RwSignal::new(String::new());
    let import_error = RwSignal::new(None::<String>);
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
    view! {
        <section class="keep controls">
            <h2>{label(lang, "keep")}</h2>
            <label>{label(lang, "share")}
                <input readonly data-testid="share-link" prop:value=move || setup.with(keep::share_url) />
            </label>
            <div class="row">
                <label>{label(lang, "name")}
                    <input data-testid="save-name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                </label>
                <button data-testid="save" on:click=move |_| { let n = name.get(); if !n.trim().is_empty() { keep::save(n.trim(), &setup.get()); saved.set(keep::saved()); } }>{label(lang, "save")}</button>
                <button data-testid="export-json" on:click=export_json>{label(lang, "export_json")}</button>
                <button data-testid="export-csv" on:click=export_csv>{label(lang, "export_csv")}</button>
            </div>
            <h3>{label(lang, "saved")}</h3>
            <ul data-testid="saved">
                {move || saved.get().into_iter().map(|(n, s)| {
                    let n2 = n.clone();
                    view! { <li>{n.clone()}" "
                        <button on:click=move |_| setup.set(s.clone())>{label(lang, "load")}</button>
                        <button on:click=move |_| { keep::forget(&n2); saved.set(keep::saved()); }>{label(lang, "remove")}</button>
                    </li> }
                }).collect_view()}
            </ul>
            <label>{label(lang, "import_json")}
                <textarea data-testid="import-text" prop:value=move || import.get() on:input=move |ev| import.set(event_target_value(&ev))></textarea>
            </label>
            <button data-testid="import" on:click=move |_| {
                let text = import.get();
                match keep::import_json(&text) {
                    Ok(s) => { setup.set(s); import_error.set(None); }
                    Err(e) => import_error.set(Some(e)),
                }
            }>{label(lang, "import_json")}</button>
            {move || import_error.get().map(|e| view! { <span class="error" role="alert" data-testid="import-error">{e}</span> })}
        </section>
    }
}
