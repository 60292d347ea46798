//! The console's read-only parts as HTML text, from the API's answers: figures as the API gives
//! them (the engine computed every amount), formatted for the language. Every text goes through
//! [`Html`], which escapes it. No DOM here, so it is tested natively.

use rust_decimal::Decimal;
use serde_json::Value;

use crate::labels::{l, said};
use ratecard_web::html::Html;
use ratecard_web::i18n;
use ratecard_web::state::Lang;

fn dec(v: &Value) -> Decimal {
    v.as_str().and_then(|s| s.parse().ok()).unwrap_or_default()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// An amount of the API (a decimal string) in the language's format, with at least the cents
/// (a budget's `100` reads `100.00`).
pub fn money(v: &Value, currency: &str, lang: Lang) -> String {
    let mut d = dec(v);
    if d.scale() < 2 {
        d.rescale(2);
    }
    i18n::money(d, currency, lang)
}

/// A group's value for the reader: `(none)` in words.
fn value_text(v: &str, lang: Lang) -> String {
    if v == "(none)" {
        if lang == Lang::Fr {
            "(aucun)"
        } else {
            "(none)"
        }
        .to_string()
    } else {
        v.to_string()
    }
}

/// The current month: already billed, so far, projected with its rule, the next invoice.
pub fn now(c: &Value, lang: Lang) -> String {
    let cur = s(&c["currency"]);
    let mut h = Html::default();
    h.open("div", &[("class", "cards")]);
    for (key, field) in [
        ("already_billed", "already_billed"),
        ("so_far", "so_far"),
        ("projected", "projected"),
    ] {
        h.open("div", &[("class", "card")])
            .el("span", &[("class", "card-label")], l(lang, key))
            .el(
                "strong",
                &[("data-testid", &format!("now-{field}"))],
                &money(&c[field], cur, lang),
            )
            .close("div");
    }
    let inv = &c["next_invoice"];
    if inv.is_object() {
        h.open("div", &[("class", "card")])
            .el("span", &[("class", "card-label")], l(lang, "next_invoice"))
            .el(
                "strong",
                &[("data-testid", "now-next-gross")],
                &money(&inv["totals"]["gross"], s(&inv["currency"]), lang),
            )
            .el(
                "span",
                &[("class", "hint")],
                &format!(
                    "{} {} · {} {}",
                    l(lang, "net"),
                    money(&inv["totals"]["net"], s(&inv["currency"]), lang),
                    l(lang, "vat"),
                    money(&inv["totals"]["tax"], s(&inv["currency"]), lang)
                ),
            )
            .close("div");
    }
    h.close("div");
    h.el(
        "p",
        &[("class", "hint"), ("data-testid", "now-elapsed")],
        &format!(
            "{} {} % {}",
            s(&c["period"]),
            i18n::number(dec(&c["elapsed_percent"]), lang),
            l(lang, "elapsed")
        ),
    );
    h.open("p", &[("class", "hint")])
        .el(
            "strong",
            &[],
            &format!("{}{}", l(lang, "rule"), crate::labels::colon(lang)),
        )
        .text(&said(lang, s(&c["rule"])))
        .close("p");
    h.finish()
}

/// A budget's bar: actual against the amount, each threshold marked, crossed ones said.
pub fn budget(status: &Value, lang: Lang) -> String {
    let cur = s(&status["currency"]);
    let pct = dec(&status["percent"]);
    let width = pct.min(Decimal::ONE_HUNDRED).max(Decimal::ZERO);
    let mut h = Html::default();
    let id = s(&status["budget"]);
    h.open(
        "div",
        &[
            ("class", "budget"),
            ("data-testid", &format!("budget-{id}")),
        ],
    );
    h.el(
        "p",
        &[],
        &format!(
            "{id}{}{} {} {} ({} %, {})",
            crate::labels::colon(lang),
            // The amount the thresholds are checked against: so far, or projected.
            money(
                &status[if status["basis"] == "projected" {
                    "projected"
                } else {
                    "actual"
                }],
                cur,
                lang
            ),
            l(lang, "of"),
            money(&status["amount"], cur, lang),
            i18n::number(pct, lang),
            l(
                lang,
                if status["basis"] == "projected" {
                    "projected"
                } else {
                    "actual"
                }
            )
        ),
    );
    h.open(
        "div",
        &[
            ("class", "bar"),
            ("role", "meter"),
            ("aria-valuemin", "0"),
            ("aria-valuemax", "100"),
            ("aria-valuenow", &pct.to_string()),
            ("aria-label", &format!("{} {id}", l(lang, "budget"))),
        ],
    );
    h.open(
        "span",
        &[("class", "fill"), ("style", &format!("width:{width}%"))],
    )
    .close("span");
    for t in status["thresholds"].as_array().into_iter().flatten() {
        let at = t["threshold"].as_u64().unwrap_or(0).min(100);
        h.open(
            "span",
            &[
                (
                    "class",
                    if t["crossed"] == true {
                        "mark crossed"
                    } else {
                        "mark"
                    },
                ),
                ("style", &format!("left:{at}%")),
                ("title", &format!("{} %", t["threshold"])),
            ],
        )
        .close("span");
    }
    h.close("div");
    let crossed: Vec<String> = status["thresholds"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["crossed"] == true)
        .map(|t| format!("{} %", t["threshold"]))
        .collect();
    if !crossed.is_empty() {
        h.el(
            "p",
            &[("class", "warning")],
            &format!("{} {}", crossed.join(", "), l(lang, "crossed")),
        );
    }
    h.close("div");
    h.finish()
}

/// The stacked chart of cost per day, from an exploration grouped by `day` then the group: one
/// bar per day, a segment per group value, a legend, and the highest day's amount on the axis.
pub fn daily_chart(e: &Value, group_label: &str, lang: Lang) -> String {
    let cur = s(&e["currency"]);
    let groups = e["groups"].as_array().cloned().unwrap_or_default();
    let mut days: Vec<String> = groups
        .iter()
        .map(|g| s(&g["values"][0]).to_string())
        .collect();
    days.sort();
    days.dedup();
    // The legend's order: the largest groups first, as the table lists them.
    let mut keys: Vec<(String, Decimal)> = Vec::new();
    for g in &groups {
        let k = s(&g["values"][1]).to_string();
        let a = dec(&g["amount"]);
        match keys.iter_mut().find(|(x, _)| *x == k) {
            Some(e) => e.1 += a,
            None => keys.push((k, a)),
        }
    }
    keys.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut h = Html::default();
    if days.is_empty() {
        h.el("p", &[("class", "empty")], l(lang, "no_cost"));
        return h.finish();
    }
    // Geometry only: the amounts shown are the API's.
    let stack = |day: &str| -> Vec<(usize, Decimal)> {
        keys.iter()
            .enumerate()
            .filter_map(|(i, (k, _))| {
                groups
                    .iter()
                    .find(|g| s(&g["values"][0]) == day && s(&g["values"][1]) == k)
                    .map(|g| (i, dec(&g["amount"]).max(Decimal::ZERO)))
            })
            .collect()
    };
    let top = days
        .iter()
        .map(|d| stack(d).iter().map(|x| x.1).sum::<Decimal>())
        .max()
        .unwrap_or_default()
        .max(Decimal::new(1, 2));
    let (w, ht, left, bottom) = (640i64, 220i64, 64i64, 24i64);
    let plot_w = w - left - 8;
    let plot_h = ht - bottom - 8;
    let n = days.len() as i64;
    let bar_w = (plot_w / n.max(1)).max(2);
    // Days (`2026-03-01`) or months (`2026-03`), as the exploration's first dimension is.
    let monthly = days.first().is_some_and(|d| d.len() == 7);
    let title = format!(
        "{} ({}, {})",
        l(
            lang,
            if monthly {
                "monthly_chart"
            } else {
                "daily_chart"
            }
        ),
        group_label,
        cur
    );
    h.el("h3", &[("aria-hidden", "true")], &title);
    h.open(
        "svg",
        &[
            ("class", "chart daily"),
            ("viewBox", &format!("0 0 {w} {ht}")),
            ("role", "img"),
            ("aria-labelledby", "daily-chart-title"),
            ("data-testid", "daily-chart"),
        ],
    );
    h.el("title", &[("id", "daily-chart-title")], &title);
    h.open(
        "line",
        &[
            ("class", "axis"),
            ("x1", &left.to_string()),
            ("y1", "8"),
            ("x2", &left.to_string()),
            ("y2", &(ht - bottom).to_string()),
        ],
    )
    .close("line");
    h.open(
        "line",
        &[
            ("class", "axis"),
            ("x1", &left.to_string()),
            ("y1", &(ht - bottom).to_string()),
            ("x2", &(w - 8).to_string()),
            ("y2", &(ht - bottom).to_string()),
        ],
    )
    .close("line");
    h.el(
        "text",
        &[
            ("x", &(left - 4).to_string()),
            ("y", "16"),
            ("text-anchor", "end"),
        ],
        &i18n::number(top.round_dp(0), lang),
    );
    h.el(
        "text",
        &[
            ("x", &(left - 4).to_string()),
            ("y", &(ht - bottom).to_string()),
            ("text-anchor", "end"),
        ],
        "0",
    );
    h.el(
        "text",
        &[
            ("x", "4"),
            ("y", &(ht / 2).to_string()),
            ("class", "axis-title"),
        ],
        cur,
    );
    let scale = |a: Decimal| -> i64 {
        let px = a * Decimal::from(plot_h) / top;
        px.round().try_into().unwrap_or(0)
    };
    for (i, day) in days.iter().enumerate() {
        let x = left + 1 + i as i64 * bar_w;
        let mut y = ht - bottom;
        for (k, a) in stack(day) {
            let hpx = scale(a).max(if a > Decimal::ZERO { 1 } else { 0 });
            y -= hpx;
            h.open(
                "rect",
                &[
                    ("class", &format!("c{}", k % 8)),
                    ("x", &x.to_string()),
                    ("y", &y.to_string()),
                    ("width", &(bar_w - 1).max(1).to_string()),
                    ("height", &hpx.to_string()),
                ],
            );
            h.el(
                "title",
                &[],
                &format!(
                    "{day} · {}: {}",
                    value_text(&keys[k].0, lang),
                    i18n::money(a, cur, lang)
                ),
            );
            h.close("rect");
        }
        if monthly || i == 0 || i + 1 == days.len() || (i + 1) % 7 == 0 {
            h.el(
                "text",
                &[
                    ("x", &(x + bar_w / 2).to_string()),
                    ("y", &(ht - 6).to_string()),
                    ("text-anchor", "middle"),
                ],
                day.get(8..).unwrap_or(day),
            );
        }
    }
    h.close("svg");
    h.open("ul", &[("class", "legend"), ("aria-label", group_label)]);
    for (i, (k, _)) in keys.iter().enumerate() {
        h.open("li", &[])
            .el("span", &[("class", &format!("swatch c{}", i % 8))], "")
            .text(&value_text(k, lang))
            .close("li");
    }
    h.close("ul");
    h.finish()
}

/// The groups' table: amount, quantities, and the month before with the difference when
/// compared; each group a button that drills down.
pub fn groups_table(e: &Value, group_label: &str, drill: Option<&str>, lang: Lang) -> String {
    compared_table(e, group_label, drill, ("amount", "before"), lang)
}

/// [`groups_table`] with its two amount columns named: the amount and what it is compared with
/// (the month before; or, in a pricing view, billed and the other price list).
pub fn compared_table(
    e: &Value,
    group_label: &str,
    drill: Option<&str>,
    (amount_label, compared_label): (&str, &str),
    lang: Lang,
) -> String {
    let cur = s(&e["currency"]);
    let compared = e["compared_total"].is_string();
    let mut h = Html::default();
    h.open(
        "table",
        &[("class", "groups-table"), ("data-testid", "groups-table")],
    );
    h.open("thead", &[]).open("tr", &[]);
    h.el("th", &[("scope", "col")], group_label)
        .el("th", &[("scope", "col")], l(lang, "quantity"))
        .el(
            "th",
            &[("scope", "col"), ("class", "num")],
            l(lang, amount_label),
        );
    if compared {
        h.el(
            "th",
            &[("scope", "col"), ("class", "num")],
            l(lang, compared_label),
        )
        .el(
            "th",
            &[("scope", "col"), ("class", "num")],
            l(lang, "difference"),
        );
    }
    h.close("tr").close("thead").open("tbody", &[]);
    for g in e["groups"].as_array().into_iter().flatten() {
        let v = s(&g["values"][0]);
        h.open("tr", &[]).open("th", &[("scope", "row")]);
        match drill {
            Some(dim) => {
                h.open(
                    "button",
                    &[
                        ("class", "link"),
                        ("data-drill", &format!("{dim}:{v}")),
                        ("data-testid", &format!("drill-{v}")),
                    ],
                )
                .text(&value_text(v, lang))
                .close("button");
            }
            None => {
                h.text(&value_text(v, lang));
            }
        }
        h.close("th");
        let q: Vec<String> = g["quantities"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|q| {
                format!(
                    "{} {}",
                    i18n::number(dec(&q["quantity"]), lang),
                    s(&q["unit"])
                )
            })
            .collect();
        h.el("td", &[], &q.join(", "));
        h.el(
            "td",
            &[("class", "num"), ("data-testid", &format!("amount-{v}"))],
            &money(&g["amount"], cur, lang),
        );
        if compared {
            h.el("td", &[("class", "num")], &money(&g["compared"], cur, lang))
                .el(
                    "td",
                    &[("class", "num")],
                    &money(&g["difference"], cur, lang),
                );
        }
        h.close("tr");
    }
    h.close("tbody").open("tfoot", &[]).open("tr", &[]);
    h.el("th", &[("scope", "row")], l(lang, "total"))
        .el("td", &[], "")
        .el(
            "td",
            &[("class", "num"), ("data-testid", "groups-total")],
            &money(&e["total"], cur, lang),
        );
    if compared {
        h.el(
            "td",
            &[("class", "num")],
            &money(&e["compared_total"], cur, lang),
        )
        .el(
            "td",
            &[("class", "num")],
            &money(&e["difference"], cur, lang),
        );
    }
    h.close("tr").close("tfoot").close("table");
    h.finish()
}

/// A resource's rated lines with their formulas, and a button for the events behind them.
pub fn lines_table(e: &Value, resource: &str, lang: Lang) -> String {
    let cur = s(&e["currency"]);
    let mut h = Html::default();
    h.open(
        "table",
        &[("class", "lines-table"), ("data-testid", "lines-table")],
    );
    h.open("thead", &[]).open("tr", &[]);
    for head in ["sku", "formula", "amount"] {
        h.el("th", &[("scope", "col")], l(lang, head));
    }
    h.close("tr").close("thead").open("tbody", &[]);
    for line in e["lines"].as_array().into_iter().flatten() {
        h.open("tr", &[])
            .el("td", &[], s(&line["sku"]))
            .open("td", &[])
            .text(s(&line["formula"]))
            .el("div", &[("class", "hint")], s(&line["detail"]))
            .close("td")
            .el(
                "td",
                &[("class", "num")],
                &money(&line["amount"], cur, lang),
            )
            .close("tr");
    }
    h.close("tbody").close("table");
    if !resource.is_empty() && resource != "(none)" {
        h.open(
            "button",
            &[
                ("class", "link"),
                ("data-events", resource),
                ("data-testid", "show-events"),
            ],
        )
        .text(l(lang, "events"))
        .close("button");
    }
    h.finish()
}

/// The events behind a resource's lines.
pub fn events_table(v: &Value, lang: Lang) -> String {
    let mut h = Html::default();
    h.el(
        "p",
        &[("class", "hint"), ("data-testid", "events-total")],
        &match v["truncated"].as_bool() {
            Some(true) => format!(
                "{} {} ({} {})",
                v["total"],
                l(lang, "events"),
                l(lang, "latest_shown"),
                v["events"].as_array().map_or(0, Vec::len)
            ),
            _ => format!("{} {}", v["total"], l(lang, "events")),
        },
    );
    h.open("table", &[("class", "events-table")]);
    for e in v["events"].as_array().into_iter().flatten() {
        h.open("tr", &[])
            .el("td", &[], s(&e["at"]))
            .el("td", &[], s(&e["kind"]))
            .el("td", &[], s(&e["sku"]))
            .el("td", &[], e["quantity"].as_str().unwrap_or(""))
            .el("td", &[("class", "hint")], s(&e["id"]))
            .close("tr");
    }
    h.close("table");
    h.finish()
}

/// The account's documents, in order, with their links and downloads.
pub fn documents(v: &Value, lang: Lang) -> String {
    let docs = v["documents"].as_array().cloned().unwrap_or_default();
    let mut h = Html::default();
    if docs.is_empty() {
        h.el("p", &[("class", "empty")], l(lang, "no_documents"));
        return h.finish();
    }
    h.open(
        "table",
        &[("class", "documents"), ("data-testid", "documents")],
    );
    h.open("thead", &[]).open("tr", &[]);
    for k in [
        "number", "kind", "period", "issued", "status", "net", "vat", "gross", "download",
    ] {
        h.el("th", &[("scope", "col")], l(lang, k));
    }
    h.close("tr").close("thead").open("tbody", &[]);
    for d in &docs {
        let n = s(&d["number"]);
        let cur = s(&d["currency"]);
        let mut status = said(lang, s(&d["status"]));
        if let Some(of) = d["corrects"].as_str() {
            status = format!("{status} · {} {of}", l(lang, "corrects"));
        }
        let by: Vec<&str> = d["corrected_by"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if !by.is_empty() {
            status = format!("{status} · {} {}", l(lang, "corrected_by"), by.join(", "));
        }
        let cell = |h: &mut Html, key: &str, class: &str, text: &str| {
            let mut attrs = vec![("data-label", l(lang, key))];
            if !class.is_empty() {
                attrs.push(("class", class));
            }
            h.el("td", &attrs, text);
        };
        h.open("tr", &[("data-testid", &format!("doc-{n}"))])
            .el("th", &[("scope", "row")], n);
        cell(&mut h, "kind", "", l(lang, s(&d["kind"])));
        cell(&mut h, "period", "", s(&d["period"]));
        cell(&mut h, "issued", "", s(&d["issue_date"]));
        cell(&mut h, "status", "", &status);
        cell(&mut h, "net", "num", &money(&d["totals"]["net"], cur, lang));
        cell(&mut h, "vat", "num", &money(&d["totals"]["tax"], cur, lang));
        cell(
            &mut h,
            "gross",
            "num",
            &money(&d["totals"]["gross"], cur, lang),
        );
        h.open("td", &[("data-label", l(lang, "download"))]);
        for f in ["pdf", "json", "csv", "ubl", "cii"] {
            h.open(
                "button",
                &[
                    ("class", "link"),
                    ("data-download", &format!("{n}|{f}")),
                    ("data-testid", &format!("download-{n}-{f}")),
                    (
                        "aria-label",
                        &format!("{} {n} {}", l(lang, "download"), f.to_uppercase()),
                    ),
                ],
            )
            .text(&f.to_uppercase())
            .close("button")
            .text(" ");
        }
        h.close("td").close("tr");
    }
    h.close("tbody").close("table");
    h.finish()
}

/// An allocation: each target's direct cost, what it was allocated and its total, with the
/// rule and weight behind every allocated amount; then the indirect costs spread.
pub fn allocation(a: &Value, lang: Lang) -> String {
    let cur = s(&a["currency"]);
    let mut h = Html::default();
    h.el(
        "p",
        &[("class", "hint")],
        &format!(
            "{} `{}` · tag:{}",
            l(lang, "rules"),
            s(&a["rules"]),
            s(&a["target_tag"])
        ),
    );
    h.open(
        "table",
        &[("class", "allocation"), ("data-testid", "allocation")],
    );
    h.open("thead", &[]).open("tr", &[]);
    h.el("th", &[("scope", "col")], l(lang, "target"));
    for k in ["direct", "allocated", "total"] {
        h.el("th", &[("scope", "col"), ("class", "num")], l(lang, k));
    }
    h.close("tr").close("thead").open("tbody", &[]);
    for t in a["targets"].as_array().into_iter().flatten() {
        let name = s(&t["target"]);
        h.open("tr", &[("data-testid", &format!("target-{name}"))])
            .el("th", &[("scope", "row")], &value_text(name, lang))
            .el("td", &[("class", "num")], &money(&t["direct"], cur, lang))
            .el(
                "td",
                &[("class", "num")],
                &money(&t["allocated"], cur, lang),
            )
            .el(
                "td",
                &[
                    ("class", "num"),
                    ("data-testid", &format!("target-total-{name}")),
                ],
                &money(&t["total"], cur, lang),
            )
            .close("tr");
        let shares = t["shares"].as_array().cloned().unwrap_or_default();
        if !shares.is_empty() {
            h.open("tr", &[("class", "shares")])
                .open("td", &[("colspan", "4")])
                .open("ul", &[]);
            for sh in &shares {
                h.el(
                    "li",
                    &[],
                    &format!(
                        "{} · {} · {} {} {} · {}",
                        said(lang, s(&sh["source"])),
                        l(lang, s(&sh["method"])),
                        i18n::number(dec(&sh["weight"]), lang),
                        l(lang, "of"),
                        i18n::number(dec(&sh["of_total_weight"]), lang),
                        money(&sh["amount"], cur, lang)
                    ),
                );
            }
            h.close("ul").close("td").close("tr");
        }
    }
    h.close("tbody").open("tfoot", &[]).open("tr", &[]);
    h.el("th", &[("scope", "row")], l(lang, "total"))
        .el("td", &[("class", "num")], &money(&a["direct"], cur, lang))
        .el(
            "td",
            &[("class", "num")],
            &money(&a["allocated"], cur, lang),
        )
        .el(
            "td",
            &[("class", "num"), ("data-testid", "allocation-total")],
            &money(&a["total"], cur, lang),
        );
    h.close("tr").close("tfoot").close("table");
    h.el("h3", &[], l(lang, "indirect"));
    h.open("ul", &[("data-testid", "indirect")]);
    for i in a["indirect"].as_array().into_iter().flatten() {
        h.el(
            "li",
            &[],
            &format!(
                "{} · {} · {}",
                said(lang, s(&i["source"])),
                l(lang, s(&i["method"])),
                money(&i["amount"], cur, lang)
            ),
        );
    }
    h.close("ul");
    h.finish()
}

/// The webhook's deliveries, each with its attempts and a button to deliver it again.
pub fn deliveries(v: &Value, lang: Lang) -> String {
    let list = v["deliveries"].as_array().cloned().unwrap_or_default();
    let mut h = Html::default();
    if list.is_empty() {
        h.el("p", &[("class", "empty")], l(lang, "no_deliveries"));
        return h.finish();
    }
    h.open("ul", &[("class", "alerts"), ("data-testid", "deliveries")]);
    for d in &list {
        let id = d["id"].to_string();
        let last = d["log"]
            .as_array()
            .and_then(|a| a.last())
            .map(|a| format!(" · {}", s(&a["outcome"])))
            .unwrap_or_default();
        h.open("li", &[])
            .text(&format!(
                "{} · {} · {} {}{last} ",
                s(&d["event"]),
                said(lang, s(&d["status"])),
                d["attempts"],
                l(lang, "attempts")
            ))
            .open(
                "button",
                &[
                    ("class", "link"),
                    ("data-redeliver", &id),
                    ("data-testid", &format!("redeliver-{id}")),
                ],
            )
            .text(l(lang, "redeliver"))
            .close("button")
            .close("li");
    }
    h.close("ul");
    h.finish()
}

/// The alerts recorded.
pub fn alerts(v: &Value, lang: Lang) -> String {
    let list = v["alerts"].as_array().cloned().unwrap_or_default();
    let mut h = Html::default();
    if list.is_empty() {
        h.el("p", &[("class", "empty")], l(lang, "no_alerts"));
        return h.finish();
    }
    h.open("ul", &[("class", "alerts"), ("data-testid", "alerts")]);
    for a in &list {
        h.el(
            "li",
            &[],
            &format!(
                "{} · {} · {} % ({}) · {}",
                s(&a["budget"]),
                s(&a["period"]),
                a["threshold"],
                said(lang, s(&a["basis"])),
                s(&a["at"])
            ),
        );
    }
    h.close("ul");
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn exploration() -> Value {
        json!({
            "currency": "EUR",
            "group_by": ["day", "service"],
            "periods": ["2026-03"],
            "total": "12.50",
            "groups": [
                {"values": ["2026-03-01", "Compute"], "amount": "10.00", "quantities": [], "lines": 1},
                {"values": ["2026-03-02", "Storage"], "amount": "2.50", "quantities": [], "lines": 1},
                {"values": ["2026-03-02", "<b>"], "amount": "0.00", "quantities": [], "lines": 1}
            ]
        })
    }

    #[test]
    fn the_chart_has_a_title_a_bar_per_group_and_day_and_a_legend() {
        let svg = daily_chart(&exploration(), "Service", Lang::En);
        assert!(
            svg.contains("<title id=\"daily-chart-title\">Cost per day (Service, EUR)</title>")
        );
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains("2026-03-01 · Compute: EUR 10.00"));
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"), "escaped");
        assert!(svg.contains("<li><span class=\"swatch c0\"></span>Compute</li>"));
        assert!(daily_chart(&json!({"groups": []}), "x", Lang::Fr).contains("Aucun coût"));
        let months = json!({"currency": "EUR", "groups": [
            {"values": ["2026-02", "Compute"], "amount": "10.00"},
            {"values": ["2026-03", "Compute"], "amount": "12.00"}]});
        let svg = daily_chart(&months, "Service", Lang::En);
        assert!(svg.contains("Cost per month (Service, EUR)"));
        assert!(
            svg.contains(">2026-02</text>") && svg.contains(">2026-03</text>"),
            "{svg}"
        );
    }

    #[test]
    fn the_table_shows_the_apis_amounts_and_drills_down() {
        let e = json!({
            "currency": "EUR", "total": "1234.50", "compared_total": "1000.00", "difference": "234.50",
            "groups": [{"values": ["web"], "amount": "1234.50", "compared": "1000.00", "difference": "234.50",
                        "quantities": [{"unit": "hour", "quantity": "744"}], "lines": 2}]
        });
        let t = groups_table(&e, "Project", Some("tag:project"), Lang::Fr);
        assert!(t.contains("data-drill=\"tag:project:web\""));
        assert!(t.contains("1\u{202f}234,50 EUR"));
        assert!(t.contains("234,50 EUR"));
        assert!(t.contains("744 hour"));
        assert!(t.contains("data-testid=\"groups-total\">1\u{202f}234,50 EUR"));
    }

    #[test]
    fn documents_say_what_corrects_what() {
        let v = json!({"documents": [
            {"number": "INV-2026-000001", "kind": "invoice", "status": "final, corrected", "period": "2026-01",
             "issue_date": "2026-02-01", "currency": "EUR", "totals": {"net": "10.00", "tax": "2.00", "gross": "12.00"},
             "corrects": null, "corrected_by": ["CN-2026-000001"]},
            {"number": "CN-2026-000001", "kind": "credit_note", "status": "final", "period": "2026-01",
             "issue_date": "2026-02-10", "currency": "EUR", "totals": {"net": "-1.00", "tax": "-0.20", "gross": "-1.20"},
             "corrects": "INV-2026-000001", "corrected_by": []}
        ]});
        let t = documents(&v, Lang::En);
        assert!(t.contains("corrected by CN-2026-000001"));
        assert!(t.contains("Credit note"));
        assert!(t.contains("corrects INV-2026-000001"));
        assert!(t.contains("data-download=\"CN-2026-000001|ubl\""));
        // Each cell carries its label, for the narrow layout's cards.
        assert!(
            t.contains("<td data-label=\"Gross\" class=\"num\">EUR -1.20</td>"),
            "{t}"
        );
        assert!(documents(&json!({"documents": []}), Lang::En).contains("No invoice yet"));
    }

    #[test]
    fn an_allocation_names_the_rule_and_weight_of_each_share() {
        let a = json!({"rules": "demo", "target_tag": "project", "currency": "EUR",
            "direct": "200.00", "allocated": "60.00", "total": "260.00",
            "targets": [{"target": "web", "direct": "120.00", "allocated": "40.00", "total": "160.00",
                "shares": [{"target": "web", "source": "support contract", "method": "weights", "weight": "2", "of_total_weight": "3", "amount": "40.00"}]}],
            "indirect": [{"source": "support contract", "method": "weights", "amount": "60.00"}]});
        let t = allocation(&a, Lang::En);
        assert!(
            t.contains("support contract · by weights · 2 of 3 · EUR 40.00"),
            "{t}"
        );
        assert!(t.contains("data-testid=\"target-total-web\">EUR 160.00"));
        assert!(t.contains("data-testid=\"allocation-total\">EUR 260.00"));
    }

    #[test]
    fn a_budget_bar_marks_its_thresholds() {
        let st = json!({"budget": "acme-b", "currency": "EUR", "amount": "100.00", "actual": "85.00",
            "percent": "85.00", "basis": "actual",
            "thresholds": [{"threshold": 50, "crossed": true}, {"threshold": 80, "crossed": true}, {"threshold": 100, "crossed": false}]});
        let b = budget(&st, Lang::En);
        assert!(
            b.contains("acme-b: EUR 85.00 of EUR 100.00 (85.00 %, Actual)"),
            "{b}"
        );
        let mut p = st.clone();
        p["basis"] = json!("projected");
        p["projected"] = json!("120");
        p["amount"] = json!("100");
        assert!(
            budget(&p, Lang::Fr).contains(
                "acme-b : 120,00 EUR sur 100,00 EUR (85,00 %, Projection à la fin du mois)"
            )
        );
        assert!(b.contains("width:85.00%"));
        assert_eq!(b.matches("mark crossed").count(), 2);
        assert!(b.contains("50 %, 80 % crossed"));
    }
}
