//! Request bodies the way DRF reads them: JSON or a urlencoded form, an
//! empty body counting as `{}`, and CharField's validation messages. As an
//! extractor, [`Fields`] rejects with [`ApiError`], so a handler that takes
//! it never sees a body it cannot read.

use axum::body::{to_bytes, Body};
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap};
use serde_json::{Map, Value};

use super::error::{ApiError, FieldErrors};
use crate::AppState;

/// The parsed body: field name → value.
pub struct Fields(Map<String, Value>);

impl FromRequest<AppState> for Fields {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        Self::read(&parts.headers, body, state.http.max_body_bytes).await
    }
}

/// A request body type read from DRF fields: `read` returns the value or
/// every field's error (DRF reports them all).
pub trait DrfBody: Sized {
    fn read(fields: &Fields) -> Result<Self, ApiError>;
}

/// A handler's typed body: `Drf(body): Drf<ObtainPairRequest>` in its
/// signature reads the body as DRF does (JSON or form, the router's size
/// limit, CharField's rules) and rejects with DRF's 400/413/415 before the
/// handler runs.
pub struct Drf<T>(pub T);

impl<T: DrfBody> FromRequest<AppState> for Drf<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let fields = Fields::from_request(request, state).await?;
        T::read(&fields).map(Self)
    }
}

impl Fields {
    /// Whether the body names the field `name` (with any value).
    pub fn contains(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// Whether the body named no field at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Reads and parses the body according to its `Content-Type`, at most
    /// `max_bytes` of it: the router's one limit (`--max-body-bytes`).
    pub async fn read(headers: &HeaderMap, body: Body, max_bytes: usize) -> Result<Self, ApiError> {
        let bytes = to_bytes(body, max_bytes)
            .await
            .map_err(|_| ApiError::PayloadTooLarge(max_bytes))?;
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
        if bytes.is_empty() {
            // DRF: no body means no data, whatever the content type.
            return Ok(Self(Map::new()));
        }
        let raw_type = content_type.unwrap_or_default();
        let media_type = raw_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match media_type.as_str() {
            "application/json" => parse_json(&bytes),
            "application/x-www-form-urlencoded" => parse_form(&bytes),
            _ => Err(ApiError::UnsupportedMediaType(raw_type)),
        }
    }

    /// A CharField: required, not null, a string (numbers are converted);
    /// like DRF's `trim_whitespace`, the value is stripped and must not be
    /// blank once stripped.
    pub fn char_field(&self, name: &'static str, errors: &mut FieldErrors) -> Option<String> {
        self.string_field(name, true, errors)
    }

    /// simplejwt's PasswordField, blank under the same rule, but the value
    /// as typed: simplejwt strips passwords too (DRF's default), which makes
    /// " secret " log in as "secret"; Tessera does not change a password.
    pub fn password_field(&self, name: &'static str, errors: &mut FieldErrors) -> Option<String> {
        self.string_field(name, false, errors)
    }

    fn string_field(
        &self,
        name: &'static str,
        strip_value: bool,
        errors: &mut FieldErrors,
    ) -> Option<String> {
        let problem = match self.0.get(name) {
            None => "This field is required.",
            Some(Value::Null) => "This field may not be null.",
            Some(Value::String(text)) => {
                let stripped = strip(text);
                if stripped.is_empty() {
                    "This field may not be blank."
                } else if strip_value {
                    return Some(stripped.to_owned());
                } else {
                    return Some(text.clone());
                }
            }
            Some(Value::Number(number)) => return Some(number.to_string()),
            Some(_) => "Not a valid string.",
        };
        errors.push((name, problem.to_owned()));
        None
    }

    /// An optional CharField that may also be null (`allow_null=True`):
    /// absent and null are both `None`.
    pub fn optional_nullable_text(
        &self,
        name: &'static str,
        errors: &mut FieldErrors,
    ) -> Option<String> {
        match self.0.get(name) {
            Some(Value::Null) => None,
            _ => self.optional_text(name, errors),
        }
    }

    /// An optional CharField that may be blank (a model field with
    /// `blank=True`: names, email): absent is `None`, the value stripped.
    pub fn optional_text(&self, name: &'static str, errors: &mut FieldErrors) -> Option<String> {
        let problem = match self.0.get(name)? {
            Value::String(text) => return Some(strip(text).to_owned()),
            Value::Number(number) => return Some(number.to_string()),
            Value::Null => "This field may not be null.",
            _ => "Not a valid string.",
        };
        errors.push((name, problem.to_owned()));
        None
    }

    /// An optional BooleanField, read as DRF reads one: `true`/`false`,
    /// and from a form `"true"`, `"1"`, `"on"`… (any case); absent is `None`.
    pub fn optional_bool(&self, name: &'static str, errors: &mut FieldErrors) -> Option<bool> {
        let value = self.0.get(name)?;
        let parsed = match value {
            Value::Bool(flag) => Some(*flag),
            Value::Number(number) => match number.as_i64() {
                Some(1) => Some(true),
                Some(0) => Some(false),
                _ => None,
            },
            Value::String(text) => parse_bool(text),
            _ => None,
        };
        if parsed.is_none() {
            let problem = if value.is_null() {
                "This field may not be null."
            } else {
                "Must be a valid boolean."
            };
            errors.push((name, problem.to_owned()));
        }
        parsed
    }

    /// A JSONField holding an object (what a browser's WebAuthn call
    /// returns): required, an object, or a string of one (from a form).
    pub fn json_object(&self, name: &'static str, errors: &mut FieldErrors) -> Option<Value> {
        let problem = match self.0.get(name) {
            None => "This field is required.",
            Some(Value::Null) => "This field may not be null.",
            Some(object @ Value::Object(_)) => return Some(object.clone()),
            Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
                Ok(object @ Value::Object(_)) => return Some(object),
                _ => "Expected a JSON object.",
            },
            Some(_) => "Expected a JSON object.",
        };
        errors.push((name, problem.to_owned()));
        None
    }

