//! The components: thin views over [`Setup`] and the engine's [`Outcome`].

use leptos::prelude::*;
use ratecard::catalog::Charge;
use ratecard::estimate::{Cheaper, Plan};
use rust_decimal::Decimal;

use crate::i18n::{money, t};
use crate::keep;
use crate::state::{self, Lang, Outcome, Setup, UptimeUnit};

/// A product as the calculator lists it.
#[derive(Clone, PartialEq)]
struct Offer {
    sku: String,
    label: String,
    kind: &'static str,
    family: String,
    vcpu: u32,
    ram: Decimal,
    /// The fields that apply to the product, as the engine reads them.
    fields: ratecard::estimate::ItemFields,
}

fn offers(catalog: &str) -> Vec<Offer> {
    let Ok(book) = state::book(catalog) else {
        return Vec::new();
    };
    let Some(latest) = book.versions().last() else {
        return Vec::new();
    };
    latest
        .products
        .iter()
        .filter(|p| p.plan_of.is_none())
        .map(|p| Offer {
            sku: p.sku.clone(),
            label: format!("{} - {}", p.sku, p.description),
            kind: match &p.charge {
                Charge::TimeMetered { .. } if p.service == "Instances" => "instance",
                Charge::TimeMetered { .. } => "network",
                Charge::Storage { .. } if p.egress_sku.is_some() => "object",
                Charge::Storage { .. } => "volume",
                Charge::Counter { .. } => "counter",
                Charge::MonthlyPlan { .. } => "instance",
                Charge::Flat {} => "network",
            },
            family: p.family.clone().unwrap_or_default(),
            vcpu: p.vcpu.unwrap_or(0),
            ram: p.ram_gib.unwrap_or_default(),
            fields: ratecard::estimate::item_fields(p),
        })
        .collect()
}

fn regions(catalog: &str) -> Vec<(String, String)> {
    state::book(catalog)
        .ok()
        .and_then(|b| {
            b.versions().last().map(|c| {
                c.regions
                    .iter()
                    .map(|r| (r.id.clone(), r.name.clone()))
                    .collect()
            })
        })
        .unwrap_or_default()
}

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

#[component]
fn Compose(setup: RwSignal<Setup>, outcome: Memo<Outcome>, lang: Signal<Lang>) -> impl IntoView {
    let family = RwSignal::new(String::new());
    let min_vcpu = RwSignal::new(0u32);
    let min_ram = RwSignal::new(Decimal::ZERO);
    let all = Memo::new(move |_| offers(&setup.with(|s| s.catalog.clone())));
    let first =
        move |kind: &str| all.with(|o| o.iter().find(|x| x.kind == kind).map(|x| x.sku.clone()));
    let add = move |kind: &'static str| {
        move |_| {
            if let Some(sku) = first(kind) {
                setup.update(|s| {
                    s.add(&sku);
                    if let Some(it) = s
                        .items
                        .last_mut()
                        .filter(|_| kind == "volume" || kind == "object")
                    {
                        it.gb = "100".into();
                    }
                });
            }
        }
    };
    view! {
        <section class="compose">
            <h2>{label(lang, "compose")}</h2>
            <div class="row filters controls">
                <label>{label(lang, "family")}
                    <select on:change=move |ev| family.set(event_target_value(&ev))>
                        <option value="">"*"</option>
                        {move || { let mut f: Vec<String> = all.with(|o| o.iter().filter(|x| x.kind == "instance").map(|x| x.family.clone()).collect()); f.sort_unstable(); f.dedup(); f.into_iter().map(|x| { let label = x.clone(); view! { <option value=x>{label}</option> } }).collect_view() }}
                    </select>
                </label>
                <label>{label(lang, "min_vcpu")}
                    <input type="number" min="0" prop:value=move || min_vcpu.get().to_string() on:input=move |ev| min_vcpu.set(event_target_value(&ev).parse().unwrap_or(0)) />
                </label>
                <label>{label(lang, "min_ram")}
                    <input type="number" min="0" prop:value=move || min_ram.get().to_string() on:input=move |ev| min_ram.set(event_target_value(&ev).parse().unwrap_or_default()) />
                </label>
            </div>
            <div class="row controls">
                <button data-testid="add-instance" on:click=add("instance")>{label(lang, "add_instance")}</button>
                <button data-testid="add-volume" on:click=add("volume")>{label(lang, "add_volume")}</button>
                <button data-testid="add-object" on:click=add("object")>{label(lang, "add_object")}</button>
                <button data-testid="add-ip" on:click=add("network")>{label(lang, "add_ip")}</button>
                <button data-testid="add-other" on:click=add("counter")>{label(lang, "add_other")}</button>
            </div>
            <Show when=move || setup.with(|s| s.items.is_empty())>
                <p>{label(lang, "empty")}</p>
            </Show>
            <For each=move || 0..setup.with(|s| s.items.len()) key=move |i| (*i, setup.with(|s| s.items.len())) let:i>
                <ItemRow setup outcome lang i all family min_vcpu min_ram />
            </For>
        </section>
    }
}

