//! Errors placed at the form field they belong to: the engine names the item and field as data,
//! and a document error's kind says which field it is about.

/// A problem with one field: `item` is the line (none for the setup's own fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub item: Option<usize>,
    pub field: String,
    pub message: String,
}

/// Places an engine error at its field: the engine names the item and the field as data.
pub fn engine_error(e: &ratecard::Error) -> FieldError {
    match e {
        ratecard::Error::Request {
            item,
            field,
            message,
        } => FieldError {
            item: *item,
            // `uptime.percent` and `uptime.hours` are the one uptime field of the form.
            field: field.split('.').next().unwrap_or_default().to_string(),
            message: message.clone(),
        },
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
