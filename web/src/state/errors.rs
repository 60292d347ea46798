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
        ("line ", "ligne "),
        ("lines", "lignes"),
        ("FX: ", "Change : "),
    ];
    let mut out = message.to_string();
    for (en, fr) in PHRASES {
        out = out.replace(en, fr);
    }
    out
}
