//! What the setup costs: the totals, the taxes and the breakdown per service.

use crate::i18n::{money, t};
use crate::state::{self, Lang, Outcome, Setup};
use leptos::prelude::*;
use rust_decimal::Decimal;

use super::*;

#[component]
pub(super) fn Totals(
    setup: RwSignal<Setup>,
    outcome: Memo<Outcome>,
    lang: Signal<Lang>,
) -> impl IntoView {
    let doc = move || outcome.with(|o| o.document.clone());
    let cur = move || setup.with(|s| s.currency.clone());
    view! {
        <section class="totals" aria-live="polite">
            {move || doc().map(|d| {
                let l = lang.get();
                let c = cur();
                view! {
                    <table>
                        <tr><th>{t(l, "total_net")}</th><td data-testid="total-net">{money(d.totals.net, &c, l)}</td></tr>
                        {d.vat.iter().map(|v| view! {
                            <tr><th>{format!("{} {} %", t(l, "vat"), v.rate)}</th><td data-testid="total-vat">{money(v.tax, &c, l)}</td></tr>
                        }).collect_view()}
                        <tr class="grand"><th>{t(l, "total_gross")}</th><td data-testid="total-gross">{money(d.totals.gross, &c, l)}</td></tr>
                    </table>
                    {d.mentions.iter().map(|m| view! { <p class="mention" data-testid="vat-mention">{m.clone()}</p> }).collect_view()}
                    {d.warnings.iter().map(|w| view! { <p class="warning" data-testid="warning">{w.clone()}</p> }).collect_view()}
                }
            })}
        </section>
    }
}

#[component]
pub(super) fn Taxes(
    setup: RwSignal<Setup>,
    outcome: Memo<Outcome>,
    lang: Signal<Lang>,
) -> impl IntoView {
    view! {
        <section class="taxes controls-keep">
            <h2>{label(lang, "taxes")}</h2>
            <div class="row">
                <label>{label(lang, "country")}
                    <select data-testid="country" prop:value=move || setup.with(|s| s.customer.country.clone()) on:change=move |ev| setup.update(|s| s.customer.country = event_target_value(&ev))>
                        {state::COUNTRIES.iter().map(|c| view! { <option value=*c>{*c}</option> }).collect_view()}
                    </select>
                </label>
                <label>
                    <input type="checkbox" data-testid="business" prop:checked=move || setup.with(|s| s.customer.business) on:change=move |ev| setup.update(|s| s.customer.business = event_target_checked(&ev)) />
                    {label(lang, "business")}
                </label>
                <label>{label(lang, "vat_number")}
                    <input data-testid="vat-number" prop:value=move || setup.with(|s| s.customer.vat_number.clone()) on:input=move |ev| setup.update(|s| s.customer.vat_number = event_target_value(&ev)) />
                    <FieldError outcome item=None field="customer.vat_number" />
                </label>
                <label>{label(lang, "currency")}
                    <select data-testid="currency" prop:value=move || setup.with(|s| s.currency.clone()) on:change=move |ev| setup.update(|s| s.currency = event_target_value(&ev))>
                        {state::CURRENCIES.iter().map(|c| view! { <option value=*c>{*c}</option> }).collect_view()}
                    </select>
                    <FieldError outcome item=None field="currency" />
                </label>
                {move || outcome.with(|o| o.document.as_ref().and_then(|d| d.fx.clone())).map(|fx| view! {
                    <span data-testid="fx-rate">{format!("1 EUR = {} {} ({} {}, {})", fx.rate, fx.to, t(lang.get(), "rate_of"), fx.date, fx.source)}</span>
                })}
            </div>
        </section>
    }
}

#[component]
pub(super) fn Breakdown(
    setup: RwSignal<Setup>,
    outcome: Memo<Outcome>,
    lang: Signal<Lang>,
) -> impl IntoView {
    let _ = setup;
    view! {
        <section class="breakdown">
            <h2>{label(lang, "breakdown")}</h2>
            {move || outcome.with(|o| o.estimate.as_ref().map(state::breakdown)).map(|b| {
                let l = lang.get();
                let max = b.values().copied().max().unwrap_or(Decimal::ONE).max(Decimal::ONE);
                let rows = b.len();
                let width = |v: Decimal| (v * Decimal::from(300) / max).round().to_string();
                view! {
                    <svg class="bars" viewBox=format!("0 0 480 {}", 24 * rows + 4) role="img" aria-label="cost per service">
                        {b.iter().enumerate().map(|(k, (s, v))| view! {
                            <text x="0" y=24 * k + 16>{s.clone()}</text>
                            <rect x="150" y=24 * k + 4 height="16" width=width(*v) class="bar" />
                        }).collect_view()}
                    </svg>
                    <table data-testid="breakdown">
                        <tr><th>{t(l, "service")}</th><th>{t(l, "amount")}</th></tr>
                        {b.into_iter().map(|(s, v)| view! { <tr><td>{s}</td><td>{money(v, "EUR", l)}</td></tr> }).collect_view()}
                    </table>
                }
            })}
        </section>
    }
}
