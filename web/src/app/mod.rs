//! The components: thin views over [`Setup`] and the engine's [`Outcome`].

use std::time::Duration;

use leptos::leptos_dom::helpers::{TimeoutHandle, set_timeout_with_handle};
use leptos::prelude::*;

use crate::i18n::t;
use crate::keep;
use crate::state::{self, Lang, Setup, Shared};

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
    let v = s.add("classic-volume");
    if let Some(it) = s.item_mut(v) {
        it.gb = "100".into();
    }
    s
}

/// Runs `work` once `watch`'s signals have stopped changing for `ms` milliseconds: work that
/// typing should not wait for (the URL, the plan chart).
pub(crate) fn after_pause(watch: impl Fn() + 'static, ms: u64, work: impl Fn() + Clone + 'static) {
    let pending = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |_| {
        watch();
        if let Some(h) = pending.get_value() {
            h.clear();
        }
        let h = set_timeout_with_handle(work.clone(), Duration::from_millis(ms));
        pending.set_value(h.ok());
    });
}

/// A signal that follows `f` (a part of the setup or of the outcome), set only when the part
/// changes. A memo would do the same work, but every edit of the setup marks a memo for a
/// check and, with it, each of its readers: a label's language or a row's line read by
/// thousands of closures woke them all on every keystroke. Here one effect per part wakes,
/// and the readers only when their part changed.
pub(crate) fn follow<T>(f: impl Fn() -> T + 'static) -> ReadSignal<T>
where
    T: PartialEq + Send + Sync + 'static,
{
    let part = RwSignal::new(untrack(&f));
    // One effect type for every part (the wasm stays small): the part's own work is boxed.
    let sync: Box<dyn Fn()> = Box::new(move || {
        let now = f();
        if part.with_untracked(|p| *p != now) {
            part.set(now);
        }
    });
    Effect::new(move |_| sync());
    part.read_only()
}

/// Asks the user to confirm (a browser dialog); true when there is no window to ask.
pub(crate) fn confirm(message: &str) -> bool {
    web_sys::window().is_none_or(|w| w.confirm_with_message(message).unwrap_or(true))
}

/// Puts the keyboard focus on the element with this test id, once the page has drawn it.
pub(crate) fn focus(testid: String) {
    leptos::leptos_dom::helpers::request_animation_frame(move || {
        use wasm_bindgen::JsCast;
        let el = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| {
                d.query_selector(&format!("[data-testid=\"{testid}\"]"))
                    .ok()
                    .flatten()
            })
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(el) = el {
            let _ = el.focus();
        }
    });
}

mod compare;
mod compose;
mod quote;
mod results;
mod share;

use compare::{Compare, PricingView, WaysToPay};
use compose::Compose;
use quote::{PrintDocument, Quote};
use results::{Breakdown, Summary, Taxes};
use share::Keep;

