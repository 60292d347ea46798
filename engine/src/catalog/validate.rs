//! What a catalog's types cannot say, checked: references, required prices, bounds, signs and
//! tier order. Every error names its JSON path.

use std::collections::BTreeSet;

use rust_decimal::Decimal;

use super::{Catalog, Charge, Granularity, Measure, Price, Product, Tiering};
use crate::error::Result;

impl Catalog {
    /// Checks what the types cannot say: references, required prices, signs and tier order.
    pub fn validate(&self) -> Result<()> {
        if self.id.is_empty() {
            return Err(self.err("id", "must not be empty"));
        }
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(self.err(
                "currency",
                format!("`{}` is not an ISO 4217 code", self.currency),
            ));
        }
        if self.regions.is_empty() {
            return Err(self.err("regions", "at least one region is required"));
        }
        let mut regions = BTreeSet::new();
        for (i, r) in self.regions.iter().enumerate() {
            if !regions.insert(r.id.as_str()) {
                return Err(self.err(
                    format!("regions[{i}].id"),
                    format!("region `{}` is listed twice", r.id),
                ));
            }
        }
        let mut skus = BTreeSet::new();
        for (i, p) in self.products.iter().enumerate() {
            let at = |field: &str| format!("products[{i}].{field}");
            if p.sku.is_empty() {
                return Err(self.err(at("sku"), "must not be empty"));
            }
            if !skus.insert(p.sku.as_str()) {
                return Err(self.err(at("sku"), format!("sku `{}` is listed twice", p.sku)));
            }
            if p.prices.is_empty() {
                return Err(self.err(at("prices"), "at least one region price is required"));
            }
            self.validate_charge(i, p)?;
            for (region, price) in &p.prices {
                let at = |field: &str| format!("products[{i}].prices.{region}{field}");
                if !regions.contains(region.as_str()) {
                    return Err(self.err(at(""), format!("region `{region}` is not in `regions`")));
                }
                self.validate_price(&p.charge, price, &at)?;
            }
        }
        for (i, p) in self.products.iter().enumerate() {
            if let Some(of) = &p.plan_of {
                let ok = matches!(p.charge, Charge::MonthlyPlan { .. })
                    && matches!(
                        self.product(of).map(|t| &t.charge),
                        Some(Charge::TimeMetered { .. })
                    );
                if !ok {
                    return Err(self.err(
                        format!("products[{i}].plan_of"),
                        format!(
                            "`{of}` must be a time_metered sku, and `{}` a monthly_plan product",
                            p.sku
                        ),
                    ));
                }
            }
            if let Some(e) = &p.egress_sku
                && !matches!(
                    self.product(e).map(|t| &t.charge),
                    Some(Charge::Counter { .. })
                )
            {
                return Err(self.err(
                    format!("products[{i}].egress_sku"),
                    format!("`{e}` must be a counter sku"),
                ));
            }
        }
        Ok(())
    }

    /// A sku that prices part of `p`'s usage (its requests, a dimension) is sold in every
    /// region `p` is: otherwise an event accepted for `p` would have no price.
    fn sold_where(&self, p: &Product, linked: &str, at: &str) -> Result<()> {
        let Some(other) = self.product(linked) else {
            return Ok(());
        };
        match p.prices.keys().find(|r| !other.prices.contains_key(*r)) {
            Some(r) => Err(self.err(
                at.to_string(),
                format!(
                    "`{linked}` must be sold in every region `{}` is (not in `{r}`)",
                    p.sku
                ),
            )),
            None => Ok(()),
        }
    }

    fn validate_charge(&self, i: usize, p: &Product) -> Result<()> {
        let at = |field: &str| format!("products[{i}].charge.{field}");
        match &p.charge {
            Charge::TimeMetered {
                monthly_cap,
                freeze_after_hours,
                sustained_use,
                ..
            } => {
                if !sustained_use.is_empty() {
                    if *monthly_cap || freeze_after_hours.is_some() {
                        return Err(self.err(
                            at("sustained_use"),
                            "sustained use prices the month by parts: not with a monthly cap or a freeze",
                        ));
                    }
                    if sustained_use.len() > 12
                        || sustained_use
                            .iter()
                            .any(|p| p.is_sign_negative() || *p > Decimal::ONE_HUNDRED)
                    {
                        return Err(self.err(
                            at("sustained_use"),
                            "1 to 12 parts of the month, each a percent from 0 to 100",
                        ));
                    }
                }
                if *monthly_cap && p.prices.values().any(|pr| pr.monthly_price.is_none()) {
                    return Err(self.err(
                        at("monthly_cap"),
                        "a monthly cap needs a `monthly_price` in every region",
                    ));
                }
                if *freeze_after_hours == Some(0) {
                    return Err(self.err(at("freeze_after_hours"), "must be at least 1"));
                }
            }
            Charge::Counter {
                unit,
                price_per,
                free_allowance,
                allowance_in_first_tier,
                tiering,
                package_size,
                included,
                function,
            } => {
                if let Some(r) = function.as_ref().and_then(|f| f.requests.as_ref()) {
                    let counts = matches!(
                        self.product(r).map(|t| &t.charge),
                        Some(Charge::Counter { function: None, .. })
                    );
                    if !counts || r == &p.sku {
                        return Err(self.err(
                            at("function.requests"),
                            format!(
                                "`{r}` must be another counter sku of this catalog, without `function`"
                            ),
                        ));
                    }
                    self.sold_where(p, r, &at("function.requests"))?;
                }
                if *allowance_in_first_tier
                    && !matches!(tiering, Tiering::Graduated | Tiering::Volume)
                {
                    return Err(self.err(
                        at("allowance_in_first_tier"),
                        "only graduated or volume tiering has a first tier to count the allowance in",
                    ));
                }
                if unit.is_empty() {
                    return Err(self.err(at("unit"), "must not be empty"));
                }
                for (k, inc) in included.iter().enumerate() {
                    // A capped month is one line at the monthly price: its hours are not on it.
                    let time = matches!(
                        self.product(&inc.sku).map(|t| &t.charge),
                        Some(Charge::TimeMetered {
                            monthly_cap: false,
                            ..
                        })
                    );
                    if !time {
                        return Err(self.err(
                            at(&format!("included[{k}].sku")),
                            format!(
                                "`{}` must be a time_metered sku of this catalog without a monthly cap",
                                inc.sku
                            ),
                        ));
                    }
                    if let Err(m) = crate::num::within(inc.per_month, crate::num::MAX_QUANTITY, "")
                    {
                        return Err(self.err(
                            at(&format!("included[{k}].per_month")),
                            m.trim_start().to_string(),
                        ));
                    }
                }
                if *price_per <= Decimal::ZERO {
                    return Err(self.err(at("price_per"), "must be greater than zero"));
                }
                if let Err(m) = crate::num::within(*free_allowance, crate::num::MAX_QUANTITY, "") {
                    return Err(self.err(at("free_allowance"), m.trim_start().to_string()));
                }
                if *price_per > crate::num::MAX_QUANTITY
                    || package_size.is_some_and(|s| s > crate::num::MAX_QUANTITY)
                {
                    return Err(self.err(
                        at("price_per"),
                        format!(
                            "price_per and package_size must be at most {}",
                            crate::num::MAX_QUANTITY
                        ),
                    ));
                }
                match (tiering, package_size) {
                    (Tiering::Package, Some(s)) if *s > Decimal::ZERO => {}
                    (Tiering::Package, _) => {
                        return Err(self.err(
                            at("package_size"),
                            "package tiering needs a package_size above zero",
                        ));
                    }
                    (_, Some(_)) => {
                        return Err(self.err(
                            at("package_size"),
                            "only package tiering takes a package_size",
                        ));
                    }
                    _ => {}
                }
            }
            Charge::ShareOfSpend { services } => {
                if services.iter().any(|s| s.is_empty() || *s == p.service) {
                    return Err(self.err(
                        at("services"),
                        "names services other than its own, none empty",
                    ));
                }
            }
            Charge::SavingsPlan {
                term_months,
                partial_upfront_percent,
                eligible,
                ..
            } => {
                if !(1..=120).contains(term_months) {
                    return Err(self.err(
                        at("term_months"),
                        format!("must be from 1 to 120 (got {term_months})"),
                    ));
                }
                if partial_upfront_percent.is_sign_negative()
                    || *partial_upfront_percent > Decimal::ONE_HUNDRED
                {
                    return Err(self.err(
                        at("partial_upfront_percent"),
                        format!("must be from 0 to 100 (got {partial_upfront_percent})"),
                    ));
                }
                if eligible.is_empty() {
                    return Err(self.err(at("eligible"), "at least one sku is required"));
                }
                let mut seen = BTreeSet::new();
                for (k, e) in eligible.iter().enumerate() {
                    let at = |f: &str| at(&format!("eligible[{k}].{f}"));
                    if !seen.insert(e.sku.as_str()) {
                        return Err(self.err(at("sku"), format!("`{}` is listed twice", e.sku)));
                    }
                    // Coverage is counted hour by hour from the runs: a cap or a freeze, which
                    // bill a month or a run as a whole, has no price per hour to cover.
                    let plain = matches!(
                        self.product(&e.sku).map(|t| &t.charge),
                        Some(Charge::TimeMetered {
                            monthly_cap: false,
                            freeze_after_hours: None,
                            sustained_use,
                            ..
                        }) if sustained_use.is_empty()
                    );
                    if !plain {
                        return Err(self.err(
                            at("sku"),
                            format!(
                                "`{}` must be a time_metered sku of this catalog, without a monthly cap, a freeze or sustained use",
                                e.sku
                            ),
                        ));
                    }
                    if e.percent <= Decimal::ZERO || e.percent >= Decimal::ONE_HUNDRED {
                        return Err(self.err(
                            at("percent"),
                            format!("must be above 0 and below 100 (got {})", e.percent),
                        ));
                    }
                }
            }
            Charge::Storage {
                minimum_days: Some(d),
                ..
            } if !(1..=3650).contains(d) => {
                return Err(self.err(
                    at("minimum_days"),
                    format!("must be from 1 to 3650 (got {d})"),
                ));
            }
            Charge::Storage {
                measure,
                granularity,
                minimum_seconds,
                minimum_days,
                unit,
                dimensions,
                ..
            } => {
                let fine = matches!(granularity, Some(Granularity::Second | Granularity::Minute));
                if fine && *measure != Measure::Provisioned {
                    return Err(self.err(
                        at("granularity"),
                        "per second or minute measures a provisioned size only",
                    ));
                }
                if fine && minimum_days.is_some() {
                    return Err(self.err(
                        at("minimum_days"),
                        "a minimum in days goes with hourly storage only",
                    ));
                }
                if fine && p.prices.values().any(|pr| pr.tiers.is_some()) {
                    return Err(self.err(
                        at("granularity"),
                        "tiers of GB-months go with hourly storage only",
                    ));
                }
                if *minimum_seconds > 0 && !fine {
                    return Err(self.err(
                        at("minimum_seconds"),
                        "applies to storage measured per second or minute",
                    ));
                }
                if *minimum_seconds > 31 * 86_400 {
                    return Err(self.err(
                        at("minimum_seconds"),
                        format!("must be at most 2678400 (got {minimum_seconds})"),
                    ));
                }
                if unit.as_deref().is_some_and(str::is_empty) {
                    return Err(self.err(at("unit"), "must not be empty"));
                }
                for (k, d) in dimensions.iter().enumerate() {
                    let ok = match self.product(&d.sku).map(|t| &t.charge) {
                        Some(Charge::Storage {
                            measure: Measure::Provisioned,
                            granularity: g,
                            unit: Some(u),
                            dimensions: inner,
                            ..
                        }) => g == granularity && *u == d.name && inner.is_empty(),
                        _ => false,
                    };
                    if !ok || d.sku == p.sku {
                        return Err(self.err(
                            at(&format!("dimensions[{k}].sku")),
                            format!(
                                "`{}` must be another provisioned storage sku of this catalog, measured like this one, with `unit` `{}` and no dimensions of its own",
                                d.sku, d.name
                            ),
                        ));
                    }
                    self.sold_where(p, &d.sku, &at(&format!("dimensions[{k}].sku")))?;
                    if dimensions[..k].iter().any(|o| o.name == d.name) {
                        return Err(self.err(
                            at(&format!("dimensions[{k}].name")),
                            format!("`{}` is named twice", d.name),
                        ));
                    }
                    if let Err(m) = crate::num::within(d.baseline, crate::num::MAX_QUANTITY, "") {
                        return Err(self.err(
                            at(&format!("dimensions[{k}].baseline")),
                            m.trim_start().to_string(),
                        ));
                    }
                }
            }
            Charge::MonthlyPlan { .. } | Charge::Flat {} => {}
        }
        Ok(())
    }

    fn validate_price(
        &self,
        charge: &Charge,
        price: &Price,
        at: &dyn Fn(&str) -> String,
    ) -> Result<()> {
        for (name, v) in [
            ("unit_price", price.unit_price),
            ("monthly_price", price.monthly_price),
        ] {
            if let Some(Err(m)) = v.map(|v| crate::num::within(v, crate::num::MAX_PRICE, "")) {
                return Err(self.err(at(&format!(".{name}")), m.trim_start().to_string()));
            }
        }
        let needs_unit = match charge {
            Charge::TimeMetered { .. } => true,
            // Storage takes a unit price or graduated tiers of the account's GB-months.
            Charge::Storage { .. } => price.tiers.is_none(),
            Charge::Counter { tiering, .. } => matches!(tiering, Tiering::None | Tiering::Package),
            Charge::MonthlyPlan { .. }
            | Charge::Flat {}
            | Charge::ShareOfSpend { .. }
            | Charge::SavingsPlan { .. } => false,
        };
        if needs_unit && price.unit_price.is_none() {
            return Err(self.err(at(".unit_price"), "required for this charge model"));
        }
        if matches!(charge, Charge::MonthlyPlan { .. } | Charge::Flat {})
            && price.monthly_price.is_none()
        {
            return Err(self.err(at(".monthly_price"), "required for this charge model"));
        }
        let tiered = matches!(
            charge,
            Charge::Counter {
                tiering: Tiering::Graduated | Tiering::Volume,
                ..
            } | Charge::ShareOfSpend { .. }
        ) || matches!(charge, Charge::Storage { .. }) && price.tiers.is_some();
        match (&price.tiers, tiered) {
            (None, true) => {
                return Err(self.err(
                    at(".tiers"),
                    "required for graduated or volume tiering and a share of spend",
                ));
            }
            (Some(_), false) => {
                return Err(self.err(
                    at(".tiers"),
                    "only storage, graduated or volume counters and a share of spend take tiers",
                ));
            }
            (Some(tiers), true) => {
                if tiers.is_empty() {
                    return Err(self.err(at(".tiers"), "at least one tier is required"));
                }
                let mut prev = Decimal::ZERO;
                for (k, t) in tiers.iter().enumerate() {
                    let last = k.saturating_add(1) == tiers.len();
                    if let Err(m) = crate::num::within(t.unit_price, crate::num::MAX_PRICE, "") {
                        return Err(self.err(
                            at(&format!(".tiers[{k}].unit_price")),
                            m.trim_start().to_string(),
                        ));
                    }
                    match (t.up_to, last) {
                        (None, true) => {}
                        (None, false) => {
                            return Err(self.err(
                                at(&format!(".tiers[{k}].up_to")),
                                "only the last tier may be unbounded",
                            ));
                        }
                        (Some(_), true) => {
                            return Err(self.err(
                                at(&format!(".tiers[{k}].up_to")),
                                "the last tier must be unbounded",
                            ));
                        }
                        (Some(u), false) => {
                            if u <= prev {
                                return Err(self.err(
                                    at(&format!(".tiers[{k}].up_to")),
                                    "tiers must increase",
                                ));
                            }
                            prev = u;
                        }
                    }
                }
            }
            (None, false) => {}
        }
        Ok(())
    }
}
