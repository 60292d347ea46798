//! The read-only parts of the page as HTML text (see [`crate::html`]): pure functions of the
//! outcome and the language, tested natively.

use ratecard::document::{Document, DocumentKind};
use ratecard::estimate::Cheaper;
use rust_decimal::Decimal;

use crate::html::Html;
use crate::i18n::{money, service, t};
use crate::state::{Lang, Outcome};

/// The term table's caption: its figures are the estimate's, at list prices; when the document
/// takes something off (a quote's discount), the caption says so, beside totals that are lower.
fn term_title(o: &Outcome) -> &'static str {
    let reduced = o
        .document
        .as_ref()
        .is_some_and(|d| d.lines.iter().any(|line| !line.reductions.is_zero()));
    if reduced {
        "term_title_list"
    } else {
        "term_title"
    }
}

/// The summary: totals for the month with VAT, the period, mentions and warnings, and the
/// subtotals per group.
pub fn summary(o: &Outcome, l: Lang, quote: bool) -> String {
    let mut h = Html::default();
    h.el(
        "h2",
        &[("id", "summary-title")],
        t(l, if quote { "quote_title" } else { "summary" }),
    );
    let Some(d) = &o.document else {
        h.el(
            "p",
            &[("class", "empty"), ("data-testid", "no-total")],
            t(l, "no_total"),
        );
        return h.finish();
    };
    let c = d.currency.as_str();
    h.open("table", &[]);
    h.row(
        t(l, "total_net"),
        &[("total-net", &money(d.totals.net, c, l))],
    );
    for v in &d.vat {
        h.row(
            &format!("{} {} %", t(l, "vat"), v.rate.normalize()),
            &[("total-vat", &money(v.tax, c, l))],
        );
    }
    h.open("tr", &[("class", "grand")])
        .el("th", &[], t(l, "total_gross"));
    h.open("td", &[])
        .el(
            "span",
            &[("data-testid", "total-gross")],
            &money(d.totals.gross, c, l),
        )
        .el(
            "span",
            &[("class", "per")],
            // A month that pays a commitment upfront is not every month.
            &format!(
                " {}",
                t(
                    l,
                    if o.term.as_ref().is_some_and(|t| !t.upfront.is_zero()) {
                        "first_month"
                    } else {
                        "per_month"
                    }
                )
            ),
        )
        .close("td")
        .close("tr")
        .close("table");
    h.el(
        "p",
        &[("class", "period"), ("data-testid", "period")],
        &format!("{} {}", t(l, "for_month"), d.supply_period.label()),
    );
    for m in &d.mentions {
        h.el(
            "p",
            &[("class", "mention"), ("data-testid", "vat-mention")],
            m,
        );
    }
    for w in &d.warnings {
        let w = match l {
            Lang::Fr => crate::state::in_french(w),
            Lang::En => w.clone(),
        };
        h.el("p", &[("class", "warning"), ("data-testid", "warning")], &w);
    }
    if let Some(tr) = &o.term {
        h.open("table", &[("class", "term"), ("data-testid", "term")])
            .el(
                "caption",
                &[("data-testid", "term-caption")],
                t(l, term_title(o)),
            );
        h.row(
            t(l, "upfront"),
            &[("term-upfront", &money(tr.upfront, c, l))],
        );
        h.row(
            t(l, "each_month"),
            &[("term-monthly", &money(tr.monthly, c, l))],
        );
        h.row(
            t(l, "first_12_months"),
            &[("term-first-12", &money(tr.first_12_months, c, l))],
        );
        h.row(
            &format!("{} ({} {})", t(l, "over_term"), tr.months, t(l, "months")),
            &[("term-total", &money(tr.over_term, c, l))],
        );
        h.close("table");
    }
    if o.groups.keys().any(|g| !g.is_empty()) {
        h.open("table", &[("class", "groups"), ("data-testid", "groups")])
            .el("caption", &[], t(l, "groups"));
        for (g, v) in &o.groups {
            let name = if g.is_empty() { t(l, "no_group") } else { g };
            h.row(name, &[(&format!("group-{g}"), &money(*v, c, l))]);
        }
        h.close("table");
    }
    h.finish()
}