#[component]
pub fn App() -> impl IntoView {
    let (initial, link_error) = match keep::from_fragment(&keep::current_fragment()) {
        Some(Ok(s)) => (s.with_ids(), None),
        Some(Err(e)) => (sample_setup(), Some(e)),
        None => (sample_setup(), None),
    };
    let setup = RwSignal::new(initial);
    let link_error = RwSignal::new(link_error);
    // Everything shown is derived from the setup by the engine.
    let outcome: Memo<Shared> =
        Memo::new(move |_| Shared(std::sync::Arc::new(setup.with(Setup::compute))));
    // Sync with the outside: the URL holds the whole setup, written once typing pauses (a
    // large setup's link is tens of KB; rewriting it on every key made typing lag).
    let shared = RwSignal::new(setup.with_untracked(keep::share_url));
    after_pause(
        move || setup.track(),
        400,
        move || {
            setup.with_untracked(|s| keep::set_fragment(&keep::to_fragment(s)));
            shared.set(setup.with_untracked(keep::share_url));
        },
    );
    // Followed, not derived: every label reads the language, and a derived signal or a memo
    // would wake each of them on every keystroke (see `follow`).
    let lang: Signal<Lang> = follow(move || setup.with(|s| s.lang)).into();
    let catalog = follow(move || setup.with(|s| s.catalog.clone()));
    // A share link pasted into this tab changes only the fragment, and the page does not
    // reload: it is read then, as a new page reads it. The work on the page is replaced only
    // if the user agrees; otherwise the address is the page's own again (else the next edit
    // would overwrite the link anyway).
    let _ = window_event_listener(leptos::ev::hashchange, move |_| {
        let Some(read) = keep::from_fragment(&keep::current_fragment()) else {
            return;
        };
        match read {
            Ok(s) => {
                let s = s.with_ids();
                if setup.with_untracked(|now| *now == s) {
                    return;
                }
                if confirm(t(lang.get_untracked(), "confirm_link")) {
                    link_error.set(None);
                    setup.set(s);
                } else {
                    setup.with_untracked(|s| keep::set_fragment(&keep::to_fragment(s)));
                }
            }
            Err(e) => link_error.set(Some(e)),
        }
    });
    let catalog_change = move |ev: leptos::ev::Event| {
        let id = event_target_value(&ev);
        let lines = setup.with_untracked(|s| s.items.len());
        if lines > 0 && !confirm(t(lang.get_untracked(), "confirm_catalog")) {
            // Put the list back as it was.
            setup.update(|_| {});
            return;
        }
        setup.update(|s| {
            s.catalog = id;
            s.region = state::offers::regions(&s.catalog)
                .first()
                .map(|r| r.0.clone())
                .unwrap_or_default();
            s.compare_region.clear();
            s.items.clear();
        });
    };
    let regions = Memo::new(move |_| catalog.with(|c| state::offers::regions(c)));

    view! {
        <main class="calculator" lang=move || if lang.get() == Lang::Fr { "fr" } else { "en" }>
            <header class="controls">
                <h1>{label(lang, "title")}</h1>
                <div class="row">
                    <label>{label(lang, "catalog")}
                        <select data-testid="catalog" prop:value=move || setup.with(|s| s.catalog.clone()) on:change=catalog_change>
                            {state::CATALOGS.iter().map(|(id, _)| view! { <option value=*id>{*id}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>{label(lang, "month")}
                        <input type="month" data-testid="month" prop:value=move || setup.with(|s| s.month.clone())
                            on:input=move |ev| setup.update(|s| s.month = event_target_value(&ev)) />
                    </label>
                    <label>{label(lang, "region")}
                        <select data-testid="region" prop:value=move || { regions.track(); setup.with(|s| s.region.clone()) }
                            on:change=move |ev| setup.update(|s| s.region = event_target_value(&ev))>
                            {move || regions.get().into_iter().map(|(id, name)| view! { <option value=id.clone()>{name}</option> }).collect_view()}
                        </select>
                    </label>
                    <button data-testid="lang" lang=move || if lang.get() == Lang::Fr { "en" } else { "fr" } on:click=move |_| setup.update(|s| s.switch_lang(if s.lang == Lang::Fr { Lang::En } else { Lang::Fr }))>
                        {move || if lang.get() == Lang::Fr { "English" } else { "Français" }}
                    </button>
                </div>
                <Show when=move || link_error.get().is_some()>
                    <p class="error" role="alert" data-testid="link-error">{move || link_error.get().map(|e| format!("{} {e}", t(lang.get(), "link_damaged")))}</p>
                </Show>
                {move || outcome.with(|o| ["setup", "month", "items", "catalog"].iter().find_map(|f| o.error_for(None, f)).map(|e| view! { <p class="error" role="alert" data-testid="setup-error">{e}</p> }))}
            </header>
            <div class="layout">
                <div class="main">
                    <Compose setup outcome lang catalog regions />
                    <Compare setup outcome lang />
                    <WaysToPay setup outcome lang />
                    <Taxes setup outcome lang />
                    <Breakdown outcome lang />
                    <PricingView setup outcome lang regions />
                    <Quote setup outcome lang />
                    <Keep setup outcome lang shared />
                </div>
                <Summary setup outcome lang />
            </div>
            <PrintDocument outcome lang />
        </main>
    }
}

/// The id of a field's error message, for `aria-describedby`.
pub(crate) fn error_id(item: Option<u32>, field: &str) -> String {
    match item {
        Some(i) => format!("line-{i}-{field}-error"),
        None => format!("{field}-error"),
    }
}

/// A setup field's error message (`quote.number-error`), if it has one.
#[component]
fn FieldError(outcome: Memo<Shared>, field: &'static str) -> impl IntoView {
    move || {
        outcome.with(|o| o.error_for(None, field)).map(|e| {
            view! { <span class="error" role="alert" id=error_id(None, field) data-testid=format!("{field}-error")>{e}</span> }
        })
    }
}
