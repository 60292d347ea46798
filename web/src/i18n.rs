//! French and English labels, and amounts formatted for the language: `20,97 EUR` in French,
//! `EUR 20.97` in English.

use rust_decimal::Decimal;

use crate::state::Lang;

/// The label for `key` in `lang`; the key itself when there is none (visible, never blank).
pub fn t(lang: Lang, key: &'static str) -> &'static str {
    let fr = match key {
        "title" => "Calculateur de prix cloud",
        "catalog" => "Tarif",
        "month" => "Mois",
        "region" => "Région",
        "default_region" => "comme ci-dessus",
        "compose" => "Composer",
        "add_instance" => "Ajouter une instance",
        "add_volume" => "Ajouter un volume",
        "add_object" => "Ajouter du stockage objet",
        "add_ip" => "Ajouter une IP",
        "add_other" => "Ajouter un autre produit",
        "product" => "Produit",
        "count" => "Nombre",
        "plan" => "Formule",
        "hourly" => "À l'heure",
        "monthly" => "Au mois",
        "uptime" => "Disponibilité",
        "percent" => "%",
        "hours" => "heures",
        "gb" => "Go",
        "egress_gb" => "Sortie (Go)",
        "requests" => "Requêtes",
        "duplicate" => "Dupliquer",
        "remove" => "Supprimer",
        "family" => "Famille",
        "min_vcpu" => "vCPU min.",
        "min_ram" => "RAM min. (Gio)",
        "compare" => "Comparer les formules",
        "cheaper" => "la moins chère",
        "break_even" => "Seuil de rentabilité",
        "no_break_even" => "le mensuel ne devient jamais rentable ce mois-ci",
        "taxes" => "Taxes et devise",
        "country" => "Pays du client",
        "business" => "Entreprise",
        "consumer" => "Particulier",
        "vat_number" => "Numéro de TVA",
        "currency" => "Devise",
        "rate_of" => "taux BCE du",
        "breakdown" => "Répartition",
        "service" => "Service",
        "amount" => "Montant",
        "total_net" => "Total HT",
        "vat" => "TVA",
        "total_gross" => "Total TTC",
        "pricing_view" => "Vue tarifaire",
        "compare_region" => "Comparer avec la région",
        "none" => "aucune",
        "difference" => "Écart",
        "quote" => "Mode devis",
        "customer_name" => "Client",
        "quote_number" => "Numéro de devis",
        "valid_until" => "Valable jusqu'au",
        "issue_date" => "Date",
        "discount" => "Remise (%)",
        "notes" => "Notes",
        "print" => "Imprimer",
        "keep" => "Garder et partager",
        "share" => "Lien de partage",
        "save" => "Enregistrer",
        "name" => "Nom",
        "saved" => "Estimations enregistrées",
        "load" => "Ouvrir",
        "export_json" => "Exporter JSON",
        "export_csv" => "Exporter CSV",
        "import_json" => "Importer JSON",
        "lines" => "Lignes",
        "empty" => "Ajoutez une ligne pour voir un prix.",
        "per_month" => "par mois",
        _ => "",
    };
    let en = match key {
        "title" => "Cloud pricing calculator",
        "catalog" => "Price list",
        "month" => "Month",
        "region" => "Region",
        "default_region" => "as above",
        "compose" => "Compose",
        "add_instance" => "Add an instance",
        "add_volume" => "Add a volume",
        "add_object" => "Add object storage",
        "add_ip" => "Add an IP",
        "add_other" => "Add another product",
        "product" => "Product",
        "count" => "Count",
        "plan" => "Plan",
        "hourly" => "Hourly",
        "monthly" => "Monthly",
        "uptime" => "Uptime",
        "percent" => "%",
        "hours" => "hours",
        "gb" => "GB",
        "egress_gb" => "Egress (GB)",
        "requests" => "Requests",
        "duplicate" => "Duplicate",
        "remove" => "Remove",
        "family" => "Family",
        "min_vcpu" => "Min vCPU",
        "min_ram" => "Min RAM (GiB)",
        "compare" => "Compare plans",
        "cheaper" => "cheaper",
        "break_even" => "Break-even",
        "no_break_even" => "monthly never pays off this month",
        "taxes" => "Taxes and currency",
        "country" => "Customer country",
        "business" => "Business",
        "consumer" => "Consumer",
        "vat_number" => "VAT number",
        "currency" => "Currency",
        "rate_of" => "ECB rate of",
        "breakdown" => "Breakdown",
        "service" => "Service",
        "amount" => "Amount",
        "total_net" => "Total excl. VAT",
        "vat" => "VAT",
        "total_gross" => "Total incl. VAT",
        "pricing_view" => "Pricing view",
        "compare_region" => "Compare with region",
        "none" => "none",
        "difference" => "Difference",
        "quote" => "Quote mode",
        "customer_name" => "Customer",
        "quote_number" => "Quote number",
        "valid_until" => "Valid until",
        "issue_date" => "Date",
        "discount" => "Discount (%)",
        "notes" => "Notes",
        "print" => "Print",
        "keep" => "Keep and share",
        "share" => "Share link",
        "save" => "Save",
        "name" => "Name",
        "saved" => "Saved estimates",
        "load" => "Open",
        "export_json" => "Export JSON",
        "export_csv" => "Export CSV",
        "import_json" => "Import JSON",
        "lines" => "Lines",
        "empty" => "Add a line to see a price.",
        "per_month" => "per month",
        _ => "",
    };
    let s = if lang == Lang::Fr { fr } else { en };
    if s.is_empty() { key } else { s }
}

/// An amount for the language: `1 234,50 EUR` (French, narrow no-break space) or
/// `EUR 1,234.50` (English).
pub fn money(amount: Decimal, currency: &str, lang: Lang) -> String {
    let text = amount.to_string();
    let (sign, digits) = text
        .strip_prefix('-')
        .map_or(("", text.as_str()), |d| ("-", d));
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let sep = if lang == Lang::Fr { "\u{202f}" } else { "," };
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push_str(sep);
        }
        grouped.push(ch);
    }
    let dot = if lang == Lang::Fr { "," } else { "." };
    let number = if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}{dot}{frac}")
    };
    match lang {
        Lang::Fr => format!("{number} {currency}"),
        Lang::En => format!("{currency} {number}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_per_language() {
        let d: Decimal = "20.97".parse().unwrap();
        assert_eq!(money(d, "EUR", Lang::Fr), "20,97 EUR");
        assert_eq!(money(d, "EUR", Lang::En), "EUR 20.97");
        let big: Decimal = "1234567.50".parse().unwrap();
        assert_eq!(
            money(big, "EUR", Lang::Fr),
            "1\u{202f}234\u{202f}567,50 EUR"
        );
        assert_eq!(money(big, "USD", Lang::En), "USD 1,234,567.50");
    }
}