/// Cost per service: bars and a table.
pub fn breakdown(o: &Outcome, l: Lang) -> String {
    let mut h = Html::default();
    h.el("h2", &[], t(l, "breakdown"));
    if o.document.is_none() {
        return h.finish();
    }
    let c = o.currency();
    let max = o
        .services
        .values()
        .copied()
        .max()
        .unwrap_or(Decimal::ONE)
        .max(Decimal::ONE);
    let width = |v: Decimal| {
        (v.max(Decimal::ZERO) * Decimal::from(300) / max)
            .round()
            .to_string()
    };
    let rows = o.services.len();
    h.open(
        "svg",
        &[
            ("class", "bars"),
            ("viewBox", &format!("0 0 480 {}", 24 * rows + 4)),
            ("role", "img"),
            ("aria-label", t(l, "breakdown")),
        ],
    );
    for (k, (s, v)) in o.services.iter().enumerate() {
        h.el(
            "text",
            &[("x", "0"), ("y", &(24 * k + 16).to_string())],
            &service(l, s),
        );
        h.el(
            "rect",
            &[
                ("x", "150"),
                ("y", &(24 * k + 4).to_string()),
                ("height", "16"),
                ("width", &width(*v)),
                ("class", "bar"),
            ],
            "",
        );
    }
    h.close("svg");
    h.open("table", &[("data-testid", "breakdown")]);
    h.open("tr", &[])
        .el("th", &[], t(l, "service"))
        .el("th", &[], t(l, "amount"))
        .close("tr");
    for (s, v) in &o.services {
        h.open("tr", &[])
            .el("td", &[], &service(l, s))
            .el(
                "td",
                &[("data-testid", "breakdown-amount")],
                &money(*v, c, l),
            )
            .close("tr");
    }
    h.close("table");
    h.finish()
}

/// Every way to pay for the setup, side by side, amounts converted as the document converts
/// (the options are in the catalog's currency).
pub fn payment_options(
    options: &[ratecard::estimate::PaymentOption],
    o: &Outcome,
    l: Lang,
) -> String {
    let mut h = Html::default();
    let c = o.currency();
    let m = |v: Decimal| o.shown(v).map(|v| money(v, c, l)).unwrap_or_default();
    h.open("table", &[("class", "options"), ("data-testid", "options")])
        .open("tr", &[]);
    for k in [
        "product",
        "upfront",
        "each_month",
        "first_12_months",
        "over_term",
        "saving",
        "break_even_use",
    ] {
        h.el("th", &[], t(l, k));
    }
    h.close("tr");
    for (k, x) in options.iter().enumerate() {
        let name = match (x.option.as_str(), &x.sku, x.commitment) {
            ("savings_plan", Some(sku), Some(amount)) => {
                let per = match x.per {
                    Some(ratecard::catalog::CommitmentKind::Monthly) => t(l, "per_month"),
                    _ => t(l, "per_hour"),
                };
                let up = match x.upfront {
                    Some(ratecard::estimate::Upfront::All) => t(l, "upfront_all"),
                    Some(ratecard::estimate::Upfront::Partial) => t(l, "upfront_partial"),
                    _ => t(l, "upfront_none"),
                };
                // The commitment as committed, in the price list's currency.
                let cur = o.estimate.as_ref().map_or(c, |e| e.currency.as_str());
                format!("{sku}: {} {per}, {up}", money(amount, cur, l))
            }
            ("monthly_plans", ..) => t(l, "monthly_plans").to_string(),
            _ => t(l, "on_demand").to_string(),
        };
        let term = x
            .term_months
            .map(|n| format!(" ({n} {})", t(l, "months")))
            .unwrap_or_default();
        h.open("tr", &[("data-testid", &format!("option-{k}"))]);
        h.el("td", &[], &name);
        let cells = [
            ("upfront", m(x.upfront_amount)),
            ("each_month", m(x.monthly)),
            ("first_12_months", m(x.first_12_months)),
            ("over_term", format!("{}{term}", m(x.over_term))),
            ("saving", x.saving_over_term.map(m).unwrap_or_default()),
            (
                "break_even_use",
                x.break_even_utilisation
                    .map(|u| format!("{u} % {}", t(l, "of_commitment_used")))
                    .unwrap_or_default(),
            ),
        ];
        for (k, v) in cells {
            h.open("td", &[])
                .el(
                    "span",
                    &[("class", "cell-label")],
                    &format!("{}: ", t(l, k)),
                )
                .text(&v)
                .close("td");
        }
        h.close("tr");
    }
    h.close("table");
    h.finish()
}

