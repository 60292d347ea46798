//! Composing a setup: the product filters, the add buttons and one row per item.

use crate::i18n::money;
use crate::state::offers::{Offer, offers, regions};
use crate::state::{self, Lang, Outcome, Setup, UptimeUnit};
use leptos::prelude::*;
use ratecard::estimate::Plan;
use rust_decimal::Decimal;

use super::*;

#[component]
pub(super) fn Compose(
    setup: RwSignal<Setup>,
    outcome: Memo<Outcome>,
    lang: Signal<Lang>,
) -> impl IntoView {
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
pub(super) fn ItemRow(
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
                            x.sku == current || x.matches(k, &family.get(), min_vcpu.get(), min_ram.get())
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
