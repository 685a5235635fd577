//! `manage.py dumpdata auth.user`: a JSON array of
//! `{"model": "auth.user", "pk": 1, "fields": {"username", "password", "is_active", "date_joined", "last_login", …}}`.
//! A custom user model (`AUTH_USER_MODEL`) is read too when its records have
//! `username` and `password`; records of other models are counted and left.

use serde::Deserialize;

use super::{iso8601, ImportError, ImportedUser, ParsedFile};

#[derive(Deserialize)]
struct Record {
    model: String,
    /// Absent with `--natural-primary`.
    #[serde(default)]
    pk: Option<serde_json::Value>,
    fields: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct UserFields {
    username: String,
    password: String,
    #[serde(default = "active_by_default")]
    is_active: bool,
    #[serde(default)]
    date_joined: Option<String>,
    #[serde(default)]
    last_login: Option<String>,
}

fn active_by_default() -> bool {
    true
}

pub(super) fn parse(data: &[u8]) -> Result<ParsedFile, ImportError> {
    let records: Vec<Record> =
        serde_json::from_slice(data).map_err(|error| ImportError::Json(error.to_string()))?;
    let mut parsed = ParsedFile::default();
    for (index, record) in records.into_iter().enumerate() {
        let is_user = record.model == "auth.user"
            || (record.fields.contains_key("username") && record.fields.contains_key("password"));
        if !is_user {
            parsed.other_records += 1;
            continue;
        }
        let problem = |problem: String| ImportError::Record {
            record: format!("record {} ({})", index + 1, record.model),
            problem,
        };
        let id = match &record.pk {
            None | Some(serde_json::Value::Null) => None,
            Some(pk) => Some(
                pk.as_i64()
                    .filter(|&pk| pk > 0)
                    .ok_or_else(|| problem(format!("pk {pk} is not a positive integer")))?,
            ),
        };
        let fields: UserFields =
            serde_json::from_value(serde_json::Value::Object(record.fields.clone()))
                .map_err(|error| problem(error.to_string()))?;
        let date = |name: &str, value: Option<&str>| -> Result<Option<i64>, ImportError> {
            value
                .map(|text| {
                    iso8601::unix_seconds(text)
                        .ok_or_else(|| problem(format!("{name} {text:?} is not a date-time")))
                })
                .transpose()
        };
        parsed.users.push(ImportedUser {
            id,
            created_at: date("date_joined", fields.date_joined.as_deref())?,
            last_login: date("last_login", fields.last_login.as_deref())?,
            username: fields.username,
            password_hash: fields.password,
            is_active: fields.is_active,
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
             "username": "alice", "is_active": false, "date_joined": "2024-05-02T09:30:15.123Z"}},
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
                    created_at: Some(1_714_642_215),
                    last_login: None,
                },
                ImportedUser {
                    id: None,
                    username: "bob".into(),
                    password_hash: "!x".into(),
                    is_active: true,
                    created_at: None,
                    last_login: None,
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
