//! Composing a setup: the product filters, the add buttons and one row per line. Rows are keyed
//! by the line's id and each follows its own line in a signal (`follow`), so typing in one row
//! redraws that row only.

use crate::i18n::money;
use crate::state::offers::{Offer, offers};
use crate::state::{self, Lang, RowOutcome, Setup, Shared, UptimeUnit};
use leptos::prelude::*;
use ratecard::estimate::Plan;
use rust_decimal::Decimal;

use super::*;

#[component]
pub(super) fn Compose(
    setup: RwSignal<Setup>,
    outcome: Memo<Shared>,
    lang: Signal<Lang>,
    catalog: ReadSignal<String>,
    regions: Memo<Vec<(String, String)>>,
) -> impl IntoView {
    let family = RwSignal::new(String::new());
    let min_vcpu = RwSignal::new(0u32);
    let min_ram = RwSignal::new(Decimal::ZERO);
    let all = Memo::new(move |_| catalog.with(|c| offers(c)));
    // The lines' ids in order, and quote mode: what rows read of the whole setup, followed so
    // that a keystroke wakes none of their readers.
    let ids = follow(move || setup.with(|s| s.items.iter().map(|i| i.id).collect::<Vec<_>>()));
    let quote = follow(move || setup.with(|s| s.quote.enabled));
    // The first product of a kind that the filters let through (instances only are filtered).
    let first = move |kind: &str| {
        all.with(|o| {
            o.iter()
                .find(|x| x.matches(kind, &family.get(), min_vcpu.get(), min_ram.get()))
                .map(|x| x.sku.clone())
        })
    };
    let add = move |kind: &'static str| {
        move |_| {
            if let Some(sku) = first(kind) {
                let mut at = 0;
                setup.update(|s| {
                    let id = s.add(&sku);
                    at = s.items.len().saturating_sub(1);
                    if let Some(it) = s
                        .item_mut(id)
                        .filter(|_| kind == "volume" || kind == "object")
                    {
                        it.gb = "100".into();
                    }
                    // A savings plan starts at the commitment the setup's usage uses in full.
                    if kind == "commitment" {
                        let c = s.suggested_commitment(&sku).unwrap_or_else(|| "1".into());
                        if let Some(it) = s.item_mut(id) {
                            it.commitment = c;
                        }
                    }
                });
                focus(format!("item-{at}-sku"));
            }
        }
    };
    let families = move || {
        let mut f: Vec<String> = all.with(|o| {
            o.iter()
                .filter(|x| x.kind == "instance")
                .map(|x| x.family.clone())
                .collect()
        });
        ratecard::sort::sort(&mut f);
        f.dedup();
        f
    };
    let button = move |kind: &'static str, key: &'static str| {
        view! {
            <button data-testid=format!("add-{}", key.trim_start_matches("add_")) on:click=add(kind) hidden=move || !all.with(|o| o.iter().any(|x| x.kind == kind))
                disabled=move || first(kind).is_none()>{label(lang, key)}</button>
        }
    };
    view! {
        <section class="compose">
            <h2>{label(lang, "compose")}</h2>
            <div class="row filters controls">
                <label>{label(lang, "family")}
                    <select data-testid="family" on:change=move |ev| family.set(event_target_value(&ev))>
                        <option value="">{label(lang, "all")}</option>
                        {move || families().into_iter().map(|x| { let label = x.clone(); view! { <option value=x>{label}</option> } }).collect_view()}
                    </select>
                </label>
                <label>{label(lang, "min_vcpu")}
                    <input type="number" min="0" data-testid="min-vcpu" prop:value=move || min_vcpu.get().to_string() on:input=move |ev| min_vcpu.set(event_target_value(&ev).parse().unwrap_or(0)) />
                </label>
                <label>{label(lang, "min_ram")}
                    <input type="number" min="0" data-testid="min-ram" prop:value=move || min_ram.get().to_string() on:input=move |ev| min_ram.set(event_target_value(&ev).parse().unwrap_or_default()) />
                </label>
            </div>
            <div class="row controls adds">
                {button("instance", "add_instance")}
                {button("volume", "add_volume")}
                {button("object", "add_object")}
                {button("network", "add_ip")}
                {button("counter", "add_other")}
                {button("support", "add_support")}
                {button("commitment", "add_commitment")}
            </div>
            <p class="empty" data-testid="empty" hidden=move || setup.with(|s| !s.items.is_empty())>{label(lang, "empty")}</p>
            <datalist id="groups">
                {move || setup.with(Setup::group_names).into_iter().map(|g| view! { <option value=g></option> }).collect_view()}
            </datalist>
            <For each=move || ids.get() key=|id| *id let:id>
                <ItemRow setup outcome lang id ids quote all family min_vcpu min_ram regions />
            </For>
        </section>
    }
}

