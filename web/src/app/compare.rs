//! The plans compared (with the chart of cost against uptime) and the pricing view.

use crate::i18n::{money, t};
use crate::state::offers::regions;
use crate::state::{Lang, Outcome, Setup};
use leptos::prelude::*;
use ratecard::estimate::Cheaper;
use rust_decimal::Decimal;

use super::*;

#[component]
pub(super) fn Compare(
    setup: RwSignal<Setup>,
    outcome: Memo<Outcome>,
    lang: Signal<Lang>,
) -> impl IntoView {
    let selected = RwSignal::new(0usize);
    let rows = move || {
        outcome.with(|o| {
            o.estimate
                .as_ref()
                .map(|e| {
                    e.items
                        .iter()
                        .filter_map(|it| {
                            it.comparison.clone().map(|c| (it.index, it.sku.clone(), c))
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    // The chart: the hourly plan's cost at uptimes across the month, from the engine.
    let curve = Memo::new(move |_| {
        let first = rows().first().map(|r| r.0);
        let i = rows()
            .iter()
            .map(|r| r.0)
            .find(|i| *i == selected.get())
            .or(first);
        let Some(i) = i else { return (0, Vec::new()) };
        let hours = setup.with(|s| {
            ratecard::Period::parse(&s.month)
                .map(|p| p.hours())
                .unwrap_or(744)
        });
        let points: Vec<i64> = (0..=12).map(|k| hours * k / 12).collect();
        (i, setup.with(|s| s.plan_curve(i, &points)))
    });
    view! {
        <section class="compare">
            <h2>{label(lang, "compare")}</h2>
            <table>
                {move || rows().into_iter().map(|(i, sku, c)| {
                    let l = lang.get();
                    let cheaper = match c.cheaper { Cheaper::Hourly => t(l, "hourly"), Cheaper::Monthly => t(l, "monthly"), Cheaper::Equal => "=" };
                    let be = c.break_even_hours.map(|h| format!("{h} {}", t(l, "hours"))).unwrap_or_else(|| t(l, "no_break_even").to_string());
                    view! {
                        <tr data-testid=format!("compare-{i}") on:click=move |_| selected.set(i)>
                            <td>{sku}</td>
                            <td>{format!("{}: {}", t(l, "hourly"), money(c.hourly, "EUR", l))}</td>
                            <td>{format!("{}: {}", t(l, "monthly"), money(c.monthly, "EUR", l))}</td>
                            <td>{format!("{} {}", cheaper, t(l, "cheaper"))}</td>
                            <td data-testid=format!("break-even-{i}")>{format!("{}: {be}", t(l, "break_even"))}</td>
                        </tr>
                    }
                }).collect_view()}
            </table>
            {move || {
                let shown = curve.with(|c| c.0);
                let be = rows().iter().find(|r| r.0 == shown).and_then(|r| r.2.break_even_hours);
                curve.with(|(_, pts)| chart(pts, be))
            }}
        </section>
    }
}

/// Monthly cost against uptime hours: the hourly plan (a polyline), the monthly plan (a flat
/// line) and where they cross. Integer geometry: the page needs no float formatting.
pub(super) fn chart(
    points: &[(i64, Decimal, Option<Decimal>)],
    break_even: Option<i64>,
) -> impl IntoView + use<> {
    const W: i64 = 480;
    const H: i64 = 200;
    const PAD: i64 = 30;
    let max_h = points.last().map_or(1, |p| p.0.max(1));
    let max_c = points
        .iter()
        .map(|p| p.1.max(p.2.unwrap_or_default()))
        .max()
        .unwrap_or(Decimal::ONE)
        .max(Decimal::ONE);
    let x = move |hours: i64| PAD + (W - 2 * PAD) * hours / max_h;
    let y = move |cost: Decimal| {
        let off = (cost * Decimal::from(H - 2 * PAD) / max_c).round();
        H - PAD - i64::try_from(off.mantissa() / 10i128.pow(off.scale())).unwrap_or(0)
    };
    let hourly: String = points
        .iter()
        .map(|p| format!("{},{}", x(p.0), y(p.1)))
        .collect::<Vec<_>>()
        .join(" ");
    let monthly = points.first().and_then(|p| p.2);
    (!points.is_empty()).then(|| view! {
        <svg class="chart" data-testid="plan-chart" viewBox=format!("0 0 {W} {H}") role="img" aria-label="cost against uptime">
            <line x1=PAD y1=H - PAD x2=W - PAD y2=H - PAD class="axis" />
            <line x1=PAD y1=PAD x2=PAD y2=H - PAD class="axis" />
            <polyline points=hourly class="hourly" fill="none" />
            {monthly.map(|m| view! { <line x1=PAD y1=y(m) x2=W - PAD y2=y(m) class="monthly" /> })}
            {monthly.zip(break_even).map(|(m, h)| view! {
                <circle cx=x(h) cy=y(m) r="5" class="cross" data-testid="plan-cross" />
                <text x=x(h) + 8 y=y(m) - 8>{format!("{h} h")}</text>
            })}
            <text x=PAD y=H - 8>"0 h"</text>
            <text x=W - PAD - 30 y=H - 8>{format!("{max_h} h")}</text>
        </svg>
    })
}

#[component]
pub(super) fn PricingView(
    setup: RwSignal<Setup>,
    outcome: Memo<Outcome>,
    lang: Signal<Lang>,
) -> impl IntoView {
    view! {
        <section class="pricing-view controls">
            <h2>{label(lang, "pricing_view")}</h2>
            <label>{label(lang, "compare_region")}
                <select data-testid="compare-region" prop:value=move || setup.with(|s| s.compare_region.clone()) on:change=move |ev| setup.update(|s| s.compare_region = event_target_value(&ev))>
                    <option value="">{label(lang, "none")}</option>
                    {move || regions(&setup.with(|s| s.catalog.clone())).into_iter().map(|(id, name)| view! { <option value=id.clone()>{name}</option> }).collect_view()}
                </select>
            </label>
            {move || outcome.with(|o| match (&o.estimate, &o.compared) {
                (Some(a), Some(b)) => {
                    let l = lang.get();
                    Some(view! {
                        <table data-testid="pricing-view">
                            <tr><th>{t(l, "product")}</th><th>{setup.with(|s| s.region.clone())}</th><th>{setup.with(|s| s.compare_region.clone())}</th><th>{t(l, "difference")}</th></tr>
                            {a.items.iter().zip(&b.items).map(|(x, y)| view! {
                                <tr><td>{x.sku.clone()}</td><td>{money(x.cost, "EUR", l)}</td><td>{money(y.cost, "EUR", l)}</td><td>{money(y.cost - x.cost, "EUR", l)}</td></tr>
                            }).collect_view()}
                            <tr><th>"="</th><td>{money(a.summary.total, "EUR", l)}</td><td>{money(b.summary.total, "EUR", l)}</td><td>{money(b.summary.total - a.summary.total, "EUR", l)}</td></tr>
                        </table>
                    })
                }
                _ => None,
            })}
        </section>
    }
}
