//! Quote mode (the customer, the number, the dates, the discounts and the notes) and the
//! printed document: what a customer receives, drawn from the engine's document alone.

use crate::i18n::t;
use crate::render;
use crate::state::{self, Lang, Setup, Shared};
use leptos::prelude::*;

use super::*;

#[component]
pub(super) fn Quote(
    setup: RwSignal<Setup>,
    outcome: Memo<Shared>,
    lang: Signal<Lang>,
) -> impl IntoView {
    let field = move |f: fn(&mut state::QuoteForm, String)| {
        move |ev: leptos::ev::Event| {
            let v = event_target_value(&ev);
            setup.update(|s| f(&mut s.quote, v))
        }
    };
    let invalid = move |f: &'static str| {
        move || {
            outcome
                .with(|o| o.error_for(None, f).is_some())
                .then_some("true")
        }
    };
    let err = move |f: &'static str| view! { <FieldError outcome field=f /> };
    let body = NodeRef::<leptos::html::Input>::new();
    view! {
        <section class="quote">
            <label class="controls">
                <input type="checkbox" data-testid="quote-mode" prop:checked=move || setup.with(|s| s.quote.enabled) on:change=move |ev| setup.update(|s| s.quote.enabled = event_target_checked(&ev)) />
                {label(lang, "quote")}
            </label>
            <div hidden=move || !setup.with(|s| s.quote.enabled)>
                <div class="row">
                    <label>{label(lang, "customer_name")}
                        <input data-testid="customer-name" prop:value=move || setup.with(|s| s.customer.name.clone()) on:input=move |ev| setup.update(|s| s.customer.name = event_target_value(&ev)) />
                    </label>
                    <label>{label(lang, "quote_number")}
                        <input data-testid="quote-number" placeholder="Q-2026-0001" prop:value=move || setup.with(|s| s.quote.number.clone()) on:input=field(|q, v| q.number = v)
                            aria-invalid=invalid("quote.number") aria-describedby="quote.number-error" />
                        {err("quote.number")}
                    </label>
                    <label>{label(lang, "issue_date")}
                        <input type="date" data-testid="quote-date" prop:value=move || setup.with(|s| s.quote.issue_date.clone()) on:input=field(|q, v| q.issue_date = v)
                            aria-invalid=invalid("quote.issue_date") aria-describedby="quote.issue_date-error" />
                        {err("quote.issue_date")}
                    </label>
                    <label>{label(lang, "valid_until")}
                        <input type="date" data-testid="quote-valid" prop:value=move || setup.with(|s| s.quote.valid_until.clone()) on:input=field(|q, v| q.valid_until = v)
                            aria-invalid=invalid("quote.valid_until") aria-describedby="quote.valid_until-error" />
                        {err("quote.valid_until")}
                    </label>
                    <label>{label(lang, "discount")}
                        <input class="narrow" data-testid="quote-discount" inputmode="decimal" prop:value=move || setup.with(|s| s.quote.discount.clone()) on:input=field(|q, v| q.discount = v)
                            aria-invalid=invalid("quote.discount") aria-describedby="quote.discount-error" />
                        {err("quote.discount")}
                    </label>
                    <label class="wide">{label(lang, "notes")}
                        <textarea data-testid="quote-notes" prop:value=move || setup.with(|s| s.quote.notes.clone()) on:input=field(|q, v| q.notes = v)></textarea>
                    </label>
                </div>
                {err("quote")}
                {move || outcome.with(|o| o.document.as_ref().filter(|d| d.number.is_some()).map(|d| view! {
                    <p class="quote-head" data-testid="quote-head">{format!("{} {} - {} {}", t(lang.get(), "quote_title"), d.number.clone().unwrap_or_default(), t(lang.get(), "valid_until"), d.valid_until.map(|v| v.to_string()).unwrap_or_default())}</p>
                }))}
                // The service prices the same requests again and answers the PDF; the body is
                // written when the form is sent, not on every keystroke.
                <form class="controls" method="post" target="_blank"
                    action=move || format!("/api/v1/quotes?format=pdf&lang={}&catalog={}", if lang.get() == Lang::Fr { "fr" } else { "en" }, setup.with(|s| s.catalog.clone()))
                    on:submit=move |_| if let Some(i) = body.get_untracked() { i.set_value(&outcome.with_untracked(|o| o.request.as_ref().map(|r| setup.with_untracked(|s| s.quote_body(r)))).unwrap_or_default()) }>
                    <button type="button" data-testid="print" on:click=move |_| { if let Some(w) = web_sys::window() { let _ = w.print(); } }>{label(lang, "print")}</button>
                    " "
                    <input type="hidden" name="quote" node_ref=body />
                    <button type="submit" data-testid="quote-pdf">{label(lang, "quote_pdf")}</button>
                </form>
            </div>
        </section>
    }
}

/// The document as printed: hidden on screen, the only thing on paper.
#[component]
pub(super) fn PrintDocument(outcome: Memo<Shared>, lang: Signal<Lang>) -> impl IntoView {
    view! {
        <article class="print-doc" data-testid="print-doc"
            inner_html=move || outcome.with(|o| o.document.as_ref().map(|d| render::document(d, o.estimate.as_ref(), lang.get())).unwrap_or_default())></article>
    }
}
