//! The console's labels, English and French: a table of its own, so the calculator's stays as
//! small as its size budget wants.

use ratecard_web::state::Lang;

const LABELS: &[(&str, &str, &str)] = &[
    ("title", "Cloud costs console", "Console des coûts cloud"),
    ("sign_in", "Sign in", "Se connecter"),
    ("sign_out", "Sign out", "Se déconnecter"),
    (
        "token_hint",
        "An API token: the admin's, or an account's from `ratecard token create --account`. It is kept for this browser tab only.",
        "Un jeton d’API : celui de l’administrateur, ou celui d’un compte (`ratecard token create --account`). Il n’est gardé que pour cet onglet.",
    ),
    ("token", "API token", "Jeton d’API"),
    ("account", "Account", "Compte"),
    ("now", "Now", "Ce mois-ci"),
    ("costs", "Cost explorer", "Explorateur de coûts"),
    ("invoices", "Invoices", "Factures"),
    ("budgets", "Budgets and alerts", "Budgets et alertes"),
    ("calculator", "Calculator", "Calculateur"),
    ("loading", "Loading…", "Chargement…"),
    ("period", "Month", "Mois"),
    ("group_by", "Group by", "Regrouper par"),
    (
        "compare",
        "Compare with the month before",
        "Comparer au mois précédent",
    ),
    ("service", "Service", "Service"),
    ("tag:project", "Project", "Projet"),
    ("tag:team", "Team", "Équipe"),
    ("region", "Region", "Région"),
    ("sku", "Product", "Produit"),
    ("resource", "Resource", "Ressource"),
    ("total", "Total", "Total"),
    ("amount", "Amount", "Montant"),
    ("quantity", "Quantity", "Quantité"),
    ("before", "Month before", "Mois précédent"),
    ("difference", "Difference", "Écart"),
    ("lines", "Rated lines", "Lignes valorisées"),
    ("events", "Events", "Événements"),
    (
        "latest_shown",
        "the latest shown:",
        "les plus récents affichés :",
    ),
    // Words the API answers in (statuses, bases, sources, the projection's rule).
    ("final", "final", "définitive"),
    (
        "final, corrected",
        "final, corrected",
        "définitive, corrigée",
    ),
    (
        "shared resources",
        "shared resources",
        "ressources partagées",
    ),
    ("delivered", "delivered", "livrée"),
    ("pending", "pending", "en attente"),
    ("failed", "failed", "échouée"),
    (
        "resources running at as_of run to the end of the period (those stopped or deleted stay so), storage stays at its last size, and counters go on at their rate so far (scaled by the whole period over the time elapsed)",
        "resources running at as_of run to the end of the period (those stopped or deleted stay so), storage stays at its last size, and counters go on at their rate so far (scaled by the whole period over the time elapsed)",
        "les ressources en marche continuent jusqu'à la fin de la période (celles arrêtées ou supprimées le restent), le stockage garde sa dernière taille, et les compteurs continuent à leur rythme jusqu'ici (rapporté à toute la période)",
    ),
    ("formula", "How", "Calcul"),
    ("back_to", "All groups", "Tous les groupes"),
    ("daily_chart", "Cost per day", "Coût par jour"),
    ("monthly_chart", "Cost per month", "Coût par mois"),
    ("span", "Over", "Sur"),
    ("per_day", "the month, per day", "le mois, par jour"),
    ("months_3", "3 months, per month", "3 mois, par mois"),
    ("months_6", "6 months, per month", "6 mois, par mois"),
    ("months_12", "12 months, per month", "12 mois, par mois"),
    (
        "no_cost",
        "No cost recorded this month.",
        "Aucun coût ce mois-ci.",
    ),
    ("already_billed", "Already billed", "Déjà facturé"),
    ("so_far", "So far this month", "Depuis le début du mois"),
    (
        "projected",
        "Projected to the month's end",
        "Projection à la fin du mois",
    ),
    (
        "next_invoice",
        "Next invoice, with VAT",
        "Prochaine facture, TVA comprise",
    ),
    ("vat", "VAT", "TVA"),
    ("rule", "Projection rule", "Règle de projection"),
    ("elapsed", "of the month elapsed", "du mois écoulé"),
    ("number", "Number", "Numéro"),
    ("kind", "Kind", "Type"),
    ("status", "Status", "Statut"),
    ("issued", "Issued", "Émise le"),
    ("net", "Net", "HT"),
    ("gross", "Gross", "TTC"),
    ("links", "Links", "Liens"),
    ("download", "Download", "Télécharger"),
    ("no_documents", "No invoice yet.", "Pas encore de facture."),
    ("budget", "Budget", "Budget"),
    ("actual", "Actual", "Réel"),
    ("thresholds", "Thresholds", "Seuils"),
    (
        "no_budgets",
        "No budget for this account.",
        "Aucun budget pour ce compte.",
    ),
    ("alerts", "Alerts", "Alertes"),
    (
        "no_alerts",
        "No alert recorded.",
        "Aucune alerte enregistrée.",
    ),
    ("crossed", "crossed", "franchi"),
    ("invoice", "Invoice", "Facture"),
    ("credit_note", "Credit note", "Avoir"),
    (
        "supplementary_invoice",
        "Supplementary invoice",
        "Facture rectificative",
    ),
    ("corrects", "corrects", "rectifie"),
    ("corrected_by", "corrected by", "rectifiée par"),
    ("day", "Day", "Jour"),
    ("of", "of", "sur"),
    ("pricing", "Pricing views", "Vues tarifaires"),
    ("allocation", "Allocation", "Répartition"),
    ("price_list", "Other price list", "Autre tarif"),
    ("billed", "Billed", "Facturé"),
    ("other", "Other price list", "Autre tarif"),
    (
        "upload",
        "Or upload a price list (JSON)",
        "Ou charger un tarif (JSON)",
    ),
    ("uploaded", "Uploaded", "Chargé"),
    (
        "pricing_hint",
        "The month's recorded quantities valued as billed and under another price list; the difference is billed minus the other.",
        "Les quantités relevées du mois, valorisées comme facturées et avec un autre tarif ; l’écart est le facturé moins l’autre.",
    ),
    ("rules", "Rules", "Règles"),
    (
        "new_budget",
        "Create or change a budget",
        "Créer ou modifier un budget",
    ),
    ("budget_id", "Budget id", "Identifiant du budget"),
    ("amount_month", "Amount a month", "Montant par mois"),
    ("basis", "Against", "Comparé au"),
    ("save", "Save", "Enregistrer"),
    ("saved", "Saved:", "Enregistré :"),
    ("remove", "Remove", "Supprimer"),
    ("confirm_remove", "Remove the budget", "Supprimer le budget"),
    (
        "bad_thresholds",
        "Thresholds: whole percents, comma-separated (50,80,100).",
        "Seuils : des pourcentages entiers séparés par des virgules (50,80,100).",
    ),
    ("deliveries", "Webhook deliveries", "Envois du webhook"),
    (
        "no_deliveries",
        "No delivery (no webhook configured, or no alert yet).",
        "Aucun envoi (pas de webhook configuré, ou pas encore d’alerte).",
    ),
    ("redeliver", "Deliver again", "Renvoyer"),
    ("attempts", "attempts", "tentatives"),
    ("by_tag", "targets by the tag", "cibles selon l’étiquette"),
    ("target", "Target", "Cible"),
    ("direct", "Direct", "Direct"),
    ("allocated", "Allocated", "Réparti"),
    (
        "indirect",
        "Indirect costs spread",
        "Coûts indirects répartis",
    ),
    ("even", "evenly", "à parts égales"),
    (
        "proportional",
        "in proportion to direct cost",
        "au prorata du coût direct",
    ),
    ("weights", "by weights", "par poids"),
    (
        "proportional (no direct cost: even)",
        "evenly (no direct cost to be proportional to)",
        "à parts égales (aucun coût direct à suivre)",
    ),
    ("preview", "Preview", "Prévisualiser"),
    ("reset", "The server's rules", "Les règles du serveur"),
    (
        "rules_hint",
        "Edit the rules (JSON: shared resources, fixed costs, spread evenly, in proportion or by weights) and preview the allocation; the server's rules change only when saved (admin).",
        "Modifiez les règles (JSON : ressources partagées, coûts fixes, répartis à parts égales, au prorata ou par poids) et prévisualisez ; les règles du serveur ne changent qu’à l’enregistrement (administrateur).",
    ),
    ("save_rules", "Save the rules", "Enregistrer les règles"),
    (
        "rules_saved",
        "Saved: the allocation applies these rules from now on.",
        "Enregistrées : la répartition applique ces règles désormais.",
    ),
    (
        "preview_of",
        "Preview of edited rules",
        "Aperçu des règles modifiées",
    ),
];

