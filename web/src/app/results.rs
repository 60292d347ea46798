//! What the setup costs: the summary (always in view), the taxes and the breakdown per service.
//! Every amount is the document's, in the chosen currency.

use crate::i18n::t;
use crate::render;
use crate::state::{self, Lang, Setup, Shared};
use leptos::prelude::*;

use super::*;

#[component]
pub(super) fn Summary(
    setup: RwSignal<Setup>,
    outcome: Memo<Shared>,
    lang: Signal<Lang>,
) -> impl IntoView {
    view! {
        <aside class="summary totals" aria-live="polite" aria-labelledby="summary-title"
            inner_html=move || outcome.with(|o| render::summary(o, lang.get(), setup.with(|s| s.quote.enabled)))></aside>
    }
}

#[component]
pub(super) fn Taxes(
    setup: RwSignal<Setup>,
    outcome: Memo<Shared>,
    lang: Signal<Lang>,
) -> impl IntoView {
    view! {
        <section class="taxes controls-keep">
            <h2>{label(lang, "taxes")}</h2>
            <div class="row">
                <label>{label(lang, "country")}
                    <select data-testid="country" prop:value=move || setup.with(|s| s.customer.country.clone()) on:change=move |ev| setup.update(|s| s.customer.country = event_target_value(&ev))
                        aria-invalid=move || outcome.with(|o| o.error_for(None, "customer.country").is_some()).then_some("true") aria-describedby="customer.country-error">
                        {state::COUNTRIES.iter().map(|c| view! { <option value=*c>{*c}</option> }).collect_view()}
                    </select>
                    <FieldError outcome field="customer.country" />
                </label>
                <label>
                    <input type="checkbox" data-testid="business" prop:checked=move || setup.with(|s| s.customer.business) on:change=move |ev| setup.update(|s| s.customer.business = event_target_checked(&ev)) />
                    {label(lang, "business")}
                </label>
                <label>{label(lang, "vat_number")}
                    <input data-testid="vat-number" prop:value=move || setup.with(|s| s.customer.vat_number.clone()) on:input=move |ev| setup.update(|s| s.customer.vat_number = event_target_value(&ev))
                        aria-invalid=move || outcome.with(|o| o.error_for(None, "customer.vat_number").is_some()).then_some("true") aria-describedby="customer.vat_number-error" />
                    <FieldError outcome field="customer.vat_number" />
                </label>
                <label>{label(lang, "currency")}
                    <select data-testid="currency" prop:value=move || setup.with(|s| s.currency.clone()) on:change=move |ev| setup.update(|s| s.currency = event_target_value(&ev))>
                        {state::CURRENCIES.iter().map(|c| view! { <option value=*c>{*c}</option> }).collect_view()}
                    </select>
                    <FieldError outcome field="currency" />
                </label>
                {move || outcome.with(|o| o.document.as_ref().and_then(|d| d.fx.clone())).map(|fx| view! {
                    <span data-testid="fx-rate">{format!("1 EUR = {} {} ({} {}, {})", crate::i18n::number(fx.rate, lang.get()), fx.to, t(lang.get(), "rate_of"), fx.date, fx.source)}</span>
                })}
            </div>
        </section>
    }
}

#[component]
pub(super) fn Breakdown(outcome: Memo<Shared>, lang: Signal<Lang>) -> impl IntoView {
    view! {
        <section class="breakdown" inner_html=move || outcome.with(|o| render::breakdown(o, lang.get()))></section>
    }
}
