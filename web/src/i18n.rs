//! French and English labels, and amounts formatted for the language: `20,97 EUR` in French,
//! `EUR 20.97` in English.

use rust_decimal::Decimal;

use crate::state::Lang;

/// Every label: key, English, French. One table rather than a `match` per language: the same
/// strings in less code, and each key written once.
const LABELS: &[(&str, &str, &str)] = &[
    (
        "title",
        "Cloud pricing calculator",
        "Calculateur de prix cloud",
    ),
    ("catalog", "Price list", "Tarif"),
    ("month", "Month", "Mois"),
    ("region", "Region", "Région"),
    ("default_region", "as above", "comme ci-dessus"),
    ("compose", "Compose", "Composer"),
    ("add_instance", "Add an instance", "Ajouter une instance"),
    ("add_volume", "Add a volume", "Ajouter un volume"),
    (
        "add_object",
        "Add object storage",
        "Ajouter du stockage objet",
    ),
    ("add_ip", "Add an IP", "Ajouter une IP"),
    (
        "add_other",
        "Add another product",
        "Ajouter un autre produit",
    ),
    (
        "add_support",
        "Add a support plan",
        "Ajouter un plan de support",
    ),
    (
        "add_commitment",
        "Add a savings plan",
        "Ajouter un engagement (savings plan)",
    ),
    ("commitment", "Commitment", "Engagement"),
    ("per_hour", "per hour", "par heure"),
    ("upfront", "Paid upfront", "Payé d’avance"),
    ("upfront_none", "No upfront", "Rien d’avance"),
    ("upfront_partial", "Partial upfront", "Une partie d’avance"),
    ("upfront_all", "All upfront", "Tout d’avance"),
    ("ways_to_pay", "Ways to pay", "Façons de payer"),
    (
        "ways_to_pay_hint",
        "The same usage, paid each way: savings plans at the commitment the usage uses in full, excluding VAT.",
        "Le même usage, payé de chaque façon : engagements au montant que l’usage utilise entièrement, hors TVA.",
    ),
    ("on_demand", "On demand", "À la demande"),
    ("monthly_plans", "Monthly plans", "Forfaits mensuels"),
    ("each_month", "Each month", "Chaque mois"),
    ("first_12_months", "First 12 months", "12 premiers mois"),
    ("over_term", "Over the term", "Sur la durée"),
    ("months", "months", "mois"),
    ("saving", "Saving over the term", "Économie sur la durée"),
    ("break_even_use", "Pays off from", "Rentable à partir de"),
    (
        "of_commitment_used",
        "of the commitment used",
        "de l’engagement utilisé",
    ),
    (
        "term_title",
        "Over time, excluding VAT",
        "Dans la durée, hors TVA",
    ),
    (
        "term_title_list",
        "Over time, excluding VAT, at list prices (before the quote's discounts)",
        "Dans la durée, hors TVA, au prix catalogue (avant les remises du devis)",
    ),
    ("product", "Product", "Produit"),
    ("count", "Count", "Nombre"),
    ("plan", "Plan", "Formule"),
    ("hourly", "Hourly", "À l'heure"),
    ("monthly", "Monthly", "Au mois"),
    ("uptime", "Uptime", "Disponibilité"),
    ("percent", "%", "%"),
    ("hours", "hours", "heures"),
    ("gb", "GB", "Go"),
    ("egress_gb", "Egress (GB)", "Sortie (Go)"),
    ("requests", "Requests", "Requêtes"),
    ("invocations", "Invocations a month", "Invocations par mois"),
    (
        "concurrency",
        "Instances kept warm",
        "Instances maintenues prêtes",
    ),
    ("duration_ms", "Duration (ms)", "Durée (ms)"),
    ("memory_mb", "Memory (MB)", "Mémoire (Mo)"),
    ("included", "included", "inclus"),
    ("duplicate", "Duplicate", "Dupliquer"),
    ("remove", "Remove", "Supprimer"),
    ("family", "Family", "Famille"),
    ("min_vcpu", "Min vCPU", "vCPU min."),
    ("min_ram", "Min RAM (GiB)", "RAM min. (Gio)"),
    ("compare", "Compare plans", "Comparer les formules"),
    ("cheaper", "cheaper", "la moins chère"),
    ("break_even", "Break-even", "Seuil de rentabilité"),
    (
        "no_break_even",
        "monthly never pays off this month",
        "le mensuel ne devient jamais rentable ce mois-ci",
    ),
    ("taxes", "Taxes and currency", "Taxes et devise"),
    ("country", "Customer country", "Pays du client"),
    ("business", "Business", "Entreprise"),
    ("consumer", "Consumer", "Particulier"),
    ("vat_number", "VAT number", "Numéro de TVA"),
    ("currency", "Currency", "Devise"),
    ("rate_of", "ECB rate of", "taux BCE du"),
    ("breakdown", "Breakdown", "Répartition"),
    ("service", "Service", "Service"),
    ("amount", "Amount", "Montant"),
    ("total_net", "Total excl. VAT", "Total HT"),
    ("vat", "VAT", "TVA"),
    ("total_gross", "Total incl. VAT", "Total TTC"),
    ("pricing_view", "Pricing view", "Vue tarifaire"),
    (
        "compare_region",
        "Compare with region",
        "Comparer avec la région",
    ),
    ("none", "none", "aucune"),
    ("difference", "Difference", "Écart"),
    ("quote", "Quote mode", "Mode devis"),
    ("customer_name", "Customer", "Client"),
    ("quote_number", "Quote number", "Numéro de devis"),
    ("valid_until", "Valid until", "Valable jusqu'au"),
    ("issue_date", "Date", "Date"),
    ("discount", "Discount (%)", "Remise (%)"),
    ("notes", "Notes", "Notes"),
    ("print", "Print", "Imprimer"),
    ("quote_pdf", "PDF from the server", "PDF par le serveur"),
    ("keep", "Keep and share", "Garder et partager"),
    ("share", "Share link", "Lien de partage"),
    ("save", "Save", "Enregistrer"),
    ("name", "Name", "Nom"),
    ("saved", "Saved estimates", "Estimations enregistrées"),
    ("load", "Open", "Ouvrir"),
    ("export_json", "Export JSON", "Exporter JSON"),
    ("export_csv", "Export CSV", "Exporter CSV"),
    ("import_json", "Import JSON", "Importer JSON"),
    ("lines", "Lines", "Lignes"),
    (
        "empty",
        "Add a line to see a price.",
        "Ajoutez une ligne pour voir un prix.",
    ),
    ("per_month", "per month", "par mois"),
    (
        "first_month",
        "this month, upfront included",
        "ce mois-ci, avance comprise",
    ),
    (
        "confirm_catalog",
        "Switching price list removes every line of this setup. Switch?",
        "Changer de tarif retire toutes les lignes de cette configuration. Changer ?",
    ),
    (
        "link_damaged",
        "This share link could not be read, so the sample setup is shown instead.",
        "Ce lien de partage est illisible : la configuration d'exemple est affichée à la place.",
    ),
    ("line", "Line", "Ligne"),
    ("all", "all", "toutes"),
    ("quantity", "Quantity", "Quantité"),
    ("description", "Description", "Description"),
    ("group", "Group", "Groupe"),
    ("uptime_unit", "Uptime unit", "Unité de disponibilité"),
    ("summary", "Monthly estimate", "Estimation mensuelle"),
    ("quote_title", "Quote", "Devis"),
    ("estimate_title", "Estimate", "Estimation"),
    ("for_month", "Month of", "Mois de"),
    (
        "no_total",
        "No total yet: correct the fields marked in red.",
        "Pas encore de total : corrigez les champs signalés en rouge.",
    ),
    ("groups", "Per group (excl. VAT)", "Par groupe (HT)"),
    ("no_group", "no group", "sans groupe"),
    ("verdict", "Cheaper", "Le moins cher"),
    ("cheaper_by", "cheaper by", "moins cher de"),
    ("same_cost", "same cost", "même coût"),
    (
        "show_chart",
        "Show the chart of",
        "Afficher le graphique de",
    ),
    (
        "chart_title",
        "Cost against uptime:",
        "Coût selon la disponibilité :",
    ),
    (
        "axis_uptime",
        "uptime in the month",
        "disponibilité dans le mois",
    ),
    ("axis_cost", "cost", "coût"),
    (
        "pricing_view_hint",
        "The same setup priced in another region, at list prices before VAT and discounts.",
        "La même configuration au tarif d'une autre région, prix catalogue hors TVA et remises.",
    ),
    (
        "total_list",
        "Total (list, excl. VAT)",
        "Total (catalogue, HT)",
    ),
    (
        "same_prices",
        "Both regions sell this setup at the same prices.",
        "Les deux régions vendent cette configuration au même prix.",
    ),
    ("unit_price", "Unit price", "Prix unitaire"),
    ("discount_amount", "Discount", "Remise"),
    ("on", "on", "sur"),
    (
        "name_needed",
        "Give the estimate a name first.",
        "Donnez d'abord un nom à l'estimation.",
    ),
    (
        "confirm_overwrite",
        "Replace the saved estimate",
        "Remplacer l'estimation enregistrée",
    ),
    ("saved_as", "Saved as", "Enregistrée sous"),
    ("not_saved", "Not saved", "Non enregistrée"),
    (
        "confirm_open",
        "Your current setup has changes that are not saved. Open another one anyway?",
        "La configuration en cours a des modifications non enregistrées. En ouvrir une autre quand même ?",
    ),
    (
        "confirm_link",
        "Open the setup of this link in place of the one on the page?",
        "Ouvrir la configuration de ce lien à la place de celle de la page ?",
    ),
    (
        "confirm_remove",
        "Remove this line, with its description, group and discount?",
        "Retirer cette ligne, avec sa description, son groupe et sa remise ?",
    ),
    (
        "confirm_forget",
        "Delete the saved estimate",
        "Supprimer l'estimation enregistrée",
    ),
    (
        "file_unreadable",
        "The file could not be read.",
        "Le fichier est illisible.",
    ),
    ("import", "Import", "Importer"),
    (
        "import_hint",
        "A JSON file exported here, or a CSV with a header row: sku, region, count, plan, uptime, uptime_unit, gb, egress_gb, requests, commitment, upfront, invocations, duration_ms, memory_mb, dim_1, dim_2 (a volume's IOPS and MB/s), label, group, discount.",
        "Un fichier JSON exporté ici, ou un CSV avec une ligne d'en-tête : sku, region, count, plan, uptime, uptime_unit, gb, egress_gb, requests, commitment, upfront, invocations, duration_ms, memory_mb, dim_1, dim_2 (IOPS et Mo/s d'un volume), label, group, discount.",
    ),
    ("import_file", "From a file", "Depuis un fichier"),
    ("import_text", "Or paste it here", "Ou collez-le ici"),
];

