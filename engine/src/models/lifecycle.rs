//! The life of a resource billed by the month, which monthly plans and flat fees share: when it
//! was ordered and deleted, and the calendar month a period bills.

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::event::EventKind;
use crate::quantity::{Ctx, Diagnostic, Group};
use crate::time::{Period, format_instant};

/// The order instant and, if any, the deletion instant of a plan.
pub(crate) fn lifetime(
    group: &Group,
    diags: &mut Vec<Diagnostic>,
) -> Option<(DateTime<Utc>, Option<DateTime<Utc>>)> {
    let mut order = None;
    let mut deleted = None;
    for chunk in group.events.chunk_by(|a, b| a.at == b.at) {
        for e in crate::quantity::at_one_instant(chunk, order.is_some() && deleted.is_none()) {
            match (e.kind, order, deleted) {
                (EventKind::Start, None, _) => order = Some(e.at),
                (EventKind::Delete, Some(_), None) => deleted = Some(e.at),
                (
                    EventKind::Stop | EventKind::Start | EventKind::Sample | EventKind::Increment,
                    Some(_),
                    None,
                ) => {}
                (_, None, _) => diags
                    .push(group.diagnostic(Some(e), "event before the plan was ordered: ignored")),
                (_, Some(_), Some(d)) => diags.push(group.diagnostic(
                    Some(e),
                    format!(
                        "event after the plan was deleted at {}: ignored",
                        format_instant(&d)
                    ),
                )),
            }
        }
    }
    order.map(|o| (o, deleted))
}

/// The calendar month a plan is billed for: the period's own, which the period must lie in
/// (a whole month, or a part of one such as a projection's "so far").
pub(crate) fn month_check(ctx: &Ctx) -> Result<Period> {
    let month = Period::month_of(ctx.period.start);
    if ctx.period.end > month.end {
        return Err(Error::Period(format!(
            "monthly plans and flat fees are billed by calendar month; {} spans more than one",
            ctx.period.label()
        )));
    }
    Ok(month)
}