/// The plans compared, one row per line sold both ways; a line's name is a button (by
/// `data-line`) that shows its chart.
pub fn plans(o: &Outcome, l: Lang) -> String {
    let mut h = Html::default();
    let c = o.currency();
    h.open("table", &[("class", "plans")]).open("tr", &[]);
    for k in ["product", "hourly", "monthly", "verdict", "break_even"] {
        h.el("th", &[], t(l, k));
    }
    h.close("tr");
    for r in &o.plans {
        let verdict = match r.cheaper {
            Cheaper::Hourly => format!(
                "{} {} {}",
                t(l, "hourly"),
                t(l, "cheaper_by"),
                money(r.saves, c, l)
            ),
            Cheaper::Monthly => format!(
                "{} {} {}",
                t(l, "monthly"),
                t(l, "cheaper_by"),
                money(r.saves, c, l)
            ),
            Cheaper::Equal => t(l, "same_cost").to_string(),
        };
        let be = r
            .break_even_hours
            .map(|h| format!("{h} {}", t(l, "hours")))
            .unwrap_or_else(|| t(l, "no_break_even").to_string());
        let pos = r.position;
        h.open("tr", &[("data-testid", &format!("compare-{pos}"))])
            .open("td", &[]);
        h.el(
            "button",
            &[
                ("class", "link"),
                ("data-line", &r.id.to_string()),
                ("aria-label", &format!("{} {}", t(l, "show_chart"), r.sku)),
            ],
            &r.sku,
        );
        // Each cell names its column too, for the phone layout where the header row is hidden.
        h.close("td");
        for (k, v) in [("hourly", r.hourly), ("monthly", r.monthly)] {
            h.open("td", &[])
                .el(
                    "span",
                    &[("class", "cell-label")],
                    &format!("{}: ", t(l, k)),
                )
                .text(&money(v, c, l))
                .close("td");
        }
        h.el(
            "td",
            &[("data-testid", &format!("verdict-{pos}"))],
            &verdict,
        )
        .el("td", &[("data-testid", &format!("break-even-{pos}"))], &be)
        .close("tr");
    }
    h.close("table");
    h.finish()
}

