//! The plans compared (with the chart of cost against uptime) and the pricing view. The tables
//! and the chart are written by [`crate::render`]; amounts are the document's currency.

use crate::render;
use crate::state::{Lang, Setup, Shared};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::*;

#[component]
pub(super) fn Compare(
    setup: RwSignal<Setup>,
    outcome: Memo<Shared>,
    lang: Signal<Lang>,
) -> impl IntoView {
    let selected = RwSignal::new(None::<u32>);
    let shown = Memo::new(move |_| {
        outcome.with(|o| {
            o.plans
                .iter()
                .find(|x| Some(x.id) == selected.get())
                .or(o.plans.first())
                .map(|x| (x.id, x.sku.clone(), x.break_even_hours))
        })
    });
    // The chart's input is that one line (with the month and region): editing another line
    // does not recompute the chart.
    let input = Memo::new(move |_| {
        shown
            .with(|s| s.as_ref().map(|s| s.0))
            .and_then(|id| setup.with(|s| s.curve_input(id)))
    });
    // The chart is 13 estimates of that line: computed once typing pauses, off the keystroke's
    // path (the totals come first; the chart follows a moment later).
    let curve = RwSignal::new(Vec::new());
    after_pause(
        move || input.track(),
        150,
        move || {
            let points = input.with_untracked(|i| {
                i.as_ref().map(|s| {
                    let hours = ratecard::Period::parse(&s.month)
                        .map(|p| p.hours())
                        .unwrap_or(744);
                    let points: Vec<i64> = (0..=12).map(|k| hours * k / 12).collect();
                    s.plan_curve(&points)
                })
            });
            curve.set(points.unwrap_or_default());
        },
    );
    // A click on a line's name (a button carrying `data-line`) shows its chart.
    let pick = move |ev: leptos::ev::MouseEvent| {
        let line = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.get_attribute("data-line"))
            .and_then(|v| v.parse().ok());
        if line.is_some() {
            selected.set(line);
        }
    };
    view! {
        <section class="compare" hidden=move || outcome.with(|o| o.plans.is_empty())>
            <h2>{label(lang, "compare")}</h2>
            <div on:click=pick inner_html=move || outcome.with(|o| render::plans(o, lang.get()))></div>
            <div inner_html=move || {
                let Some((_, sku, be)) = shown.get() else { return String::new() };
                outcome.with(|o| {
                    let pts: Vec<_> = curve.with(|c| {
                        c.iter().map(|(h, a, b)| (*h, o.shown(*a).unwrap_or_default(), b.and_then(|b| o.shown(b)))).collect()
                    });
                    render::chart(&pts, be, &sku, o.currency(), lang.get())
                })
            }></div>
        </section>
    }
}

/// Every way to pay for the setup: a few estimates, computed once typing pauses.
#[component]
pub(super) fn WaysToPay(
    setup: RwSignal<Setup>,
    outcome: Memo<Shared>,
    lang: Signal<Lang>,
) -> impl IntoView {
    let options = RwSignal::new(Vec::new());
    after_pause(
        move || setup.track(),
        300,
        move || options.set(setup.with_untracked(Setup::payment_options)),
    );
    view! {
        <section class="ways" data-testid="ways-to-pay" hidden=move || options.with(|o| o.len() < 2)>
            <h2>{label(lang, "ways_to_pay")}</h2>
            <p class="hint">{label(lang, "ways_to_pay_hint")}</p>
            <div inner_html=move || options.with(|x| outcome.with(|o| render::payment_options(x, o, lang.get())))></div>
        </section>
    }
}

#[component]
pub(super) fn PricingView(
    setup: RwSignal<Setup>,
    outcome: Memo<Shared>,
    lang: Signal<Lang>,
    regions: Memo<Vec<(String, String)>>,
) -> impl IntoView {
    let name = move |id: String| {
        regions.with(|r| {
            r.iter()
                .find(|x| x.0 == id)
                .map_or(id.clone(), |x| x.1.clone())
        })
    };
    view! {
        <section class="pricing-view controls">
            <h2>{label(lang, "pricing_view")}</h2>
            <p class="hint">{label(lang, "pricing_view_hint")}</p>
            <label>{label(lang, "compare_region")}
                <select data-testid="compare-region" prop:value=move || { regions.track(); setup.with(|s| s.compare_region.clone()) } on:change=move |ev| setup.update(|s| s.compare_region = event_target_value(&ev))>
                    <option value="">{label(lang, "none")}</option>
                    {move || regions.get().into_iter().filter(|(id, _)| setup.with(|s| &s.region != id)).map(|(id, name)| view! { <option value=id.clone()>{name}</option> }).collect_view()}
                </select>
            </label>
            <div inner_html=move || {
                let here = name(setup.with(|s| s.region.clone()));
                let there = name(setup.with(|s| s.compare_region.clone()));
                outcome.with(|o| render::pricing(o, lang.get(), &here, &there))
            }></div>
        </section>
    }
}
