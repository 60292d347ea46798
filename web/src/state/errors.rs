//! Errors placed at the form field they belong to: the engine names the item and field as data,
//! and a document error's kind says which field it is about.

/// A problem with one field: `item` is the line's id (none for the setup's own fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub item: Option<u32>,
    pub field: String,
    pub message: String,
}

/// Places an engine error at its field: the engine names the item (its place in the request,
/// which is its place in `items`) and the field as data.
pub fn engine_error(
    e: &ratecard::Error,
    items: &[super::ItemForm],
    book: Option<&ratecard::PriceBook>,
) -> FieldError {
    match e {
        ratecard::Error::Request {
            item,
            field,
            message,
        } => {
            let form = item.and_then(|i| items.get(i));
            // A volume's dimension is the form's first or second dimension field, in the price
            // list's order.
            let dimension = |name: &str| {
                let sku = form.map(|f| f.sku.as_str()).unwrap_or_default();
                let dims = book
                    .and_then(|b| b.product(sku))
                    .map(|p| p.charge.dimensions());
                match dims.and_then(|d| d.iter().position(|d| d.name == name)) {
                    Some(1) => "dim_2",
                    _ => "dim_1",
                }
            };
            FieldError {
                item: form.map(|it| it.id),
                // `uptime.percent` and `uptime.hours` are the one uptime field of the form; a
                // function's fields are the form's own (`function.concurrency` is the
                // invocations field of a provisioned concurrency).
                field: match (
                    field.strip_prefix("function."),
                    field.strip_prefix("dimensions."),
                ) {
                    (Some("concurrency"), _) => "invocations",
                    // The function as a whole (too many GB-seconds): its first field.
                    _ if field == "function" => "invocations",
                    (Some(f), _) => f,
                    (_, Some(name)) => dimension(name),
                    _ => field.split('.').next().unwrap_or_default(),
                }
                .to_string(),
                message: message.clone(),
            }
        }
        _ => FieldError {
            item: None,
            field: "setup".into(),
            message: e.to_string(),
        },
    }
}

/// The form field a document error belongs to, by the error's kind.
pub(super) fn document_field(e: &ratecard::Error) -> String {
    match e {
        ratecard::Error::Vat(_) => "customer.vat_number".into(),
        ratecard::Error::Fx(_) => "currency".into(),
        _ => "quote".into(),
    }
}