/// Monthly cost against uptime hours: the hourly plan (a polyline), the monthly plan (a flat
/// line) and where they cross, both axes labelled, a legend naming the product. Points are in
/// the document's currency. Integer geometry: no float formatting.
pub fn chart(
    points: &[(i64, Decimal, Option<Decimal>)],
    break_even: Option<i64>,
    sku: &str,
    currency: &str,
    l: Lang,
) -> String {
    const W: i64 = 520;
    const H: i64 = 240;
    const LEFT: i64 = 90;
    const PAD: i64 = 30;
    let mut h = Html::default();
    if points.is_empty() {
        return h.finish();
    }
    let max_h = points.last().map_or(1, |p| p.0.max(1));
    let max_c = points
        .iter()
        .map(|p| p.1.max(p.2.unwrap_or_default()))
        .max()
        .unwrap_or(Decimal::ONE)
        .max(Decimal::ONE);
    let x = |hours: i64| (LEFT + (W - LEFT - PAD) * hours / max_h).to_string();
    let yv = |cost: Decimal| {
        let off = (cost * Decimal::from(H - 2 * PAD) / max_c).round();
        H - PAD - i64::try_from(off.mantissa() / 10i128.pow(off.scale())).unwrap_or(0)
    };
    let y = |cost: Decimal| yv(cost).to_string();
    let n = |v: i64| v.to_string();
    let hourly: Vec<String> = points
        .iter()
        .map(|p| format!("{},{}", x(p.0), y(p.1)))
        .collect();
    let title = format!("{} {sku}", t(l, "chart_title"));
    h.open("figure", &[("class", "chart-box")]);
    h.open(
        "svg",
        &[
            ("class", "chart"),
            ("data-testid", "plan-chart"),
            ("viewBox", &format!("0 0 {W} {H}")),
            ("role", "img"),
            ("aria-label", &title),
        ],
    );
    h.el("title", &[], &title);
    let line = |h: &mut Html, x1: &str, y1: &str, x2: &str, y2: &str, class: &str| {
        h.el(
            "line",
            &[
                ("x1", x1),
                ("y1", y1),
                ("x2", x2),
                ("y2", y2),
                ("class", class),
            ],
            "",
        );
    };
    line(
        &mut h,
        &n(LEFT),
        &n(H - PAD),
        &n(W - PAD),
        &n(H - PAD),
        "axis",
    );
    line(&mut h, &n(LEFT), &n(PAD), &n(LEFT), &n(H - PAD), "axis");
    h.el(
        "polyline",
        &[
            ("points", &hourly.join(" ")),
            ("class", "hourly"),
            ("fill", "none"),
        ],
        "",
    );
    let monthly = points.first().and_then(|p| p.2);
    if let Some(m) = monthly {
        line(&mut h, &n(LEFT), &y(m), &n(W - PAD), &y(m), "monthly");
        if let Some(b) = break_even {
            h.el(
                "circle",
                &[
                    ("cx", &x(b)),
                    ("cy", &y(m)),
                    ("r", "5"),
                    ("class", "cross"),
                    ("data-testid", "plan-cross"),
                ],
                "",
            );
            h.el(
                "text",
                &[("x", &x(b + max_h / 50)), ("y", &n((yv(m) - 8).max(PAD)))],
                &format!("{b} h"),
            );
        }
    }
    let tick = |h: &mut Html, xx: &str, yy: &str, anchor: &str, testid: &str, text: &str| {
        h.el(
            "text",
            &[
                ("x", xx),
                ("y", yy),
                ("class", "tick"),
                ("text-anchor", anchor),
                ("data-testid", testid),
            ],
            text,
        );
    };
    tick(&mut h, &n(LEFT), &n(H - 8), "start", "chart-x0", "0 h");
    tick(
        &mut h,
        &n(W - PAD),
        &n(H - 8),
        "end",
        "chart-x1",
        &format!("{max_h} h"),
    );
    tick(
        &mut h,
        &n((LEFT + W - PAD) / 2),
        &n(H - 8),
        "middle",
        "chart-x",
        t(l, "axis_uptime"),
    );
    tick(
        &mut h,
        &n(LEFT - 6),
        &n(PAD + 4),
        "end",
        "chart-max",
        &money(max_c.round_dp(0), currency, l),
    );
    tick(&mut h, &n(LEFT - 6), &n(H - PAD), "end", "chart-0", "0");
    h.el(
        "text",
        &[
            ("x", "14"),
            ("y", &n(H / 2)),
            ("text-anchor", "middle"),
            ("transform", &format!("rotate(-90 14 {})", H / 2)),
            ("data-testid", "chart-y"),
        ],
        &format!("{} ({currency})", t(l, "axis_cost")),
    );
    h.close("svg");
    h.open(
        "figcaption",
        &[("class", "legend"), ("data-testid", "chart-legend")],
    )
    .el("strong", &[], &title)
    .el("span", &[("class", "key hourly-key")], t(l, "hourly"))
    .el("span", &[("class", "key monthly-key")], t(l, "monthly"))
    .close("figcaption")
    .close("figure");
    h.finish()
}

