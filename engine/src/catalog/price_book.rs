//! The versions of one price list, and the price in force at an instant.

use chrono::{DateTime, Utc};

use super::{AppliesTo, Catalog, Price, Product};
use crate::error::{Error, Result};
use crate::time::{self, Period};

/// The versions of one price list, ordered by `effective_from`. Rating picks, for each segment of
/// usage, the version in force at the segment's start. Only prices may change between versions:
/// the charge rules of a sku must stay the same, so that metering does not depend on the date.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceBook {
    versions: Vec<Catalog>,
}

impl PriceBook {
    pub fn new(versions: Vec<Catalog>) -> Result<Self> {
        if versions.is_empty() {
            return Err(Error::PriceBook(
                "at least one catalog version is required".into(),
            ));
        }
        // In force order, equal instants in the order given (reported below). Insertion keeps
        // it stable without a sort routine: a price book has a handful of versions.
        let mut sorted: Vec<Catalog> = Vec::with_capacity(versions.len());
        for c in versions {
            let at = sorted.partition_point(|s| s.effective_from <= c.effective_from);
            sorted.insert(at, c);
        }
        let versions = sorted;
        let first = &versions[0];
        for v in &versions[1..] {
            if v.id != first.id || v.currency != first.currency {
                return Err(Error::PriceBook(format!(
                    "{} and {} are not versions of one price list (id and currency must match)",
                    first.reference(),
                    v.reference()
                )));
            }
        }
        for pair in versions.windows(2) {
            if pair[0].effective_from == pair[1].effective_from {
                return Err(Error::PriceBook(format!(
                    "{} and {} take effect at the same instant",
                    pair[0].reference(),
                    pair[1].reference()
                )));
            }
            for p in &pair[1].products {
                if let Some(old) = pair[0].product(&p.sku)
                    && old.charge != p.charge
                {
                    return Err(Error::PriceBook(format!(
                        "the charge rules of sku `{}` differ between {} and {}: only prices may change",
                        p.sku,
                        pair[0].reference(),
                        pair[1].reference()
                    )));
                }
            }
        }
        Ok(PriceBook { versions })
    }

    pub fn single(catalog: Catalog) -> Self {
        PriceBook {
            versions: vec![catalog],
        }
    }

    /// A book of one version in force at every time: a what-if price list (a negotiated rate
    /// card, a budget price list, another version) that values any period's quantities.
    pub fn throughout(mut catalog: Catalog) -> Self {
        catalog.effective_from = DateTime::<Utc>::MIN_UTC;
        PriceBook::single(catalog)
    }

    pub fn id(&self) -> &str {
        &self.versions[0].id
    }

    pub fn currency(&self) -> &str {
        &self.versions[0].currency
    }

    pub fn versions(&self) -> &[Catalog] {
        &self.versions
    }

    /// The version in force at `t`, if any.
    pub fn at(&self, t: DateTime<Utc>) -> Option<&Catalog> {
        self.versions.iter().rev().find(|c| c.effective_from <= t)
    }

    /// The newest version that knows the sku: where its charge rules are read.
    pub fn product(&self, sku: &str) -> Option<&Product> {
        self.versions.iter().rev().find_map(|c| c.product(sku))
    }

    pub fn has_region(&self, region: &str) -> bool {
        self.versions.iter().any(|c| c.has_region(region))
    }

    /// The period cut at each version boundary inside it. Errors if no version is in force at the
    /// start of the period.
    pub fn segments(&self, period: &Period) -> Result<Vec<Period>> {
        if self.at(period.start).is_none() {
            return Err(Error::PriceBook(format!(
                "no version of catalog `{}` is in force at {} (the first takes effect at {})",
                self.id(),
                time::format_instant(&period.start),
                time::format_instant(&self.versions[0].effective_from)
            )));
        }
        let mut cuts: Vec<DateTime<Utc>> = self
            .versions
            .iter()
            .map(|c| c.effective_from)
            .filter(|t| period.start < *t && *t < period.end)
            .collect();
        cuts.push(period.end);
        let mut start = period.start;
        let mut out = Vec::with_capacity(cuts.len());
        for end in cuts {
            out.push(Period { start, end });
            start = end;
        }
        Ok(out)
    }

