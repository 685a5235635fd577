//! Checks a JSON value against a schema of the OpenAPI document: the subset
//! of JSON Schema utoipa writes (`$ref`, `type`, `properties`, `required`,
//! `additionalProperties`, `items`, `oneOf`, `anyOf`, the `min*` bounds).
//! Keywords outside that subset are ignored, so a check can only be too
//! lenient, never fail a body the schema allows. schemathesis checks the
//! same in CI with a complete validator; this one lets Rust tests ask
//! about responses that random requests rarely provoke (413, 429, 503).

use serde_json::Value;

/// The schema of `status`'s JSON body for `method path`, with the
/// response's `$ref` resolved.
pub fn response_schema<'a>(
    document: &'a Value,
    method: &str,
    path: &str,
    status: u16,
) -> &'a Value {
    let operation = &document["paths"][path][method.to_ascii_lowercase()];
    assert!(operation.is_object(), "{method} {path} is not documented");
    let response = resolve(document, &operation["responses"][status.to_string()]);
    assert!(
        response.is_object(),
        "{method} {path} does not document {status}"
    );
    &response["content"]["application/json"]["schema"]
}

/// The headers `status` of `method path` documents.
pub fn documented_headers(document: &Value, method: &str, path: &str, status: u16) -> Vec<String> {
    let operation = &document["paths"][path][method.to_ascii_lowercase()];
    let response = resolve(document, &operation["responses"][status.to_string()]);
    response["headers"]
        .as_object()
        .map(|headers| headers.keys().cloned().collect())
        .unwrap_or_default()
}

/// Whether `value` satisfies `schema`; the error says where it does not.
pub fn check(document: &Value, schema: &Value, value: &Value) -> Result<(), String> {
    check_at(document, schema, value, "$")
}

fn resolve<'a>(document: &'a Value, node: &'a Value) -> &'a Value {
    match node["$ref"].as_str() {
        Some(reference) => {
            let pointer = reference.strip_prefix('#').expect("a local reference");
            resolve(
                document,
                document.pointer(pointer).expect("the reference exists"),
            )
        }
        None => node,
    }
}

fn check_at(document: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(document, schema);
    if let Some(types) = schema.get("type") {
        let allowed: Vec<&str> = match types {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !allowed.iter().any(|name| is_type(value, name)) {
            return Err(format!("{at}: {value} is not {allowed:?}"));
        }
    }
    if let Some(choices) = schema["oneOf"].as_array() {
        let matching = choices
            .iter()
            .filter(|choice| check_at(document, choice, value, at).is_ok())
            .count();
        if matching != 1 {
            return Err(format!("{at}: {value} matches {matching} of oneOf"));
        }
    }
    if let Some(choices) = schema["anyOf"].as_array() {
        if !choices
            .iter()
            .any(|choice| check_at(document, choice, value, at).is_ok())
        {
            return Err(format!("{at}: {value} matches nothing of anyOf"));
        }
    }
    if let Value::Object(object) = value {
        check_object(document, schema, object, at)?;
    }
    if let (Value::Array(items), Some(item_schema)) = (value, schema.get("items")) {
        if items.len() < schema["minItems"].as_u64().unwrap_or(0) as usize {
            return Err(format!("{at}: fewer items than minItems"));
        }
        for (index, item) in items.iter().enumerate() {
            check_at(document, item_schema, item, &format!("{at}[{index}]"))?;
        }
    }
    if let (Value::String(text), Some(min)) = (value, schema["minLength"].as_u64()) {
        if (text.chars().count() as u64) < min {
            return Err(format!("{at}: shorter than minLength {min}"));
        }
    }
    Ok(())
}

fn check_object(
    document: &Value,
    schema: &Value,
    object: &serde_json::Map<String, Value>,
    at: &str,
) -> Result<(), String> {
    for name in schema["required"].as_array().into_iter().flatten() {
        let name = name.as_str().unwrap_or_default();
        if !object.contains_key(name) {
            return Err(format!("{at}: required {name:?} is missing"));
        }
    }
    if (object.len() as u64) < schema["minProperties"].as_u64().unwrap_or(0) {
        return Err(format!("{at}: fewer properties than minProperties"));
    }
    let properties = schema["properties"].as_object();
    for (name, field) in object {
        let at = format!("{at}.{name}");
        match (
            properties.and_then(|known| known.get(name)),
            schema.get("additionalProperties"),
        ) {
            (Some(field_schema), _) => check_at(document, field_schema, field, &at)?,
            (None, Some(Value::Bool(false))) => return Err(format!("{at}: not allowed")),
            (None, Some(extra @ Value::Object(_))) => check_at(document, extra, field, &at)?,
            (None, _) => {}
        }
    }
    Ok(())
}

fn is_type(value: &Value, name: &str) -> bool {
    match name {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        _ => true,
    }
}