/// The pricing view's table: each line in both regions, then the total.
pub fn pricing(o: &Outcome, l: Lang, here: &str, there: &str) -> String {
    let mut h = Html::default();
    let Some((total, rows)) = o.pricing.split_last() else {
        return h.finish();
    };
    let c = o.currency();
    h.open("table", &[("data-testid", "pricing-view")])
        .open("tr", &[]);
    for head in [t(l, "product"), here, there, t(l, "difference")] {
        h.el("th", &[], head);
    }
    h.close("tr");
    for r in rows {
        h.open("tr", &[])
            .el("td", &[], &r.label)
            .el("td", &[], &money(r.here, c, l))
            .el("td", &[], &money(r.there, c, l))
            .el("td", &[], &money(r.difference, c, l))
            .close("tr");
    }
    h.open("tr", &[("class", "grand")])
        .el("th", &[], t(l, "total_list"));
    h.el("td", &[], &money(total.here, c, l))
        .el("td", &[], &money(total.there, c, l))
        .el(
            "td",
            &[("data-testid", "pricing-difference")],
            &money(total.difference, c, l),
        )
        .close("tr")
        .close("table");
    if total.difference.is_zero() {
        h.el(
            "p",
            &[("class", "hint"), ("data-testid", "pricing-same")],
            t(l, "same_prices"),
        );
    }
    h.finish()
}

/// The saved estimates: each name with its Open and Remove buttons, which carry the name
/// (`data-open`, `data-forget`) for the list's one click handler.
pub fn saved<'a>(names: impl Iterator<Item = &'a String>, l: Lang) -> String {
    let mut h = Html::default();
    for n in names {
        h.open("li", &[]).text(n).text(" ");
        h.el(
            "button",
            &[("data-open", n), ("data-testid", &format!("open-{n}"))],
            t(l, "load"),
        );
        h.text(" ");
        h.el(
            "button",
            &[("data-forget", n), ("data-testid", &format!("forget-{n}"))],
            t(l, "remove"),
        );
        h.close("li");
    }
    h.finish()
}

/// What Save or Remove did: a status, or an error the page says as one.
pub fn notice(text: &str, failed: bool) -> String {
    let mut h = Html::default();
    let (class, role) = if failed {
        ("notice failed", "alert")
    } else {
        ("notice", "status")
    };
    h.el(
        "p",
        &[
            ("class", class),
            ("role", role),
            ("data-testid", "keep-notice"),
        ],
        text,
    );
    h.finish()
}

/// The document as printed: title, seller and customer, number and dates, the lines after
/// their discounts (they add up to the net total), VAT with its mention, totals and notes.
/// `estimate` gives each line the label its item was given.
/// A line's description in the page's language: in French, the price list's French one for
/// its product (the catalog carries both), when the line's is the product's own.
fn description(d: &Document, line: &ratecard::document::DocumentLine, l: Lang) -> String {
    let french = || {
        let id = d.catalog.first()?.split('@').next()?;
        let book = crate::state::book(id).ok()?;
        let p = book.product(&line.sku)?;
        (p.description == line.description)
            .then(|| p.description_fr.clone())
            .flatten()
    };
    match l {
        Lang::Fr => french().unwrap_or_else(|| line.description.clone()),
        Lang::En => line.description.clone(),
    }
}