    /// The version whose prices apply at `t` to a resource ordered at `ordered_at` (none for an
    /// account's counters): the version in force at `t`, passing over the versions for new
    /// resources only that came after the order. The one place this rule is decided.
    pub fn for_order(
        &self,
        t: DateTime<Utc>,
        ordered_at: Option<DateTime<Utc>>,
    ) -> Option<&Catalog> {
        let in_force = self.versions.iter().rev().filter(|c| c.effective_from <= t);
        match ordered_at {
            None => self.at(t),
            // Ordered before every version in force: the first one, which priced everything
            // before it came (a first version for new resources only has no older price).
            Some(o) => in_force
                .clone()
                .find(|c| c.applies_to == AppliesTo::All || c.effective_from <= o)
                .or_else(|| self.versions.first().filter(|c| c.effective_from <= t)),
        }
    }

    /// Whether a version fixes prices at order: only then do quantities carry their order.
    pub fn fixes_prices_at_order(&self) -> bool {
        self.versions
            .iter()
            .skip(1)
            .any(|c| c.applies_to == AppliesTo::NewResources)
    }

    /// The price of a metered quantity: its sku and region at its `price_at`, for its
    /// resource's order (see [`PriceBook::for_order`]).
    pub fn price_of(&self, q: &crate::quantity::Quantity) -> Result<(&Catalog, &Price)> {
        self.price_ordered(&q.sku, &q.region, q.price_at, q.ordered_at)
    }

    /// The price of `sku` in `region` in force at `t`, with the version that set it.
    pub fn price(&self, sku: &str, region: &str, t: DateTime<Utc>) -> Result<(&Catalog, &Price)> {
        self.price_ordered(sku, region, t, None)
    }

    fn price_ordered(
        &self,
        sku: &str,
        region: &str,
        t: DateTime<Utc>,
        ordered_at: Option<DateTime<Utc>>,
    ) -> Result<(&Catalog, &Price)> {
        let no_price = |catalog: String, message: String| Error::NoPrice {
            catalog,
            sku: sku.to_string(),
            region: region.to_string(),
            message,
        };
        let catalog = self.for_order(t, ordered_at).ok_or_else(|| {
            no_price(
                self.id().to_string(),
                format!("no version in force at {}", time::format_instant(&t)),
            )
        })?;
        let product = catalog.product(sku).ok_or_else(|| {
            no_price(catalog.reference(), "the sku is not in this version".into())
        })?;
        let price = product.prices.get(region).ok_or_else(|| {
            no_price(
                catalog.reference(),
                "the sku has no price in this region".into(),
            )
        })?;
        Ok((catalog, price))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_instant;

    fn version(effective: &str, version: &str, applies: &str) -> Catalog {
        let mut v: serde_json::Value =
            serde_json::from_str(include_str!("../../../catalog/stratus-2026-01.json"))
                .expect("json");
        v["effective_from"] = effective.into();
        v["version"] = version.into();
        v["applies_to"] = applies.into();
        Catalog::from_json(&v.to_string()).expect("catalog")
    }

    /// The version a resource's price comes from, by when it was ordered: versions for new
    /// resources only are passed over for older resources, down to the first version, which
    /// priced everything ordered before it.
    #[test]
    fn the_version_of_an_order() {
        let t = |s: &str| parse_instant(s).expect("instant");
        let april = t("2026-04-10T00:00:00Z");
        for first in ["all", "new_resources"] {
            let book = PriceBook::new(vec![
                version("2026-01-01T00:00:00Z", "2026-01", first),
                version("2026-03-15T00:00:00Z", "2026-03", "new_resources"),
            ])
            .expect("book");
            let of = |ordered: &str| {
                book.for_order(april, Some(t(ordered)))
                    .map(|c| c.version.clone())
            };
            assert_eq!(
                of("2025-12-01T00:00:00Z").as_deref(),
                Some("2026-01"),
                "{first}"
            );
            assert_eq!(
                of("2026-02-01T00:00:00Z").as_deref(),
                Some("2026-01"),
                "{first}"
            );
            assert_eq!(
                of("2026-03-15T00:00:00Z").as_deref(),
                Some("2026-03"),
                "{first}"
            );
            assert_eq!(
                book.for_order(april, None).map(|c| c.version.as_str()),
                Some("2026-03")
            );
        }
    }
}
