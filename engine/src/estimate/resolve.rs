//! A request's items checked and resolved against the price list: each error names its item
//! and field.

use rust_decimal::Decimal;

use crate::catalog::{Charge, PriceBook, Product};
use crate::error::{Error, Result};
use crate::num::Arith;
use crate::time::Period;

use super::request::{EstimateItem, EstimateRequest, MAX_COUNT, Plan, Uptime, item_fields};

/// A validated item, ready to write usage for.
pub(super) struct Resolved<'a> {
    pub(super) index: usize,
    pub(super) item: &'a EstimateItem,
    pub(super) product: &'a Product,
    pub(super) region: String,
    pub(super) hours: Decimal,
    /// The monthly-plan product sold for this hourly sku, if any.
    pub(super) monthly: Option<&'a Product>,
    /// The sku whose usage the item bills (the monthly plan's under `plan: monthly`).
    pub(super) billed: &'a Product,
}

pub(super) fn req_err(field: impl Into<String>, message: impl Into<String>) -> Error {
    Error::Request {
        item: None,
        field: field.into(),
        message: message.into(),
    }
}

/// An error at a field of item `i`.
pub(super) fn item_err(i: usize, field: &str, message: impl Into<String>) -> Error {
    Error::Request {
        item: Some(i),
        field: field.to_string(),
        message: message.into(),
    }
}

pub(super) fn counter_skus<'a>(r: &Resolved<'a>) -> Vec<&'a str> {
    match (&r.product.charge, &r.product.egress_sku) {
        // A function's invocations also feed the counter of requests.
        (
            Charge::Counter {
                function:
                    Some(crate::catalog::FunctionCounter {
                        requests: Some(req),
                    }),
                ..
            },
            _,
        ) if r.item.function.is_some() => vec![r.product.sku.as_str(), req.as_str()],
        (Charge::Counter { .. }, _) => vec![r.product.sku.as_str()],
        (Charge::Storage { .. }, Some(e)) if r.item.egress_gb.is_some() => vec![e.as_str()],
        _ => vec![],
    }
}

pub(super) fn resolve<'a>(
    book: &'a PriceBook,
    req: &EstimateRequest,
    month: &Period,
    i: usize,
    item: &'a EstimateItem,
) -> Result<Resolved<'a>> {
    let (product, region) = where_sold(book, req, i, item)?;
    if item.count == 0 || item.count > MAX_COUNT {
        return Err(item_err(
            i,
            "count",
            format!("must be from 1 to {MAX_COUNT} (got {})", item.count),
        ));
    }
    let hours = uptime_hours(month, i, item)?;
    check_quantities(product, i, item)?;
    let (monthly, billed) = plan_billed(book, product, &region, i, item)?;
    Ok(Resolved {
        index: i,
        item,
        product,
        region,
        hours,
        monthly,
        billed,
    })
}

/// The item's product and region: a sku of the price list, sold in the item's region (or the
/// request's).
fn where_sold<'a>(
    book: &'a PriceBook,
    req: &EstimateRequest,
    i: usize,
    item: &EstimateItem,
) -> Result<(&'a Product, String)> {
    let product = book.product(&item.sku).ok_or_else(|| {
        item_err(
            i,
            "sku",
            format!("unknown sku `{}` in catalog `{}`", item.sku, book.id()),
        )
    })?;
    let region = item
        .region
        .clone()
        .or_else(|| req.region.clone())
        .ok_or_else(|| {
            item_err(
                i,
                "region",
                "required when the request has no default region",
            )
        })?;
    if !product.prices.contains_key(&region) {
        return Err(item_err(
            i,
            "region",
            format!("sku `{}` is not sold in region `{region}`", item.sku),
        ));
    }
    Ok((product, region))
}

/// The hours the item runs in the month: all of them by default, or its uptime in hours or
/// percent, within the month.
fn uptime_hours(month: &Period, i: usize, item: &EstimateItem) -> Result<Decimal> {
    let month_hours = Decimal::from(month.hours());
    let hours = match item.uptime {
        None => month_hours,
        Some(Uptime::Hours(h)) => h,
        Some(Uptime::Percent(p)) => {
            if p.is_sign_negative() || p > Decimal::ONE_HUNDRED {
                return Err(item_err(
                    i,
                    "uptime.percent",
                    format!("must be from 0 to 100 (got {p})"),
                ));
            }
            // At most 744 x 100: in range.
            month_hours
                .sat_times(p)
                .over(Decimal::ONE_HUNDRED)
                .unwrap_or(month_hours)
        }
    };
    if hours.is_sign_negative() || hours > month_hours {
        return Err(item_err(
            i,
            "uptime.hours",
            format!(
                "must be from 0 to {month_hours}, the hours of {} (got {hours})",
                month.label()
            ),
        ));
    }
    Ok(hours)
}

