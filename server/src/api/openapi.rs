//! The OpenAPI 3.1 description, generated from [`ROUTES`](super::ROUTES) and the types the
//! handlers read and answer with (schemars): each route names its query type, its body's and
//! its answers' schemas, so the description follows the code. `server/tests/api.rs` checks real
//! answers of every route against it.

use std::collections::BTreeMap;

use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value, json};

use super::ROUTES;

/// A schema, made by a generator (so that named types land in `components/schemas`).
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// The schema of `T`, as a reference when `T` is a named type.
pub fn schema<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// A file's bytes (a PDF).
pub fn binary(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({"type": "string", "format": "binary"})
}

/// A document the route answers with: status, media type, schema.
pub type Answer = (u16, &'static str, SchemaFn);

const DEFS: &str = "/components/schemas";

fn generator(serialize: bool) -> SchemaGenerator {
    let settings = SchemaSettings::draft2020_12().with(|s| {
        s.definitions_path = DEFS.into();
        s.meta_schema = None;
    });
    if serialize {
        settings.for_serialize().into_generator()
    } else {
        settings.for_deserialize().into_generator()
    }
}

/// Renames `$ref`s to the request side's definitions that differ from the answer side's.
fn rename_refs(v: &mut Value, renames: &BTreeMap<String, String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if k == "$ref"
                    && let Some(name) = x
                        .as_str()
                        .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    && let Some(new) = renames.get(name)
                {
                    *x = Value::String(format!("#/components/schemas/{new}"));
                } else {
                    rename_refs(x, renames);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rename_refs(x, renames)),
        _ => {}
    }
}

