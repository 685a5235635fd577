//! `manage.py dumpdata auth.user`: a JSON array of
//! `{"model": "auth.user", "pk": 1, "fields": {"username", "password", "is_active", "date_joined", "last_login", …}}`.
//! A custom user model (`AUTH_USER_MODEL`) is read too when its records have
//! `username` and `password`; records of other models are counted and left.

use serde::Deserialize;
use serde_json::Value;

use super::{ImportError, ImportedUser, ParsedFile};
use crate::core::iso8601;

#[derive(Deserialize)]
struct Record {
    model: String,
    /// Absent with `--natural-primary`.
    #[serde(default)]
    pk: Option<Value>,
    fields: Fields,
}

/// The fields a user record needs; every other field (of users or of other
/// models) is skipped unread, so a million records cost their users only.
/// Loosely typed: another model may use these names for other things.
#[derive(Deserialize)]
struct Fields {
    username: Option<Value>,
    password: Option<Value>,
    is_active: Option<Value>,
    is_staff: Option<Value>,
    is_superuser: Option<Value>,
    date_joined: Option<Value>,
    last_login: Option<Value>,
    first_name: Option<Value>,
    last_name: Option<Value>,
    email: Option<Value>,
}

pub(super) fn parse(data: &[u8]) -> Result<ParsedFile, ImportError> {
    let records: Vec<Record> =
        serde_json::from_slice(data).map_err(|error| ImportError::Json(error.to_string()))?;
    let mut parsed = ParsedFile::default();
    for (index, record) in records.into_iter().enumerate() {
        let fields = record.fields;
        let is_user =
            record.model == "auth.user" || (fields.username.is_some() && fields.password.is_some());
        if !is_user {
            parsed.other_records += 1;
            continue;
        }
        let problem = |problem: String| ImportError::Record {
            record: format!("record {} ({})", index + 1, record.model),
            problem,
        };
        let id = match &record.pk {
            None | Some(Value::Null) => None,
            Some(pk) => Some(
                pk.as_i64()
                    .filter(|&pk| pk > 0)
                    .ok_or_else(|| problem(format!("pk {pk} is not a positive integer")))?,
            ),
        };
        let text = |name: &str, value: Option<Value>| match value {
            Some(Value::String(text)) => Ok(text),
            other => Err(problem(format!(
                "{name} is {}, not a string",
                other.map_or_else(|| "missing".to_owned(), |value| value.to_string())
            ))),
        };
        let flag = |name: &str, value: Option<Value>, absent: bool| match value {
            None => Ok(absent),
            Some(Value::Bool(flag)) => Ok(flag),
            Some(other) => Err(problem(format!("{name} {other} is not true or false"))),
        };
        let is_active = flag("is_active", fields.is_active, true)?;
        let is_staff = flag("is_staff", fields.is_staff, false)?;
        let is_superuser = flag("is_superuser", fields.is_superuser, false)?;
        // Django's limits: a longer value is not from a Django site.
        let optional_text = |name: &str, value: Option<Value>, max: usize| match value {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(text)) if text.chars().count() <= max => Ok(text),
            Some(Value::String(_)) => Err(problem(format!("{name} is over {max} characters"))),
            Some(other) => Err(problem(format!("{name} {other} is not a string"))),
        };
        let date = |name: &str, value: Option<Value>| match value {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => iso8601::unix_seconds(&text)
                .map(Some)
                .ok_or_else(|| problem(format!("{name} {text:?} is not a date-time"))),
            Some(other) => Err(problem(format!("{name} {other} is not a date-time"))),
        };
        parsed.users.push(ImportedUser {
            id,
            username: text("username", fields.username)?,
            password_hash: text("password", fields.password)?,
            is_active,
            is_staff,
            is_superuser,
            created_at: date("date_joined", fields.date_joined)?,
            last_login: date("last_login", fields.last_login)?,
            first_name: optional_text("first_name", fields.first_name, 150)?,
            last_name: optional_text("last_name", fields.last_name, 150)?,
            email: optional_text("email", fields.email, 254)?,
        });
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_read_and_other_models_counted() {
        let data = br#"[
            {"model": "auth.group", "pk": 1, "fields": {"name": "staff", "permissions": []}},
            {"model": "auth.user", "pk": 7, "fields": {"password": "pbkdf2_sha256$1$s$h", "last_login": null,
             "username": "alice", "is_active": false, "is_staff": true, "is_superuser": false,
             "date_joined": "2024-05-02T09:30:15.123Z", "first_name": "Alice", "last_name": "Liddell",
             "email": "Alice@Example.org"}},
            {"model": "accounts.customuser", "fields": {"password": "!x", "username": "bob"}}
        ]"#;
        let parsed = parse(data).unwrap();
        assert_eq!(parsed.other_records, 1);
        assert_eq!(
            parsed.users,
            vec![
                ImportedUser {
                    id: Some(7),
                    username: "alice".into(),
                    password_hash: "pbkdf2_sha256$1$s$h".into(),
                    is_active: false,
                    is_staff: true,
                    is_superuser: false,
                    created_at: Some(1_714_642_215),
                    last_login: None,
                    first_name: "Alice".into(),
                    last_name: "Liddell".into(),
                    email: "Alice@Example.org".into(),
                },
                ImportedUser {
                    id: None,
                    username: "bob".into(),
                    password_hash: "!x".into(),
                    is_active: true,
                    is_staff: false,
                    is_superuser: false,
                    ..ImportedUser::default()
                },
            ]
        );
    }

    #[test]
    fn a_broken_record_names_itself() {
        let error = parse(br#"[{"model": "auth.user", "pk": 1, "fields": {"username": "a", "password": "p", "date_joined": "soon"}}]"#)
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            r#"record 1 (auth.user): date_joined "soon" is not a date-time"#
        );
        assert!(parse(b"{").is_err());
        assert!(parse(
            br#"[{"model": "auth.user", "pk": "x", "fields": {"username": "a", "password": "p"}}]"#
        )
        .is_err());
    }
}