/// The quantity fields: within the bounds, only those that apply to the product, and what the
/// product needs (storage its GB, a counter one count).
fn check_quantities(product: &Product, i: usize, item: &EstimateItem) -> Result<()> {
    for (field, v) in [
        ("gb", item.gb),
        ("egress_gb", item.egress_gb),
        ("requests", item.requests),
        ("quantity", item.quantity),
        ("commitment", item.commitment),
    ] {
        if v.is_some_and(|v| v.is_sign_negative() && !v.is_zero()) {
            return Err(item_err(i, field, "must not be negative"));
        }
        if let Some(v) = v.filter(|v| *v > crate::num::MAX_QUANTITY) {
            return Err(item_err(
                i,
                field,
                format!("must be at most {} (got {v})", crate::num::MAX_QUANTITY),
            ));
        }
    }
    for (name, v) in &item.dimensions {
        let field = format!("dimensions.{name}");
        product
            .charge
            .check_dimension(&item.sku, name)
            .map_err(|m| item_err(i, &field, m))?;
        if v.is_sign_negative() && !v.is_zero() {
            return Err(item_err(i, &field, "must not be negative"));
        }
        if *v > crate::num::MAX_QUANTITY {
            return Err(item_err(
                i,
                &field,
                format!("must be at most {} (got {v})", crate::num::MAX_QUANTITY),
            ));
        }
    }
    if let Some(f) = &item.function {
        f.check().map_err(|(field, m)| item_err(i, field, m))?;
    }
    let given: Vec<&str> = [
        ("upfront", item.upfront.map(|_| Decimal::ZERO)),
        ("gb", item.gb),
        ("egress_gb", item.egress_gb),
        ("requests", item.requests),
        ("quantity", item.quantity),
        ("commitment", item.commitment),
        ("function", item.function.as_ref().map(|_| Decimal::ZERO)),
    ]
    .iter()
    .filter(|(_, v)| v.is_some())
    .map(|(f, _)| *f)
    .collect();
    let fields = item_fields(product);
    let takes: Vec<&str> = [
        ("gb", fields.gb),
        ("egress_gb", fields.egress_gb),
        ("requests", fields.counted),
        ("quantity", fields.counted),
        ("commitment", fields.commitment),
        ("upfront", fields.commitment),
        ("function", fields.function.is_some()),
    ]
    .iter()
    .filter(|(_, applies)| *applies)
    .map(|(f, _)| *f)
    .collect();
    if let Some(f) = given.iter().find(|f| !takes.contains(f)) {
        return Err(item_err(
            i,
            f,
            format!("does not apply to sku `{}`", item.sku),
        ));
    }
    match &product.charge {
        Charge::Storage { .. } if item.gb.is_none() => {
            return Err(item_err(
                i,
                "gb",
                format!("required for storage sku `{}`", item.sku),
            ));
        }
        Charge::SavingsPlan { .. } => match item.commitment {
            None => {
                return Err(item_err(
                    i,
                    "commitment",
                    format!("required for savings plan `{}`", item.sku),
                ));
            }
            Some(c) if c.is_zero() => {
                return Err(item_err(i, "commitment", "must be above zero"));
            }
            Some(c) if c > crate::num::MAX_PRICE => {
                return Err(item_err(
                    i,
                    "commitment",
                    format!("must be at most {} (got {c})", crate::num::MAX_PRICE),
                ));
            }
            Some(_) => {}
        },
        Charge::Counter { .. } if given.len() != 1 => {
            return Err(item_err(
                i,
                "quantity",
                format!(
                    "give one of egress_gb, requests, quantity{} for counter sku `{}`",
                    if item_fields(product).function.is_some() {
                        " or function"
                    } else {
                        ""
                    },
                    item.sku
                ),
            ));
        }
        _ => {}
    }
    Ok(())
}

/// The monthly plan sold for the item's sku in its region, if any, and the product the item
/// bills (that plan under `plan: monthly`).
fn plan_billed<'a>(
    book: &'a PriceBook,
    product: &'a Product,
    region: &str,
    i: usize,
    item: &EstimateItem,
) -> Result<(Option<&'a Product>, &'a Product)> {
    let monthly = match &product.charge {
        Charge::TimeMetered { .. } => book.versions().last().and_then(|c| {
            c.products
                .iter()
                .find(|p| p.plan_of.as_deref() == Some(&item.sku) && p.prices.contains_key(region))
        }),
        _ => None,
    };
    let billed = match (item.plan, monthly) {
        (Plan::Hourly, _) => product,
        (Plan::Monthly, Some(m)) => m,
        (Plan::Monthly, None) => {
            return Err(item_err(
                i,
                "plan",
                format!(
                    "sku `{}` has no monthly plan in region `{region}`",
                    item.sku
                ),
            ));
        }
    };
    Ok((monthly, billed))
}