    /// The one CharField of a single-field body, or its error.
    pub fn required_char(&self, name: &'static str) -> Result<String, ApiError> {
        let mut errors = FieldErrors::new();
        self.char_field(name, &mut errors)
            .ok_or(ApiError::Fields(errors))
    }
}

/// DRF's BooleanField spellings (`TRUE_VALUES` / `FALSE_VALUES`).
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "on" | "1" => Some(true),
        "false" | "f" | "no" | "n" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// Python's `str.strip()`, which DRF uses: Unicode whitespace and also the
/// separators U+001C..U+001F, which Python counts as whitespace and Rust's
/// `trim` does not.
pub fn strip(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

fn parse_json(bytes: &[u8]) -> Result<Fields, ApiError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|error| ApiError::Malformed(format!("JSON parse error - {error}")))?;
    match value {
        Value::Object(map) => Ok(Fields(map)),
        other => Err(ApiError::NonField(format!(
            "Invalid data. Expected a dictionary, but got {}.",
            python_type_name(&other)
        ))),
    }
}

fn parse_form(bytes: &[u8]) -> Result<Fields, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes)
        .map_err(|error| ApiError::Malformed(format!("Form parse error - {error}")))?;
    // Like Django's QueryDict, the last value of a repeated key wins.
    Ok(Fields(
        pairs
            .into_iter()
            .map(|(key, value)| (key, Value::String(value)))
            .collect(),
    ))
}

/// The name Python gives the type DRF found instead of a dict.
fn python_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(number) if number.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(json: &str) -> Fields {
        parse_json(json.as_bytes()).unwrap()
    }

    #[test]
    fn whitespace_is_stripped_the_way_python_strips_it() {
        let mut errors = FieldErrors::new();
        let body = fields(r#"{"username": " \u001f ada\t", "refresh": "\u001c\u2003"}"#);
        assert_eq!(
            body.char_field("username", &mut errors).as_deref(),
            Some("ada")
        );
        assert_eq!(body.char_field("refresh", &mut errors), None);
        assert_eq!(
            errors,
            [("refresh", "This field may not be blank.".to_owned())]
        );
    }

    #[test]
    fn a_password_keeps_its_spaces_but_blank_is_blank() {
        let mut errors = FieldErrors::new();
        let body = fields(r#"{"a": " secret ", "b": " \u001e "}"#);
        assert_eq!(
            body.password_field("a", &mut errors).as_deref(),
            Some(" secret ")
        );
        assert_eq!(body.password_field("b", &mut errors), None);
        assert_eq!(errors.len(), 1);
    }
}

#[cfg(test)]
mod properties {
    use axum::http::{HeaderMap, HeaderValue};
    use proptest::prelude::*;

    use super::*;

    fn read(content_type: &str, body: Vec<u8>) -> Result<Fields, ApiError> {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(content_type) {
            headers.insert(header::CONTENT_TYPE, value);
        }
        futures::executor::block_on(Fields::read(&headers, Body::from(body), 64 * 1024))
    }

    /// The errors a body can earn: 400 (parse, not an object), 413, 415.
    fn is_documented(error: &ApiError) -> bool {
        matches!(
            error,
            ApiError::Malformed(_)
                | ApiError::NonField(_)
                | ApiError::PayloadTooLarge(_)
                | ApiError::UnsupportedMediaType(_)
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// Any bytes under any of the content types clients send: fields
        /// or a documented 4xx, never a panic; and then any field reads as
        /// a value or a field error.
        #[test]
        fn any_body_gets_fields_or_a_documented_error(
            content_type in prop_oneof![
                Just("application/json"),
                Just("application/json; charset=utf-8"),
                Just("application/x-www-form-urlencoded"),
                Just("text/plain"),
                Just(""),
            ],
            body in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            match read(content_type, body) {
                Ok(fields) => {
                    let mut errors = FieldErrors::new();
                    let _ = fields.char_field("username", &mut errors);
                    let _ = fields.required_char("refresh");
                }
                Err(error) => prop_assert!(is_documented(&error), "{error:?}"),
            }
        }

        /// JSON objects of any string fields read back exactly.
        #[test]
        fn json_strings_read_back(name in "[a-z]{1,10}", value in ".{1,50}") {
            prop_assume!(strip(&value) == value && !value.is_empty());
            let body = serde_json::json!({ name.clone(): value.clone() }).to_string();
            let fields = read("application/json", body.into_bytes()).unwrap();
            let name: &'static str = Box::leak(name.into_boxed_str());
            prop_assert_eq!(fields.required_char(name).unwrap(), value);
        }
    }
}
