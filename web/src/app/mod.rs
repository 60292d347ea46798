//! The components: thin views over [`Setup`] and the engine's [`Outcome`].

use leptos::prelude::*;

use crate::i18n::t;
use crate::keep;
use crate::state::offers::regions;
use crate::state::{self, Lang, Outcome, Setup};

/// A label that follows the language. One closure type for every label, so the view code for
/// all of them is instantiated once (this keeps the wasm small).
fn label(
    lang: Signal<Lang>,
    key: &'static str,
) -> impl Fn() -> &'static str + Send + Sync + Copy + 'static {
    move || t(lang.get(), key)
}

fn sample_setup() -> Setup {
    let mut s = Setup::default();
    s.add("b2-15");
    s.add("classic-volume");
    s.items[1].gb = "100".into();
    s
}

mod compare;
mod compose;
mod quote;
mod results;
mod share;

use compare::{Compare, PricingView};
use compose::Compose;
use quote::Quote;
use results::{Breakdown, Taxes, Totals};
use share::Keep;

#[component]
pub fn App() -> impl IntoView {
    let (initial, link_error) = match keep::from_fragment(&keep::current_fragment()) {
        Some(Ok(s)) => (s, None),
        Some(Err(e)) => (sample_setup(), Some(e)),
        None => (sample_setup(), None),
    };
    let setup = RwSignal::new(initial);
    let link_error = RwSignal::new(link_error);
    // Everything shown is derived from the setup by the engine.
    let outcome: Memo<Outcome> = Memo::new(move |_| setup.with(Setup::compute));
    // Sync with the outside: the URL holds the whole setup.
    Effect::new(move |_| setup.with(|s| keep::set_fragment(&keep::to_fragment(s))));
    let lang = Signal::derive(move || setup.with(|s| s.lang));

    view! {
        <main class="calculator" lang=move || if lang.get() == Lang::Fr { "fr" } else { "en" }>
            <header class="controls">
                <h1>{label(lang, "title")}</h1>
                <div class="row">
                    <label>{label(lang, "catalog")}
                        <select data-testid="catalog" prop:value=move || setup.with(|s| s.catalog.clone())
                            on:change=move |ev| setup.update(|s| { s.catalog = event_target_value(&ev); s.region = regions(&s.catalog).first().map(|r| r.0.clone()).unwrap_or_default(); s.items.clear(); })>
                            {state::CATALOGS.iter().map(|(id, _)| view! { <option value=*id>{*id}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>{label(lang, "month")}
                        <input type="month" data-testid="month" prop:value=move || setup.with(|s| s.month.clone())
                            on:input=move |ev| setup.update(|s| s.month = event_target_value(&ev)) />
                    </label>
                    <label>{label(lang, "region")}
                        <select data-testid="region" prop:value=move || setup.with(|s| s.region.clone())
                            on:change=move |ev| setup.update(|s| s.region = event_target_value(&ev))>
                            {move || regions(&setup.with(|s| s.catalog.clone())).into_iter().map(|(id, name)| view! { <option value=id.clone()>{name}</option> }).collect_view()}
                        </select>
                    </label>
                    <button data-testid="lang" on:click=move |_| setup.update(|s| s.lang = if s.lang == Lang::Fr { Lang::En } else { Lang::Fr })>
                        {move || if lang.get() == Lang::Fr { "English" } else { "Français" }}
                    </button>
                </div>
                <Show when=move || link_error.get().is_some()>
                    <p class="error" role="alert" data-testid="link-error">{move || link_error.get().unwrap_or_default()}</p>
                </Show>
                {move || outcome.with(|o| o.error_for(None, "setup").or_else(|| o.error_for(None, "month")).map(|e| view! { <p class="error" role="alert">{e}</p> }))}
            </header>
            <Compose setup outcome lang />
            <Totals setup outcome lang />
            <Compare setup outcome lang />
            <Taxes setup outcome lang />
            <Breakdown setup outcome lang />
            <PricingView setup outcome lang />
            <Quote setup outcome lang />
            <Keep setup outcome lang />
        </main>
    }
}

#[component]
fn FieldError(outcome: Memo<Outcome>, item: Option<usize>, field: &'static str) -> impl IntoView {
    move || {
        outcome.with(|o| o.error_for(item, field)).map(|e| {
            let id = match item {
                Some(i) => format!("item-{i}-{field}-error"),
                None => format!("{field}-error"),
            };
            view! { <span class="error" role="alert" data-testid=id>{e}</span> }
        })
    }
}
