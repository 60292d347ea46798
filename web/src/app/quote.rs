//! Quote mode: the customer, the number, the dates, the discounts and the notes.

use crate::i18n::t;
use crate::state::{self, Lang, Outcome, Setup};
use leptos::prelude::*;

use super::*;

#[component]
pub(super) fn Quote(
    setup: RwSignal<Setup>,
    outcome: Memo<Outcome>,
    lang: Signal<Lang>,
) -> impl IntoView {
    let field = move |f: fn(&mut state::QuoteForm, String)| {
        move |ev: leptos::ev::Event| {
            let v = event_target_value(&ev);
            setup.update(|s| f(&mut s.quote, v))
        }
    };
    view! {
        <section class="quote">
            <label class="controls">
                <input type="checkbox" data-testid="quote-mode" prop:checked=move || setup.with(|s| s.quote.enabled) on:change=move |ev| setup.update(|s| s.quote.enabled = event_target_checked(&ev)) />
                {label(lang, "quote")}
            </label>
            <Show when=move || setup.with(|s| s.quote.enabled)>
                <div class="row">
                    <label>{label(lang, "customer_name")}
                        <input data-testid="customer-name" prop:value=move || setup.with(|s| s.customer.name.clone()) on:input=move |ev| setup.update(|s| s.customer.name = event_target_value(&ev)) />
                    </label>
                    <label>{label(lang, "quote_number")}
                        <input data-testid="quote-number" placeholder="Q-2026-0001" prop:value=move || setup.with(|s| s.quote.number.clone()) on:input=field(|q, v| q.number = v) />
                    </label>
                    <label>{label(lang, "issue_date")}
                        <input type="date" data-testid="quote-date" prop:value=move || setup.with(|s| s.quote.issue_date.clone()) on:input=field(|q, v| q.issue_date = v) />
                    </label>
                    <label>{label(lang, "valid_until")}
                        <input type="date" data-testid="quote-valid" prop:value=move || setup.with(|s| s.quote.valid_until.clone()) on:input=field(|q, v| q.valid_until = v) />
                    </label>
                    <label>{label(lang, "discount")}
                        <input data-testid="quote-discount" inputmode="decimal" prop:value=move || setup.with(|s| s.quote.discount.clone()) on:input=field(|q, v| q.discount = v) />
                        <FieldError outcome item=None field="quote.discount" />
                    </label>
                    <label>{label(lang, "notes")}
                        <textarea data-testid="quote-notes" prop:value=move || setup.with(|s| s.quote.notes.clone()) on:input=field(|q, v| q.notes = v)></textarea>
                    </label>
                </div>
                <FieldError outcome item=None field="quote" />
                {move || outcome.with(|o| o.document.as_ref().filter(|d| d.number.is_some()).map(|d| view! {
                    <p class="quote-head" data-testid="quote-head">{format!("{} {} - {} {}", t(lang.get(), "quote"), d.number.clone().unwrap_or_default(), t(lang.get(), "valid_until"), d.valid_until.map(|v| v.to_string()).unwrap_or_default())}</p>
                }))}
                <button class="controls" on:click=move |_| { if let Some(w) = web_sys::window() { let _ = w.print(); } }>{label(lang, "print")}</button>
            </Show>
        </section>
    }
}