/// A colon as the language writes it: `Total: ` or `Total : `.
pub fn colon(lang: Lang) -> &'static str {
    if lang == Lang::Fr { " : " } else { ": " }
}

/// A word or phrase the API answers in, in `lang` when it is known here, else as it came.
pub fn said(lang: Lang, text: &str) -> String {
    match l(lang, text) {
        "" => text.to_string(),
        known => known.to_string(),
    }
}

pub fn l(lang: Lang, key: &str) -> &'static str {
    LABELS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, en, fr)| if lang == Lang::Fr { *fr } else { *en })
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words the API answers in read in French on the French page (the documents' status,
    /// the projection's rule, the allocation's sources and methods); an unknown one as it came.
    #[test]
    fn the_api_s_words_in_french() {
        assert_eq!(said(Lang::Fr, "final, corrected"), "définitive, corrigée");
        assert_eq!(said(Lang::Fr, "shared resources"), "ressources partagées");
        assert_eq!(
            said(Lang::Fr, "proportional (no direct cost: even)"),
            "à parts égales (aucun coût direct à suivre)"
        );
        assert!(said(Lang::Fr, crate_rule()).starts_with("les ressources en marche"));
        assert_eq!(said(Lang::Fr, "some new word"), "some new word");
        assert_eq!(said(Lang::En, "final"), "final");
    }

    fn crate_rule() -> &'static str {
        ratecard::projection::RULE
    }

    #[test]
    fn every_label_has_both_languages_once() {
        for (i, (k, en, fr)) in LABELS.iter().enumerate() {
            assert!(!en.is_empty() && !fr.is_empty(), "`{k}`");
            assert!(LABELS[..i].iter().all(|(o, _, _)| o != k), "`{k}` twice");
        }
        assert_eq!(l(Lang::Fr, "now"), "Ce mois-ci");
    }

    /// Every key the views and renderers ask for by name is in the table (a missing one would
    /// show as an empty text).
    #[test]
    fn every_key_asked_for_exists() {
        for src in [include_str!("app.rs"), include_str!("render.rs")] {
            for part in src.split("l(lang").skip(1) {
                let rest = part
                    .trim_start_matches(".get()")
                    .trim_start_matches(".get_untracked()");
                let Some(rest) = rest.strip_prefix(", \"") else {
                    continue;
                };
                let key = &rest[..rest.find('"').unwrap()];
                assert!(LABELS.iter().any(|(k, _, _)| *k == key), "no label `{key}`");
            }
        }
    }
}