/// A line's unit price as printed: the price list's own, or converted into another currency
/// to five significant digits (0.11560349... USD is USD 0.1156; a request's 0.000000432 keeps
/// its digits).
fn unit_price(d: &Document, line: &ratecard::document::DocumentLine) -> Decimal {
    let p = line.unit_price.normalize();
    if d.fx.is_none() {
        return p;
    }
    // Five digits from the first significant one: the decimals to keep.
    let (mut dp, mut x) = (5u32, p.abs());
    while x >= Decimal::TEN && dp > 0 {
        x /= Decimal::TEN;
        dp -= 1;
    }
    while !x.is_zero() && x < Decimal::ONE && dp < 28 {
        x *= Decimal::TEN;
        dp += 1;
    }
    p.round_dp(dp.saturating_sub(1)).normalize()
}

pub fn document(d: &Document, estimate: Option<&ratecard::Estimate>, l: Lang) -> String {
    let mut h = Html::default();
    let c = d.currency.as_str();
    let title = match d.kind {
        DocumentKind::Quote => t(l, "quote_title"),
        _ => t(l, "estimate_title"),
    };
    h.open("header", &[("class", "doc-head")]).open("div", &[]);
    let number = d
        .number
        .as_deref()
        .map(|n| format!(" {n}"))
        .unwrap_or_default();
    h.el(
        "h1",
        &[("data-testid", "print-title")],
        &format!("{title}{number}"),
    );
    h.el(
        "p",
        &[],
        &format!("{} {}", t(l, "issue_date"), d.issue_date),
    );
    if let Some(v) = d.valid_until {
        h.el(
            "p",
            &[("data-testid", "print-valid")],
            &format!("{} {v}", t(l, "valid_until")),
        );
    }
    h.el(
        "p",
        &[],
        &format!("{} {}", t(l, "for_month"), d.supply_period.label()),
    );
    h.close("div").open(
        "div",
        &[("class", "party"), ("data-testid", "print-seller")],
    );
    h.el("strong", &[], &d.seller.name);
    if let Some(s) = &d.seller.siren {
        h.el("p", &[], &format!("SIREN {s}"));
    }
    if let Some(v) = &d.seller.vat_number {
        h.el("p", &[], &format!("{} {v}", t(l, "vat_number")));
    }
    h.el("p", &[], &d.seller.country)
        .close("div")
        .close("header");
    h.open("div", &[("class", "party"), ("data-testid", "print-buyer")])
        .el("span", &[("class", "caption")], t(l, "customer_name"))
        .el("strong", &[], &d.buyer.name);
    if let Some(v) = &d.buyer.vat_number {
        h.el("p", &[], &format!("{} {v}", t(l, "vat_number")));
    }
    h.el("p", &[], &d.buyer.country).close("div");
    h.open(
        "table",
        &[("class", "doc-lines"), ("data-testid", "print-lines")],
    )
    .open("tr", &[]);
    let discounted = d.lines.iter().any(|l| !l.reductions.is_zero());
    for k in [
        "description",
        "service",
        "quantity",
        "unit_price",
        "discount_amount",
        "amount",
    ] {
        if k != "discount_amount" || discounted {
            h.el("th", &[], t(l, k));
        }
    }
    h.close("tr");
    for (i, line) in d.lines.iter().enumerate() {
        h.open("tr", &[]).open("td", &[]);
        let label = estimate.and_then(|e| e.label_of_line(i, &line.sku));
        if let Some(label) = label {
            h.el("strong", &[("data-testid", "print-line-label")], label)
                .open("br", &[]);
        }
        h.text(&description(d, line, l));
        h.open("br", &[])
            .el("small", &[], &line.formula)
            .close("td");
        h.el("td", &[], &service(l, &line.service))
            .el(
                "td",
                &[("class", "num")],
                &format!(
                    "{} {}",
                    crate::i18n::number(line.quantity.normalize(), l),
                    match l {
                        Lang::En => line.unit.plural(line.quantity),
                        Lang::Fr => crate::i18n::unit_fr(line.unit.name(), line.quantity),
                    }
                ),
            )
            .el(
                "td",
                &[("class", "num")],
                &format!(
                    "{} / {}",
                    money(unit_price(d, line), c, l),
                    match l {
                        Lang::En => line.price_unit.clone(),
                        Lang::Fr => crate::i18n::unit_fr(&line.price_unit, Decimal::ONE),
                    }
                ),
            );
        if discounted {
            // What the discounts took off, as the line's list amount and amount are printed.
            let off = ratecard::document::shown_reduction(d, line).unwrap_or_default();
            let shown = if off.is_zero() {
                String::new()
            } else {
                money(-off, c, l)
            };
            h.el("td", &[("class", "num")], &shown);
        }
        h.el(
            "td",
            &[("class", "num"), ("data-testid", "print-line-amount")],
            &money(line.amount, c, l),
        )
        .close("tr");
    }
    h.close("table");
    h.open("table", &[("class", "doc-totals")]);
    h.row(
        t(l, "total_net"),
        &[("print-net", &money(d.totals.net, c, l))],
    );
    for v in &d.vat {
        h.row(
            &format!(
                "{} {} % ({} {})",
                t(l, "vat"),
                v.rate.normalize(),
                t(l, "on"),
                money(v.taxable, c, l)
            ),
            &[("", &money(v.tax, c, l))],
        );
    }
    h.open("tr", &[("class", "grand")])
        .el("th", &[], t(l, "total_gross"))
        .el(
            "td",
            &[("data-testid", "print-gross")],
            &money(d.totals.gross, c, l),
        )
        .close("tr")
        .close("table");
    if let Some(fx) = &d.fx {
        h.el(
            "p",
            &[],
            &format!(
                "1 EUR = {} {} ({} {}, {})",
                crate::i18n::number(fx.rate, l),
                fx.to,
                t(l, "rate_of"),
                fx.date,
                fx.source
            ),
        );
    }
    for m in &d.mentions {
        h.el("p", &[("class", "mention")], m);
    }
    if let Some(n) = &d.notes {
        h.el(
            "p",
            &[("class", "notes"), ("data-testid", "print-notes")],
            n,
        );
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{QuoteForm, Setup};

    /// The printed quote: its number as the title, the discount taken off each line beside it,
    /// the lines' amounts as the document has them, user text escaped.
    #[test]
    fn the_printed_quote_is_a_document() {
        let mut s = Setup::default();
        s.add("b2-15");
        s.items[0].discount = "10".into();
        s.customer.name = "Acme <SARL>".into();
        s.quote = QuoteForm {
            enabled: true,
            number: "Q-2026-0042".into(),
            issue_date: "2026-01-31".into(),
            valid_until: "2026-02-28".into(),
            notes: "12-month commitment".into(),
            ..QuoteForm::default()
        };
        s.items[0].label = "web <front>".into();
        let out = s.compute();
        let doc = out.document.as_ref().expect("document");
        let html = document(doc, out.estimate.as_ref(), Lang::En);
        // The line says what it is for: its item's label, escaped, before the description.
        assert!(
            html.contains(
                "<strong data-testid=\"print-line-label\">web &lt;front&gt;</strong><br>"
            ),
            "{html}"
        );
        assert!(html.contains("<h1 data-testid=\"print-title\">Quote Q-2026-0042</h1>"));
        assert!(html.contains("Acme &lt;SARL&gt;"));
        // 744 h x 0.111 = 82.584 (82.58); 10 % off leaves 74.3256 (74.33): the discount is
        // printed as 82.58 less 74.33, so the line adds up on paper (it was -8.2584, -8.26).
        assert!(html.contains("<td class=\"num\">EUR -8.25</td>"), "{html}");
        assert!(html.contains(">EUR 74.33</td>"));
        assert!(html.contains(">EUR 0.111 / hour</td>"), "{html}");
        assert!(html.contains("12-month commitment"));
        assert_eq!(doc.totals.net.to_string(), "74.33");
        // In USD, the converted unit price to five significant digits, with its currency; in
        // French, the numbers written the French way.
        s.currency = "USD".into();
        s.lang = Lang::Fr;
        let out = s.compute();
        let doc = out.document.as_ref().expect("document");
        let html = document(doc, out.estimate.as_ref(), Lang::Fr);
        let price = doc.lines[0].unit_price;
        assert!(price.scale() > 5, "{price}");
        let shown = crate::i18n::number(price.round_sf(5).unwrap().normalize(), Lang::Fr);
        assert!(shown.contains(','), "{shown}");
        assert!(
            html.contains(&format!(">{shown} USD / heure</td>")),
            "{html}"
        );
        // Units and the product's description in French.
        assert!(html.contains(">744 heures</td>"), "{html}");
        let fr = crate::state::book("stratus")
            .unwrap()
            .product("b2-15")
            .and_then(|p| p.description_fr.clone())
            .unwrap();
        assert!(html.contains(&fr.replace('\'', "&apos;")), "{fr}: {html}");
        for (name, q, fr) in [
            ("GB-month", "1", "Go-mois"),
            ("1000000 request", "1", "1000000 requêtes"),
            ("GB-hour", "2", "Go-heures"),
            ("EUR unused", "1", "EUR non utilisé"),
            ("hour", "1.5", "heure"),
            ("minute", "43200", "minutes"),
        ] {
            assert_eq!(crate::i18n::unit_fr(name, q.parse().unwrap()), fr);
        }
    }

    /// A counter line (egress, an account total) carries the label of the line it belongs to,
    /// the first that feeds it, as its amount does; it printed no label, having no resource.
    #[test]
    fn a_counter_line_is_printed_with_its_label() {
        let mut s = Setup::default();
        for (label, egress) in [("backups", "500"), ("", "200")] {
            let id = s.add("object-storage");
            let it = s.item_mut(id).expect("line");
            it.gb = "100".into();
            it.egress_gb = egress.into();
            it.label = label.into();
        }
        let out = s.compute();
        let doc = out.document.as_ref().expect("document");
        let html = document(doc, out.estimate.as_ref(), Lang::En);
        let egress = doc
            .lines
            .iter()
            .find(|l| l.sku == "object-egress")
            .expect("an egress line");
        let label = "<strong data-testid=\"print-line-label\">backups</strong><br>";
        assert!(
            html.contains(&format!("{label}{}", egress.description)),
            "{html}"
        );
        // The storage of the first line, and the egress: two labels; the second line has none.
        assert_eq!(html.matches(label).count(), 2, "{html}");
    }

    /// The term table is the estimate's, at list prices: beside a quote's discount its caption
    /// says so (it showed 528.52 a month under a net total of 475.67 without a word).
    #[test]
    fn the_term_table_says_when_its_figures_are_before_discounts() {
        let mut s = Setup::default();
        let vm = s.add("b2-30");
        s.item_mut(vm).expect("line").count = "4".into();
        let plan = s.add("savings-1y");
        s.item_mut(plan).expect("line").commitment = "0.7104".into();
        let caption = |s: &Setup| {
            let html = summary(&s.compute(), Lang::En, s.quote.enabled);
            let at = html
                .find("data-testid=\"term-caption\">")
                .expect("a term table");
            html[at..].split('<').next().unwrap_or_default().to_string()
        };
        assert!(
            caption(&s).ends_with(">Over time, excluding VAT"),
            "{}",
            caption(&s)
        );
        s.quote = QuoteForm {
            enabled: true,
            number: "Q-2026-0042".into(),
            issue_date: "2026-01-31".into(),
            valid_until: "2026-02-28".into(),
            discount: "10".into(),
            ..QuoteForm::default()
        };
        assert!(
            caption(&s).ends_with("at list prices (before the quote&apos;s discounts)"),
            "{}",
            caption(&s)
        );
    }
}
