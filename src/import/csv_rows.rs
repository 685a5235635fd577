//! `username,password_hash[,is_active]` rows (RFC 4180 quoting: argon2
//! hashes hold commas), with or without a header line.

use super::{ImportError, ImportedUser, ParsedFile};

pub(super) fn parse(data: &[u8]) -> Result<ParsedFile, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::None)
        .from_reader(data);
    let mut parsed = ParsedFile::default();
    for (index, row) in reader.records().enumerate() {
        let row = row.map_err(|error| ImportError::Csv(error.to_string()))?;
        let line = row.position().map_or(index as u64 + 1, csv::Position::line);
        let problem = |problem: String| ImportError::Record {
            record: format!("line {line}"),
            problem,
        };
        if index == 0
            && row
                .get(0)
                .is_some_and(|first| first.eq_ignore_ascii_case("username"))
        {
            continue;
        }
        if row.len() == 1 && row.get(0) == Some("") {
            continue; // a blank line
        }
        let (username, hash, active) = match (row.get(0), row.get(1), row.get(2), row.len()) {
            (Some(username), Some(hash), active, 2 | 3) => (username, hash, active),
            _ => {
                return Err(problem(format!(
                    "expected username,password_hash[,is_active], found {} field(s)",
                    row.len()
                )))
            }
        };
        let is_active = match active.map(str::to_ascii_lowercase).as_deref() {
            None | Some("true" | "t" | "1" | "yes") => true,
            Some("false" | "f" | "0" | "no") => false,
            Some(other) => {
                return Err(problem(format!("is_active {other:?} is not true or false")))
            }
        };
        parsed.users.push(ImportedUser {
            id: None,
            username: username.to_owned(),
            password_hash: hash.to_owned(),
            is_active,
            is_staff: false,
            is_superuser: false,
            ..ImportedUser::default()
        });
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_with_and_without_header_and_quotes() {
        let data = b"username,password_hash,is_active\nalice,\"argon2$argon2id$v=19$m=1,t=2,p=8$s$h\",false\nbob,!x\n";
        let parsed = parse(data).unwrap();
        assert_eq!(parsed.users.len(), 2);
        assert_eq!(
            parsed.users[0].password_hash,
            "argon2$argon2id$v=19$m=1,t=2,p=8$s$h"
        );
        assert!(!parsed.users[0].is_active);
        assert!(parsed.users[1].is_active);
    }

    #[test]
    fn a_bad_row_names_its_line() {
        let error = parse(b"alice,h\nbob\n").unwrap_err().to_string();
        assert_eq!(
            error,
            "line 2: expected username,password_hash[,is_active], found 1 field(s)"
        );
        let error = parse(b"alice,h,maybe\n").unwrap_err().to_string();
        assert_eq!(error, "line 1: is_active \"maybe\" is not true or false");
    }
}