/// An engine message in French: the engine speaks English; the phrases a form shows are
/// translated here, and anything else is kept as the engine wrote it.
pub fn in_french(message: &str) -> String {
    const PHRASES: &[(&str, &str)] = &[
        ("must be at most", "doit valoir au plus"),
        ("must be at least", "doit valoir au moins"),
        ("must be from 0 to 100", "doit être entre 0 et 100"),
        ("must be from 0 to", "doit être entre 0 et"),
        ("the hours of", "les heures de"),
        (
            "required for storage sku",
            "requis pour le produit de stockage",
        ),
        (
            "has no monthly plan in region",
            "n'a pas de forfait mensuel dans la région",
        ),
        ("unknown sku", "produit inconnu"),
        ("in catalog", "dans la liste de prix"),
        ("does not apply to sku", "ne s'applique pas au produit"),
        ("give one of", "indiquez l'un de"),
        ("for counter sku", "pour le compteur"),
        ("sku `", "le produit `"),
        (
            "EU business without a VAT number: consumer VAT applied",
            "entreprise de l'UE sans numéro de TVA : TVA des particuliers appliquée",
        ),
        (
            "invalid VAT number, consumer VAT applied",
            "numéro de TVA invalide, TVA des particuliers appliquée",
        ),
        (
            "is not a letter or digit",
            "n'est ni une lettre ni un chiffre",
        ),
        ("fails the", "ne passe pas le contrôle du"),
        ("VAT number checksum", "numéro de TVA"),
        (
            "is not an ISO 3166 country code",
            "n'est pas un code pays ISO 3166",
        ),
        ("(write it in capitals)", "(en majuscules)"),
        ("is not percent or hours", "n'est ni percent ni hours"),
        ("the file is larger than", "le fichier dépasse"),
        (
            "this browser keeps no local storage here",
            "ce navigateur ne garde rien en stockage local ici",
        ),
        (
            "the browser refused to store it (its storage may be full)",
            "le navigateur a refusé de l'enregistrer (son stockage est peut-être plein)",
        ),
        (
            "this JSON is not a setup: no `setup` and no `items`",
            "ce JSON n'est pas une configuration : ni `setup` ni `items`",
        ),
        ("more than the", "plus que les"),
        ("an estimate can hold", "qu'une estimation peut contenir"),
        ("(got ", "(reçu "),
        ("must be above zero", "doit être supérieur à zéro"),
        ("required for savings plan", "requis pour l'engagement"),
        (
            "is not none, partial or all",
            "n'est ni none, ni partial, ni all",
        ),
        ("unknown product", "produit inconnu"),
        ("is not sold in region", "n'est pas vendu dans la région"),
        ("a quote needs a number", "un devis doit avoir un numéro"),
        (
            "a quote needs valid_until",
            "un devis doit avoir une date de validité",
        ),
        ("comes before the issue date", "précède la date d'émission"),
        (
            "is not SERIES-YYYY-NNNNNN",
            "n'est pas de la forme SÉRIE-AAAA-NNNNNN",
        ),
        (
            "is not of the issue year",
            "n'est pas de l'année d'émission",
        ),
        ("is not a date", "n'est pas une date"),
        ("no EUR/", "pas de taux EUR/"),
        ("reference rate published from", "publié entre le"),
        ("document: ", ""),
        (
            "is not a number: a file separated by semicolons writes numbers as",
            "n'est pas un nombre : un fichier séparé par des points-virgules écrit les nombres ainsi :",
        ),
        (
            "is not a number: a file separated by commas writes numbers as",
            "n'est pas un nombre : un fichier séparé par des virgules écrit les nombres ainsi :",
        ),
        (" or 1 000,5", " ou 1 000,5"),
        (" or \"1,000.5\"", " ou \"1,000.5\""),
        (
            "resources in all per request (the counts add up to",
            "ressources en tout par estimation (les quantités font",
        ),
        ("at most ", "au plus "),
        ("` in ", "` dans "),
        (
            "is not a country offered here: pick one in the list",
            "n'est pas un pays proposé ici : choisissez-en un dans la liste",
        ),
        ("unknown field", "champ inconnu"),
        ("expected one of", "attendu : l'un de"),
        ("unknown column", "colonne inconnue"),
        ("(known: ", "(connues : "),
        ("the file is empty", "le fichier est vide"),
        ("no `sku` column", "pas de colonne `sku`"),
        (
            "a quoted field is not closed",
            "un champ entre guillemets n'est pas fermé",
        ),
        ("fields for", "champs pour"),
        ("columns", "colonnes"),
        ("more than", "plus de"),
        ("no sku", "pas de sku"),
        ("is not hourly or monthly", "n'est ni hourly ni monthly"),
        ("at line", "à la ligne"),
        ("line ", "ligne "),
        ("lines", "lignes"),
        ("FX: ", "Change : "),
        // JSON's own messages, after every phrase that names a column.
        ("expected value", "valeur attendue"),
        ("column ", "colonne "),
    ];
    let mut out = message.to_string();
    for (en, fr) in PHRASES {
        out = out.replace(en, fr);
    }
    out
}

#[cfg(test)]
mod french {
    use super::in_french;

    /// The messages a French page showed in English: each reads in French now.
    #[test]
    fn the_messages_of_common_mistakes_read_in_french() {
        for (en, fr) in [
            (
                "must be from 0 to 744, the hours of 2026-01 (got 800)",
                "doit être entre 0 et 744, les heures de 2026-01 (reçu 800)",
            ),
            (
                "required for storage sku `classic-volume`",
                "requis pour le produit de stockage `classic-volume`",
            ),
            (
                "sku `s1-8-legacy` has no monthly plan in region `gra`",
                "le produit `s1-8-legacy` n'a pas de forfait mensuel dans la région `gra`",
            ),
            (
                "EU business without a VAT number: consumer VAT applied",
                "entreprise de l'UE sans numéro de TVA : TVA des particuliers appliquée",
            ),
            (
                "this JSON is not a setup: no `setup` and no `items`",
                "ce JSON n'est pas une configuration : ni `setup` ni `items`",
            ),
            (
                "1001 lines, more than the 1000 an estimate can hold",
                "1001 lignes, plus que les 1000 qu'une estimation peut contenir",
            ),
            ("the file is larger than 2 MB", "le fichier dépasse 2 MB"),
            (
                "unknown column `colour` (known: sku, gb)",
                "colonne inconnue `colour` (connues : sku, gb)",
            ),
            (
                "unknown sku `zz` in catalog `stratus`",
                "produit inconnu `zz` dans la liste de prix `stratus`",
            ),
            (
                "sku `b2-15` is not sold in region `waw`",
                "le produit `b2-15` n'est pas vendu dans la région `waw`",
            ),
            (
                "expected value at line 1 column 1",
                "valeur attendue à la ligne 1 colonne 1",
            ),
            (
                "line 3: uptime_unit `days` is not percent or hours",
                "ligne 3: uptime_unit `days` n'est ni percent ni hours",
            ),
            (
                "at most 5000 resources in all per request (the counts add up to 6000)",
                "au plus 5000 ressources en tout par estimation (les quantités font 6000)",
            ),
            (
                "unknown product `x` in stratus",
                "produit inconnu `x` dans stratus",
            ),
        ] {
            assert_eq!(in_french(en), fr, "{en}");
        }
    }
}
