//! Canonical JSON: object keys sorted, no insignificant white space, decimals as strings (the
//! types serialize them so). Two equal results give byte-identical text on every platform.

use serde::Serialize;
use serde_json::Value;

/// Sorts object keys at every depth, whatever the map type behind `serde_json::Map`.
pub fn sort_keys(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> =
                map.into_iter().map(|(k, v)| (k, sort_keys(v))).collect();
            // Keys are unique, so an unstable sort gives the one order. Inserted one by one:
            // collecting would sort again, with a second (stable) sort routine.
            entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            let mut sorted = serde_json::Map::new();
            for (k, v) in entries {
                sorted.insert(k, v);
            }
            Value::Object(sorted)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sort_keys).collect()),
        other => other,
    }
}

/// The canonical text of a value.
pub fn to_string<T: Serialize>(value: &T) -> Result<String, serde_json::Error> {
    Ok(sort_keys(serde_json::to_value(value)?).to_string())
}

/// The canonical text, indented for people (still sorted, still byte-stable).
pub fn to_string_pretty<T: Serialize>(value: &T) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&sort_keys(serde_json::to_value(value)?))
}

/// The SHA-256 of a text, in lower-case hex: the one digest the engine and the ledger use.
pub fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_sorted() {
        let v = serde_json::json!({"b": 1, "a": {"d": [ {"z": 1, "y": 2} ], "c": "0.10"}});
        assert_eq!(
            super::to_string(&v).unwrap(),
            r#"{"a":{"c":"0.10","d":[{"y":2,"z":1}]},"b":1}"#
        );
    }
}
