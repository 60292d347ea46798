//! The products a price list offers, as the calculator lists them: their kind (instance,
//! volume, object storage, network, counter), their size, and the filter the product list
//! applies. No DOM: tested natively.

use ratecard::catalog::Charge;
use rust_decimal::Decimal;

/// A product as the calculator lists it.
#[derive(Clone, PartialEq)]
pub struct Offer {
    pub sku: String,
    pub label: String,
    /// The label on a French page (the catalog's French description, when it has one).
    pub label_fr: String,
    pub kind: &'static str,
    pub family: String,
    pub vcpu: u32,
    pub ram: Decimal,
    /// The price list's currency (a commitment is in it).
    pub currency: String,
    /// The fields that apply to the product, as the engine reads them.
    pub fields: ratecard::estimate::ItemFields,
    /// For a counter: the unit it counts (the label of its count field); for a savings plan,
    /// what its commitment is per (`hour` or `month`).
    pub unit: String,
    /// A volume's further provisioned dimensions: (name, free baseline per resource).
    pub dimensions: Vec<(String, Decimal)>,
}

/// The products of a price list's latest version, as the calculator lists them.
pub fn offers(catalog: &str) -> Vec<Offer> {
    let Ok(book) = super::book(catalog) else {
        return Vec::new();
    };
    let Some(latest) = book.versions().last() else {
        return Vec::new();
    };
    latest
        .products
        .iter()
        // A monthly plan is offered through its hourly sku, a volume's dimension through it.
        .filter(|p| {
            p.plan_of.is_none()
                && !latest
                    .products
                    .iter()
                    .any(|o| o.charge.dimensions().iter().any(|d| d.sku == p.sku))
        })
        .map(|p| Offer {
            sku: p.sku.clone(),
            label: format!("{} - {}", p.sku, p.description),
            label_fr: format!(
                "{} - {}",
                p.sku,
                p.description_fr.as_deref().unwrap_or(&p.description)
            ),
            unit: match &p.charge {
                Charge::Counter { unit, .. } => unit.clone(),
                Charge::SavingsPlan { commitment, .. } => match commitment {
                    ratecard::catalog::CommitmentKind::Hourly => "hour".into(),
                    ratecard::catalog::CommitmentKind::Monthly => "month".into(),
                },
                _ => String::new(),
            },
            kind: ratecard::estimate::product_kind(p),
            family: p.family.clone().unwrap_or_default(),
            vcpu: p.vcpu.unwrap_or(0),
            ram: p.ram_gib.unwrap_or_default(),
            currency: latest.currency.clone(),
            fields: ratecard::estimate::item_fields(p),
            dimensions: p
                .charge
                .dimensions()
                .iter()
                .map(|d| (d.name.clone(), d.baseline))
                .collect(),
        })
        .collect()
}

/// The regions of a price list's latest version: (id, name).
pub fn regions(catalog: &str) -> Vec<(String, String)> {
    super::book(catalog)
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

impl Offer {
    pub fn label_in(&self, lang: super::Lang) -> String {
        match lang {
            super::Lang::Fr => self.label_fr.clone(),
            super::Lang::En => self.label.clone(),
        }
    }

    /// Whether a row of `kind` lists this product, under the instance filters (family, at
    /// least `min_vcpu` vCPU and `min_ram` GiB); the filters apply to instances only.
    pub fn matches(&self, kind: &str, family: &str, min_vcpu: u32, min_ram: Decimal) -> bool {
        self.kind == kind
            && (kind != "instance"
                || ((family.is_empty() || self.family == family)
                    && self.vcpu >= min_vcpu
                    && self.ram >= min_ram))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offers_are_classified_and_filtered() {
        let all = offers("stratus");
        let kind = |sku: &str| all.iter().find(|o| o.sku == sku).map(|o| o.kind);
        assert_eq!(kind("b2-15"), Some("instance"));
        assert_eq!(kind("classic-volume"), Some("volume"));
        assert_eq!(kind("object-storage"), Some("object"));
        assert_eq!(kind("object-egress"), Some("counter"));
        assert_eq!(kind("failover-ip"), Some("network"));
        // Monthly plans are offered through their hourly sku, not on their own.
        assert_eq!(kind("b2-15-monthly"), None);
        let b2_30 = all.iter().find(|o| o.sku == "b2-30").expect("b2-30");
        assert!(b2_30.matches("instance", "", 0, Decimal::ZERO));
        assert!(!b2_30.matches("volume", "", 0, Decimal::ZERO));
        assert!(!b2_30.matches("instance", "", b2_30.vcpu + 1, Decimal::ZERO));
        assert!(!b2_30.matches("instance", "no-such-family", 0, Decimal::ZERO));
        // Storage keeps the uptime field the engine reads; a flat fee has none.
        assert!(kind("classic-volume").is_some());
        let fields = |sku: &str| all.iter().find(|o| o.sku == sku).map(|o| o.fields.uptime);
        assert_eq!(fields("classic-volume"), Some(true));
        assert_eq!(fields("failover-ip"), Some(false));
        assert!(!regions("stratus").is_empty());
        // The one count each product reads, as the engine keeps it.
        let reads = |cat: &str, sku: &str, field: &str| {
            offers(cat)
                .iter()
                .find(|o| o.sku == sku)
                .is_some_and(|o| o.fields.reads(field))
        };
        assert!(reads("stratus", "object-storage", "egress_gb"));
        assert!(reads("stratus", "object-egress", "egress_gb"));
        assert!(!reads("stratus", "object-egress", "requests"));
        assert!(reads("nimbus", "functions-requests", "requests"));
        assert!(!reads("nimbus", "functions-requests", "egress_gb"));
        assert!(!reads("stratus", "failover-ip", "uptime"));
    }
}