#[component]
#[allow(clippy::too_many_arguments)]
pub(super) fn ItemRow(
    setup: RwSignal<Setup>,
    outcome: Memo<Shared>,
    lang: Signal<Lang>,
    id: u32,
    ids: ReadSignal<Vec<u32>>,
    quote: ReadSignal<bool>,
    all: Memo<Vec<Offer>>,
    family: RwSignal<String>,
    min_vcpu: RwSignal<u32>,
    min_ram: RwSignal<Decimal>,
    regions: Memo<Vec<(String, String)>>,
) -> impl IntoView {
    // This row's own slice of the setup: it changes only when this line does.
    let item = follow(move || setup.with(|s| s.item(id).cloned().unwrap_or_default()));
    let pos = Memo::new(move |_| ids.with(|v| v.iter().position(|x| *x == id).unwrap_or_default()));
    let sku = move || item.with(|it| it.sku.clone());
    let offer = Memo::new(move |_| {
        item.with(|it| all.with(|o| o.iter().find(|x| x.sku == it.sku).cloned()))
    });
    let kind = move || offer.with(|o| o.as_ref().map_or("", |x| x.kind));
    // The value is set again whenever the options are rebuilt (by the filters or the price
    // list): options are rebuilt in place, and the selected one would show another product.
    let shown_sku = move || {
        all.track();
        family.track();
        min_vcpu.track();
        min_ram.track();
        sku()
    };
    let fields = move || offer.with(|o| o.as_ref().map(|x| x.fields).unwrap_or_default());
    let set = move |f: fn(&mut state::ItemForm, String)| {
        move |ev: leptos::ev::Event| {
            let v = event_target_value(&ev);
            setup.update(|s| {
                if let Some(it) = s.item_mut(id) {
                    f(it, v);
                }
            })
        }
    };
    let tid = move |f: &'static str| move || format!("item-{}-{f}", pos.get());
    // This row's part of the outcome: the outcome's one reader for this row.
    let out = follow(move || outcome.with(|o| o.row(id, pos.get())));
    let invalid =
        move |f: &'static str| move || out.with(|r| r.error(f).is_some()).then_some("true");
    let described = move |f: &'static str| {
        move || {
            out.with(|r| r.error(f).is_some())
                .then(|| error_id(Some(id), f))
        }
    };
    let cost = move || {
        out.with(|r| {
            r.amount
                .map(|a| money(a, &r.currency, lang.get()))
                .unwrap_or_default()
        })
    };
    let has_monthly = move || out.with(|r| r.monthly);
    // The label of the product's k-th provisioned dimension, with its free baseline; empty when
    // it has none.
    let dim = move |k: usize| {
        offer.with(|o| {
            o.as_ref()
                .and_then(|x| x.dimensions.get(k))
                .map(|(name, base)| {
                    format!(
                        "{name} ({} {})",
                        crate::i18n::number(*base, lang.get()),
                        label(lang, "included")()
                    )
                })
                .unwrap_or_default()
        })
    };
    let remove = move |_| {
        // A line given a label, a group or a discount is work: removing it asks first.
        let worked = setup.with_untracked(|s| {
            s.item(id).is_some_and(|it| {
                [&it.label, &it.group, &it.discount]
                    .iter()
                    .any(|f| !f.trim().is_empty())
            })
        });
        if worked && !confirm(t(lang.get_untracked(), "confirm_remove")) {
            return;
        }
        let mut at = None;
        setup.update(|s| at = s.remove(id));
        let left = setup.with_untracked(|s| s.items.len());
        match at {
            // The focus goes to the line that took its place, or the one before, or the add
            // buttons: never lost to the page.
            Some(_) if left == 0 => focus("add-instance".into()),
            Some(p) => focus(format!("item-{}-sku", p.min(left - 1))),
            None => {}
        }
    };
    let duplicate = move |_| {
        setup.update(|s| {
            s.duplicate(id);
        });
        focus(format!("item-{}-sku", pos.get_untracked() + 1));
    };
    view! {
        <div class="item" data-testid=tid("row") role="group" aria-label=move || format!("{} {}", label(lang, "line")(), pos.get() + 1)>
            <div class="row">
                <label class="product">{label(lang, "product")}
                    <select data-testid=tid("sku") prop:value=shown_sku on:change=set(|it, v| it.sku = v)
                        aria-invalid=invalid("sku") aria-describedby=described("sku")>
                        {move || {
                            let current = sku();
                            let k = kind();
                            all.with(|o| o.iter().filter(|x| {
                                x.sku == current || x.matches(k, &family.get(), min_vcpu.get(), min_ram.get())
                            }).map(|x| view! { <option value=x.sku.clone()>{x.label_in(lang.get())}</option> }).collect_view())
                        }}
                        {move || offer.with(Option::is_none).then(|| { let c = sku(); view! { <option value=c.clone()>{c.clone()}</option> } })}
                    </select>
                    <RowError out pos id field="sku" />
                </label>
                <label>{label(lang, "count")}
                    <input class="narrow" data-testid=tid("count") inputmode="numeric" prop:value=move || item.with(|i| i.count.clone()) on:input=set(|it, v| it.count = v)
                        aria-invalid=invalid("count") aria-describedby=described("count") />
                    <RowError out pos id field="count" />
                </label>
                <label>{label(lang, "region")}
                    <select data-testid=tid("region") prop:value=move || item.with(|i| i.region.clone()) on:change=set(|it, v| it.region = v)
                        aria-invalid=invalid("region") aria-describedby=described("region")>
                        <option value="">{label(lang, "default_region")}</option>
                        {move || regions.get().into_iter().map(|(id, name)| view! { <option value=id.clone()>{name}</option> }).collect_view()}
                    </select>
                    <RowError out pos id field="region" />
                </label>
                <label hidden=move || !(fields().uptime)>{label(lang, "uptime")}
                        <span class="pair">
                            <input class="narrow" data-testid=tid("uptime") inputmode="decimal" prop:value=move || item.with(|i| i.uptime.clone()) on:input=set(|it, v| it.uptime = v)
                                aria-invalid=invalid("uptime") aria-describedby=described("uptime") />
                            <select data-testid=tid("uptime-unit") aria-label=label(lang, "uptime_unit") prop:value=move || if item.with(|i| i.uptime_unit) == UptimeUnit::Hours { "hours" } else { "percent" }
                                on:change=set(|it, v| it.uptime_unit = if v == "hours" { UptimeUnit::Hours } else { UptimeUnit::Percent })>
                                <option value="percent">"%"</option>
                                <option value="hours">{label(lang, "hours")}</option>
                            </select>
                        </span>
                        <RowError out pos id field="uptime" />
                    </label>

                <label hidden=move || !(has_monthly() || item.with(|i| i.plan) == Plan::Monthly)>{label(lang, "plan")}
                        <select data-testid=tid("plan") prop:value=move || if item.with(|i| i.plan) == Plan::Monthly { "monthly" } else { "hourly" }
                            on:change=set(|it, v| it.plan = if v == "monthly" { Plan::Monthly } else { Plan::Hourly })>
                            <option value="hourly">{label(lang, "hourly")}</option>
                            <option value="monthly">{label(lang, "monthly")}</option>
                        </select>
                        <RowError out pos id field="plan" />
                    </label>

                <label hidden=move || !(fields().gb)>{label(lang, "gb")}
                        <input class="narrow" data-testid=tid("gb") inputmode="decimal" prop:value=move || item.with(|i| i.gb.clone()) on:input=set(|it, v| it.gb = v)
                            aria-invalid=invalid("gb") aria-describedby=described("gb") />
                        <RowError out pos id field="gb" />
                    </label>

                <label hidden=move || !fields().reads("egress_gb")>{label(lang, "egress_gb")}
                        <input class="narrow" data-testid=tid("egress") inputmode="decimal" prop:value=move || item.with(|i| i.egress_gb.clone()) on:input=set(|it, v| it.egress_gb = v)
                            aria-invalid=invalid("egress_gb") aria-describedby=described("egress_gb") />
                        <RowError out pos id field="egress_gb" />
                    </label>

                <label hidden=move || !fields().reads("requests")>{move || format!("{} ({})", label(lang, "quantity")(), offer.with(|o| o.as_ref().map(|x| x.unit.clone())).unwrap_or_default())}
                        <input class="narrow" data-testid=tid("requests") inputmode="numeric" prop:value=move || item.with(|i| i.requests.clone()) on:input=set(|it, v| it.requests = v)
                            aria-invalid=invalid("requests") aria-describedby=described("requests") />
                        <RowError out pos id field="requests" />
                    </label>

                <label hidden=move || !fields().reads("function")>{move || label(lang, if fields().reads("function.concurrency") { "concurrency" } else { "invocations" })()}
                        <input class="narrow" data-testid=tid("invocations") inputmode="numeric" prop:value=move || item.with(|i| i.invocations.clone()) on:input=set(|it, v| it.invocations = v)
                            aria-invalid=invalid("invocations") aria-describedby=described("invocations") />
                        <RowError out pos id field="invocations" />
                    </label>

                <label hidden=move || !fields().reads("function")>{label(lang, "duration_ms")}
                        <input class="narrow" data-testid=tid("duration") inputmode="decimal" prop:value=move || item.with(|i| i.duration_ms.clone()) on:input=set(|it, v| it.duration_ms = v)
                            aria-invalid=invalid("duration_ms") aria-describedby=described("duration_ms") />
                        <RowError out pos id field="duration_ms" />
                    </label>

                <label hidden=move || !fields().reads("function")>{label(lang, "memory_mb")}
                        <input class="narrow" data-testid=tid("memory") inputmode="numeric" prop:value=move || item.with(|i| i.memory_mb.clone()) on:input=set(|it, v| it.memory_mb = v)
                            aria-invalid=invalid("memory_mb") aria-describedby=described("memory_mb") />
                        <RowError out pos id field="memory_mb" />
                    </label>

                <label hidden=move || dim(0).is_empty()>{move || dim(0)}
                        <input class="narrow" data-testid=tid("dim-1") inputmode="numeric" prop:value=move || item.with(|i| i.dim_1.clone()) on:input=set(|it, v| it.dim_1 = v)
                            aria-invalid=invalid("dim_1") aria-describedby=described("dim_1") />
                        <RowError out pos id field="dim_1" />
                    </label>

                <label hidden=move || dim(1).is_empty()>{move || dim(1)}
                        <input class="narrow" data-testid=tid("dim-2") inputmode="numeric" prop:value=move || item.with(|i| i.dim_2.clone()) on:input=set(|it, v| it.dim_2 = v)
                            aria-invalid=invalid("dim_2") aria-describedby=described("dim_2") />
                        <RowError out pos id field="dim_2" />
                    </label>

                <label hidden=move || !fields().commitment>{move || {
                        let (cur, per) = offer.with(|o| o.as_ref().map(|x| (x.currency.clone(), if x.unit == "month" { "per_month" } else { "per_hour" }))).unwrap_or_default();
                        format!("{}, {cur} {}", label(lang, "commitment")(), label(lang, per)())
                    }}
                        <input class="narrow" data-testid=tid("commitment") inputmode="decimal" prop:value=move || item.with(|i| i.commitment.clone()) on:input=set(|it, v| it.commitment = v)
                            aria-invalid=invalid("commitment") aria-describedby=described("commitment") />
                        <RowError out pos id field="commitment" />
                    </label>

                <label hidden=move || !fields().commitment>{label(lang, "upfront")}
                        <select data-testid=tid("upfront") prop:value=move || item.with(|i| i.upfront.name())
                            on:change=set(|it, v| it.upfront = ratecard::estimate::Upfront::parse(&v).unwrap_or_default())>
                            <option value="none">{label(lang, "upfront_none")}</option>
                            <option value="partial">{label(lang, "upfront_partial")}</option>
                            <option value="all">{label(lang, "upfront_all")}</option>
                        </select>
                    </label>

                <label hidden=move || !quote.get()>{label(lang, "discount")}
                        <input class="narrow" data-testid=tid("discount") inputmode="decimal" prop:value=move || item.with(|i| i.discount.clone()) on:input=set(|it, v| it.discount = v)
                            aria-invalid=invalid("discount") aria-describedby=described("discount") />
                        <RowError out pos id field="discount" />
                    </label>

            </div>
            <div class="row">
                <label>{label(lang, "description")}
                    <input data-testid=tid("label") prop:value=move || item.with(|i| i.label.clone()) on:input=set(|it, v| it.label = v) />
                </label>
                <label>{label(lang, "group")}
                    <input class="narrow" list="groups" data-testid=tid("group") prop:value=move || item.with(|i| i.group.clone()) on:input=set(|it, v| it.group = v) />
                </label>
                <span class="cost" data-testid=tid("cost")>{cost}</span>
                <span class="controls">
                    <button data-testid=tid("duplicate") on:click=duplicate>{label(lang, "duplicate")}</button>
                    <button data-testid=tid("remove") on:click=remove>{label(lang, "remove")}</button>
                </span>
            </div>
        </div>
    }
}

/// A line's field error, from the row's own part of the outcome.
#[component]
fn RowError(
    out: ReadSignal<RowOutcome>,
    pos: Memo<usize>,
    id: u32,
    field: &'static str,
) -> impl IntoView {
    move || {
        out.with(|r| r.error(field).map(str::to_string)).map(|e| {
            view! { <span class="error" role="alert" id=error_id(Some(id), field) data-testid=format!("item-{}-{field}-error", pos.get())>{e}</span> }
        })
    }
}