/// The query string's parameters: one per property of the query type's schema.
fn parameters(path: &str, query: Option<SchemaFn>, g: &mut SchemaGenerator) -> Vec<Value> {
    let mut out: Vec<Value> = path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
        .map(|p| json!({ "name": p, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect();
    let Some(query) = query else {
        return out;
    };
    let mut s = query(g).to_value();
    // A named query type is a reference: its properties are the parameters, and it is no
    // component of its own.
    if let Some(name) = s["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
        .map(String::from)
        && let Some(def) = g.definitions_mut().remove(&name)
    {
        s = def;
    }
    let required: Vec<&str> = s["required"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(props) = s["properties"].as_object() {
        for (name, p) in props {
            let mut p = p.clone();
            let description = p
                .as_object_mut()
                .and_then(|o| o.remove("description"))
                .unwrap_or(Value::Null);
            let mut param = json!({
                "name": name,
                "in": "query",
                "required": required.contains(&name.as_str()),
                "schema": p,
            });
            if !description.is_null() {
                param["description"] = description;
            }
            out.push(param);
        }
    }
    out
}

/// The description of every route in [`ROUTES`].
pub fn document() -> Value {
    let mut answers = generator(true);
    let mut requests = generator(false);
    let mut paths = Map::new();
    // Request bodies are made apart (what a client may send: defaults are optional), and merged
    // into the components at the end.
    let mut bodies: Vec<(String, &'static str, Value)> = Vec::new();
    for r in ROUTES {
        let mut responses = Map::new();
        for (status, media, f) in r.responses {
            let entry = responses
                .entry(status.to_string())
                .or_insert_with(|| json!({ "description": reason(*status), "content": {} }));
            entry["content"][*media] = json!({ "schema": f(&mut answers).to_value() });
        }
        responses.insert(
            "4XX".into(),
            json!({ "description": "An error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }),
        );
        responses.insert(
            "5XX".into(),
            json!({ "description": "The server could not do it", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }),
        );
        let mut op = json!({
            "operationId": operation_id(r.method, r.path),
            "summary": r.summary,
            "parameters": parameters(r.path, r.query, &mut requests),
            "responses": responses,
        });
        op["x-scope"] = json!(r.scope.name());
        if r.scope != super::Scope::Public {
            op["security"] = json!([{ "bearer": [] }]);
        }
        for (media, f) in r.body {
            bodies.push((
                format!("{} {}", r.path, r.method),
                media,
                f(&mut requests).to_value(),
            ));
        }
        paths.entry(r.path.to_string()).or_insert_with(|| json!({}))[r.method] = op;
    }
    let mut schemas = answers.take_definitions(true);
    // A request type whose schema differs from the answer's of the same name is `NameInput`.
    let request_defs = requests.take_definitions(true);
    let renames: BTreeMap<String, String> = request_defs
        .iter()
        .filter(|(k, v)| schemas.get(*k).is_some_and(|a| a != *v))
        .map(|(k, _)| (k.clone(), format!("{k}Input")))
        .collect();
    for (k, mut v) in request_defs {
        rename_refs(&mut v, &renames);
        let name = renames.get(&k).cloned().unwrap_or(k);
        schemas.entry(name).or_insert(v);
    }
    for (key, media, mut schema) in bodies {
        rename_refs(&mut schema, &renames);
        let (path, method) = key.rsplit_once(' ').unwrap_or((&key, "post"));
        let op = &mut paths[path][method];
        op["requestBody"]["required"] = json!(true);
        op["requestBody"]["content"][media] = json!({ "schema": schema });
    }
    schemas.insert(
        "Error".into(),
        json!({
            "type": "object",
            "required": ["code", "message"],
            "properties": { "code": { "type": "string" }, "message": { "type": "string" } }
        }),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "ratecard",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Price estimates, usage events, invoices and corrections, and the FinOps views over them. Amounts are decimal strings."
        },
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": schemas
        }
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        201 => "Created",
        202 => "Accepted",
        _ => "OK",
    }
}

/// `get /api/v1/accounts/{account}/events` → `get_accounts_account_events`.
fn operation_id(method: &str, path: &str) -> String {
    let mut out = method.to_string();
    for seg in path
        .trim_start_matches("/api")
        .trim_start_matches("/v1")
        .split('/')
        .filter(|s| !s.is_empty())
    {
        out.push('_');
        out.extend(
            seg.chars()
                .filter(|c| !matches!(c, '{' | '}'))
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reference_resolves_and_every_operation_has_an_answer() {
        let doc = document();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        let text = doc.to_string();
        for part in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = &part[..part.find('"').unwrap()];
            assert!(schemas.contains_key(name), "no schema `{name}`");
        }
        let mut ids = std::collections::BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                assert!(ids.insert(op["operationId"].as_str().unwrap().to_string()));
                let ok = op["responses"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .any(|k| k.starts_with('2'));
                assert!(ok, "{method} {path} has no success answer");
                if matches!(method.as_str(), "put") {
                    assert!(op["requestBody"].is_object(), "{method} {path}: no body");
                }
            }
        }
    }

    #[test]
    fn query_parameters_come_from_the_query_types() {
        let doc = document();
        let params = doc["paths"]["/api/v1/costs"]["get"]["parameters"]
            .as_array()
            .unwrap();
        let names: Vec<&str> = params.iter().filter_map(|p| p["name"].as_str()).collect();
        assert_eq!(names, ["compare", "filter", "group_by", "lines", "period"]);
        let period = params.iter().find(|p| p["name"] == "period").unwrap();
        assert_eq!(period["required"], false);
        assert!(
            period["description"]
                .as_str()
                .unwrap()
                .contains("YYYY-MM..YYYY-MM")
        );
        let draft = &doc["paths"]["/api/v1/accounts/{account}/invoices/draft"]["get"];
        let p = draft["parameters"].as_array().unwrap();
        assert_eq!(p[0]["in"], "path");
        let named: Vec<(&str, bool)> = p[1..]
            .iter()
            .map(|q| {
                (
                    q["name"].as_str().unwrap(),
                    q["required"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            named,
            [("format", false), ("lang", false), ("period", true)]
        );
    }
}