#[component]
#[allow(clippy::too_many_arguments)]
fn ItemRow(
    setup: RwSignal<Setup>,
    outcome: Memo<Outcome>,
    lang: Signal<Lang>,
    i: usize,
    all: Memo<Vec<Offer>>,
    family: RwSignal<String>,
    min_vcpu: RwSignal<u32>,
    min_ram: RwSignal<Decimal>,
) -> impl IntoView {
    let item = move || setup.with(|s| s.items.get(i).cloned().unwrap_or_default());
    let kind = move || {
        let sku = item().sku;
        all.with(|o| {
            o.iter()
                .find(|x| x.sku == sku)
                .map(|x| x.kind)
                .unwrap_or("")
        })
    };
    let fields = move || {
        let sku = item().sku;
        all.with(|o| {
            o.iter()
                .find(|x| x.sku == sku)
                .map(|x| x.fields)
                .unwrap_or_default()
        })
    };
    let set = move |f: fn(&mut state::ItemForm, String)| {
        move |ev: leptos::ev::Event| {
            let v = event_target_value(&ev);
            setup.update(|s| {
                if let Some(it) = s.items.get_mut(i) {
                    f(it, v);
                }
            })
        }
    };
    let id = move |f: &str| format!("item-{i}-{f}");
    let cost = move || {
        outcome.with(|o| {
            o.estimate
                .as_ref()
                .and_then(|e| e.items.get(i))
                .map(|it| money(it.cost, "EUR", lang.get()))
                .unwrap_or_default()
        })
    };
    let has_monthly = move || {
        outcome.with(|o| {
            o.estimate
                .as_ref()
                .and_then(|e| e.items.get(i))
                .is_some_and(|it| it.comparison.is_some())
        })
    };
    view! {
        <div class="item row" data-testid=id("row")>
            <label>{label(lang, "product")}
                <select data-testid=id("sku") prop:value=move || item().sku on:change=set(|it, v| it.sku = v)>
                    {move || {
                        let current = item().sku;
                        let k = kind();
                        all.with(|o| o.iter().filter(|x| {
                            x.sku == current || (x.kind == k && (k != "instance" || ((family.get().is_empty() || x.family == family.get()) && x.vcpu >= min_vcpu.get() && x.ram >= min_ram.get())))
                        }).map(|x| view! { <option value=x.sku.clone()>{x.label.clone()}</option> }).collect_view())
                    }}
                    {move || {
                        let current = item().sku;
                        all.with(|o| o.iter().any(|x| x.sku == current)).then_some(()).is_none().then(|| view! { <option value=current.clone()>{current.clone()}</option> })
                    }}
                </select>
                <FieldError outcome item=Some(i) field="sku" />
            </label>
            <label>{label(lang, "count")}
                <input data-testid=id("count") inputmode="numeric" prop:value=move || item().count on:input=set(|it, v| it.count = v) />
                <FieldError outcome item=Some(i) field="count" />
            </label>
            <label>{label(lang, "region")}
                <select data-testid=id("region") prop:value=move || item().region on:change=set(|it, v| it.region = v)>
                    <option value="">{label(lang, "default_region")}</option>
                    {move || regions(&setup.with(|s| s.catalog.clone())).into_iter().map(|(id, name)| view! { <option value=id.clone()>{name}</option> }).collect_view()}
                </select>
                <FieldError outcome item=Some(i) field="region" />
            </label>
            <Show when=move || fields().uptime>
                <label>{label(lang, "uptime")}
                    <input data-testid=id("uptime") inputmode="decimal" prop:value=move || item().uptime on:input=set(|it, v| it.uptime = v) />
                    <select data-testid=id("uptime-unit") prop:value=move || if item().uptime_unit == UptimeUnit::Hours { "hours" } else { "percent" }
                        on:change=set(|it, v| it.uptime_unit = if v == "hours" { UptimeUnit::Hours } else { UptimeUnit::Percent })>
                        <option value="percent">"%"</option>
                        <option value="hours">{label(lang, "hours")}</option>
                    </select>
                    <FieldError outcome item=Some(i) field="uptime" />
                </label>
            </Show>
            <Show when=move || has_monthly() || item().plan == Plan::Monthly>
                <label>{label(lang, "plan")}
                    <select data-testid=id("plan") prop:value=move || if item().plan == Plan::Monthly { "monthly" } else { "hourly" }
                        on:change=set(|it, v| it.plan = if v == "monthly" { Plan::Monthly } else { Plan::Hourly })>
                        <option value="hourly">{label(lang, "hourly")}</option>
                        <option value="monthly">{label(lang, "monthly")}</option>
                    </select>
                    <FieldError outcome item=Some(i) field="plan" />
                </label>
            </Show>
            <Show when=move || kind() == "volume" || kind() == "object">
                <label>{label(lang, "gb")}
                    <input data-testid=id("gb") inputmode="decimal" prop:value=move || item().gb on:input=set(|it, v| it.gb = v) />
                    <FieldError outcome item=Some(i) field="gb" />
                </label>
            </Show>
            <Show when=move || kind() == "object" || kind() == "counter">
                <label>{label(lang, "egress_gb")}
                    <input data-testid=id("egress") inputmode="decimal" prop:value=move || item().egress_gb on:input=set(|it, v| it.egress_gb = v) />
                    <FieldError outcome item=Some(i) field="egress_gb" />
                </label>
            </Show>
            <Show when=move || kind() == "counter">
                <label>{label(lang, "requests")}
                    <input data-testid=id("requests") inputmode="numeric" prop:value=move || item().requests on:input=set(|it, v| it.requests = v) />
                    <FieldError outcome item=Some(i) field="requests" />
                </label>
            </Show>
            <Show when=move || setup.with(|s| s.quote.enabled)>
                <label>{label(lang, "discount")}
                    <input data-testid=id("discount") inputmode="decimal" prop:value=move || item().discount on:input=set(|it, v| it.discount = v) />
                    <FieldError outcome item=Some(i) field="discount" />
                </label>
            </Show>
            <span class="cost" data-testid=id("cost")>{cost}</span>
            <span class="controls">
                <button data-testid=id("duplicate") on:click=move |_| setup.update(|s| s.duplicate(i))>{label(lang, "duplicate")}</button>
                <button data-testid=id("remove") on:click=move |_| setup.update(|s| s.remove(i))>{label(lang, "remove")}</button>
            </span>
        </div>
    }
}

#[component]
fn Totals(setup: RwSignal<Setup>, outcome: Memo<Outcome>, lang: Signal<Lang>) -> impl IntoView {
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
fn Compare(setup: RwSignal<Setup>, outcome: Memo<Outcome>, lang: Signal<Lang>) -> impl IntoView {
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
fn chart(
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
fn Taxes(setup: RwSignal<Setup>, outcome: Memo<Outcome>, lang: Signal<Lang>) -> impl IntoView {
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
fn Breakdown(setup: RwSignal<Setup>, outcome: Memo<Outcome>, lang: Signal<Lang>) -> impl IntoView {
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

#[component]
fn PricingView(
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

#[component]
fn Quote(setup: RwSignal<Setup>, outcome: Memo<Outcome>, lang: Signal<Lang>) -> impl IntoView {
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

#[component]
fn Keep(setup: RwSignal<Setup>, outcome: Memo<Outcome>, lang: Signal<Lang>) -> impl IntoView {
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