/// Service names (the catalog's, in English) in French.
const SERVICES: &[(&str, &str)] = &[
    ("Instances", "Instances"),
    ("Block storage", "Stockage bloc"),
    ("Object storage", "Stockage objet"),
    ("Network", "Réseau"),
    ("Archive", "Archivage"),
    ("Serverless", "Serverless"),
    ("Support", "Support"),
    ("Savings plans", "Plans d'engagement"),
];

/// Unit words in French, singular and plural.
const UNITS: &[(&str, &str, &str)] = &[
    ("second", "seconde", "secondes"),
    ("minute", "minute", "minutes"),
    ("hour", "heure", "heures"),
    ("day", "jour", "jours"),
    ("month", "mois", "mois"),
    ("GB", "Go", "Go"),
    ("request", "requête", "requêtes"),
    ("package", "lot", "lots"),
    ("unused", "non utilisé", "non utilisés"),
    ("spent", "dépensé", "dépensés"),
];

/// A unit in French, word by word (`GB-month` is `Go-mois`, `1000000 request` is `1000000
/// requêtes`), its last word plural from two on; `quantity` is the line's, or one for a price's
/// unit, whose leading number then counts.
pub fn unit_fr(name: &str, quantity: Decimal) -> String {
    let lead = name
        .split(' ')
        .next()
        .and_then(|n| n.parse::<Decimal>().ok())
        .unwrap_or(Decimal::ONE);
    // French puts the plural from two on (1,5 heure).
    let plural = quantity.abs() >= Decimal::TWO || lead >= Decimal::TWO;
    let mut out = String::new();
    let mut word = String::new();
    let flush =
        |word: &mut String, out: &mut String, last: bool| {
            let fr = UNITS.iter().find(|(en, _, _)| en == word).map_or(
                word.as_str(),
                |(_, one, many)| if plural && last { many } else { one },
            );
            out.push_str(fr);
            word.clear();
        };
    for c in name.chars() {
        if c == '-' || c == ' ' {
            flush(&mut word, &mut out, false);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out, true);
    out
}

/// A service's name for the language.
pub fn service(lang: Lang, name: &str) -> String {
    match lang {
        Lang::Fr => SERVICES
            .iter()
            .find(|(en, _)| *en == name)
            .map_or(name, |(_, fr)| fr)
            .to_string(),
        Lang::En => name.to_string(),
    }
}

/// The label for `key` in `lang`; the key itself when there is none (visible, never blank).
pub fn t(lang: Lang, key: &'static str) -> &'static str {
    let label = LABELS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or("", |&(_, en, fr)| if lang == Lang::Fr { fr } else { en });
    if label.is_empty() { key } else { label }
}

/// An amount for the language: `1 234,50 EUR` (French, narrow no-break space) or
/// `EUR 1,234.50` (English).
pub fn money(amount: Decimal, currency: &str, lang: Lang) -> String {
    let number = number(amount, lang);
    match lang {
        Lang::Fr => format!("{number} {currency}"),
        Lang::En => format!("{currency} {number}"),
    }
}

/// A number for the language, grouped by thousands: `3 000,5` or `3,000.5`.
pub fn number(amount: Decimal, lang: Lang) -> String {
    match lang {
        Lang::Fr => ratecard::grouped(amount, "\u{202f}", ","),
        Lang::En => ratecard::grouped(amount, ",", "."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_has_both_languages_once() {
        for (i, (k, en, fr)) in LABELS.iter().enumerate() {
            assert!(!en.is_empty() && !fr.is_empty(), "`{k}` lacks a language");
            assert!(
                LABELS[..i].iter().all(|(other, _, _)| other != k),
                "`{k}` twice"
            );
        }
        assert_eq!(t(Lang::Fr, "title"), "Calculateur de prix cloud");
        assert_eq!(t(Lang::En, "no_such_label"), "no_such_label");
    }

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
