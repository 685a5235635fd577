//! Users brought over from another system (`tessera user import`): Django's
//! `manage.py dumpdata auth.user` JSON, or a CSV of `username,password_hash[,is_active]`.
//! Files are read and checked whole before anything is written, so a bad
//! file changes nothing; the rows are then written by
//! [`Accounts::import_users`](crate::Accounts::import_users), which skips
//! names already present (importing a file twice changes nothing).

mod csv_rows;
mod django_json;

use std::collections::HashSet;

use crate::password::Unusable;

/// One user read from a file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportedUser {
    /// The id the user had there; kept when free here.
    pub id: Option<i64>,
    pub username: String,
    /// As the other system stored it (Django's `algorithm$…` formats verify
    /// as they are, see `password::django`).
    pub password_hash: String,
    pub is_active: bool,
    /// Django's `is_staff` and `is_superuser` (false when the file has none).
    pub is_staff: bool,
    pub is_superuser: bool,
    /// Unix seconds; `None`: the time of the import.
    pub created_at: Option<i64>,
    pub last_login: Option<i64>,
    /// Django's `first_name`, `last_name` and `email` (empty when absent).
    pub first_name: String,
    pub last_name: String,
    pub email: String,
}

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ImportFormat {
    /// `manage.py dumpdata auth.user` (or a custom user model with
    /// `username` and `password` fields).
    #[default]
    DjangoJson,
    /// `username,password_hash[,is_active]`, an optional header line.
    Csv,
}

/// Why a file cannot be imported; nothing has been written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("not Django dumpdata JSON: {0}")]
    Json(String),
    #[error("not CSV: {0}")]
    Csv(String),
    #[error("{record}: {problem}")]
    Record { record: String, problem: String },
}

/// A file's users, checked.
#[derive(Debug, Default)]
pub struct ParsedFile {
    pub users: Vec<ImportedUser>,
    /// Records of other models in a dumpdata file (groups, permissions…).
    pub other_records: usize,
}

/// Reads and checks a whole file: every username valid and unique, every
/// date readable.
pub fn parse(format: ImportFormat, data: &[u8]) -> Result<ParsedFile, ImportError> {
    let parsed = match format {
        ImportFormat::DjangoJson => django_json::parse(data)?,
        ImportFormat::Csv => csv_rows::parse(data)?,
    };
    let mut seen = HashSet::with_capacity(parsed.users.len());
    for (index, user) in parsed.users.iter().enumerate() {
        let record = || format!("user {} ({:?})", index + 1, user.username);
        if !crate::accounts::username::is_valid_username(&user.username) {
            return Err(ImportError::Record {
                record: record(),
                problem: "not a valid username (1 to 150 characters, no control \
                          characters, no surrounding spaces)"
                    .into(),
            });
        }
        if !seen.insert(user.username.as_str()) {
            return Err(ImportError::Record {
                record: record(),
                problem: "the username appears twice in the file".into(),
            });
        }
    }
    Ok(parsed)
}

/// What an import did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub added: usize,
    /// Of the added users, how many kept the id they had.
    pub kept_ids: usize,
    /// Names that already existed here: left as they are.
    pub already_present: usize,
    /// Added users who cannot log in until `tessera user passwd`.
    pub cannot_log_in: Vec<(String, Unusable)>,
}

impl std::fmt::Display for ImportReport {
    /// One summary line, then up to ten of the users who cannot log in.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "imported {} user(s) ({} kept their id), {} already present, {} cannot log in until `tessera user passwd`",
            self.added,
            self.kept_ids,
            self.already_present,
            self.cannot_log_in.len()
        )?;
        const SHOWN: usize = 10;
        for (username, why) in self.cannot_log_in.iter().take(SHOWN) {
            write!(f, "\n  {username:?}: {why}")?;
        }
        if self.cannot_log_in.len() > SHOWN {
            write!(f, "\n  … and {} more", self.cannot_log_in.len() - SHOWN)?;
        }
        Ok(())
    }
}
