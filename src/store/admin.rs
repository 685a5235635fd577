//! What staff tools read and change: users found by name, address and flags a page
//! at a time (keyset pagination: a page costs the same at the millionth
//! user as at the first), and the staff flags.

use super::audit::record_audit;
use super::users::summary_columns;
use super::{append_change, on_pool, on_writer, Changed, Store, StoreError, UserSummary};
use crate::audit::AuditEvent;

/// Which users, in id order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserFilter {
    /// The start of the username or of the email address, any case.
    pub search: Option<String>,
    pub is_active: Option<bool>,
    pub is_staff: Option<bool>,
    /// After the user with this id (the last of the previous page).
    pub after_id: Option<i64>,
}

/// Names and address to set (`None`: unchanged).
#[derive(Clone, Copy, Debug, Default)]
pub struct ProfileChange<'a> {
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub email: Option<&'a str>,
}

/// A user's standing for the admin tools: may they act, and how far.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StaffStanding {
    pub is_active: bool,
    pub is_staff: bool,
    pub is_superuser: bool,
}

/// The lowest and the first string past every string that starts with
/// `prefix` (lowercased), in byte order: a prefix search as an index range.
fn prefix_range(prefix: &str) -> (String, String) {
    let low = prefix.to_lowercase();
    // U+10FFFF is the greatest character: nothing valid sorts between
    // `low` followed by anything and `low` followed by it.
    let high = format!("{low}\u{10FFFF}");
    (low, high)
}

/// The user list's query with a search condition (`$4`, `$5`) or none:
/// placeholders in the order they are bound and first appear, the limit last.
macro_rules! users_sql {
    ("") => {
        concat!(
            "SELECT ",
            summary_columns!(),
            " FROM users \
             WHERE ($1 IS NULL OR is_active = $1) AND ($2 IS NULL OR is_staff = $2) \
             AND ($3 IS NULL OR id > $3) ORDER BY id LIMIT $4"
        )
    };
    ($search:literal) => {
        concat!(
            "SELECT ",
            summary_columns!(),
            " FROM users \
             WHERE ($1 IS NULL OR is_active = $1) AND ($2 IS NULL OR is_staff = $2) \
             AND ($3 IS NULL OR id > $3)",
            $search,
            " ORDER BY id LIMIT $6"
        )
    };
}

impl Store {
    /// At most `limit` users matching `filter`, in id order. A search is the
    /// start of the username or of the email address, in any case.
    pub async fn find_users(
        &self,
        filter: &UserFilter,
        limit: i64,
    ) -> Result<Vec<UserSummary>, StoreError> {
        let search = filter
            .search
            .as_deref()
            .map(str::trim)
            .filter(|search| !search.is_empty())
            .map(prefix_range);
        Ok(on_pool!(self, |pool| {
            let sql = match (self, search.is_some()) {
                (_, false) => users_sql!(""),
                (Store::Sqlite { .. }, true) => users_sql!(
                    " AND ((LOWER(username) >= $4 AND LOWER(username) < $5) \
                     OR (LOWER(email) >= $4 AND LOWER(email) < $5))"
                ),
                // Byte order, as the indexes of migration 0009 keep it.
                (Store::Postgres(_), true) => users_sql!(
                    " AND ((LOWER(username) COLLATE \"C\" >= $4 AND LOWER(username) COLLATE \"C\" < $5) \
                     OR (LOWER(email) COLLATE \"C\" >= $4 AND LOWER(email) COLLATE \"C\" < $5))"
                ),
            };
            let mut query = sqlx::query_as::<_, UserSummary>(sql)
                .bind(filter.is_active)
                .bind(filter.is_staff)
                .bind(filter.after_id);
            if let Some((low, high)) = &search {
                query = query.bind(low).bind(high);
            }
            query.bind(limit).fetch_all(pool).await
        })?)
    }

    /// Sets a user's names and address where `Some`; `false`: no such user.
    pub async fn set_profile(
        &self,
        user_id: i64,
        profile: &ProfileChange<'_>,
        audit: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        on_writer!(self, |pool| {
            let mut tx = pool.begin().await?;
            let found = sqlx::query(
                // A new address is not verified (staff may mistype it), and
                // one waiting for verification is dropped for it.
                "UPDATE users SET first_name = COALESCE($1, first_name), \
                 last_name = COALESCE($2, last_name), email = COALESCE($3, email), \
                 email_verified = CASE WHEN $3 IS NULL OR $3 = email THEN email_verified \
                 ELSE FALSE END, \
                 email_pending = CASE WHEN $3 IS NULL THEN email_pending ELSE '' END \
                 WHERE id = $4",
            )
            .bind(profile.first_name)
            .bind(profile.last_name)
            .bind(profile.email)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !found {
                return Ok(false);
            }
            record_audit!(tx, audit)?;
            tx.commit().await?;
            Ok(true)
        })
    }

    pub async fn staff_standing(&self, user_id: i64) -> Result<Option<StaffStanding>, StoreError> {
        Ok(on_pool!(self, |pool| sqlx::query_as::<_, StaffStanding>(
            "SELECT is_active, is_staff, is_superuser FROM users WHERE id = $1"
        )
        .bind(user_id)
        .fetch_optional(pool)
        .await)?)
    }

    /// Sets the staff flags that are `Some`, with a change-log row (other
    /// instances re-read the user) and `audit`. `false`: no such user.
    pub async fn set_staff_flags(
        &self,
        user_id: i64,
        is_staff: Option<bool>,
        is_superuser: Option<bool>,
        now: i64,
        audit: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        let append_event = self.append_event_sql();
        on_writer!(self, |pool| {
            let mut tx = pool.begin().await?;
            let found = sqlx::query(
                "UPDATE users SET is_staff = COALESCE($1, is_staff), \
                 is_superuser = COALESCE($2, is_superuser) WHERE id = $3",
            )
            .bind(is_staff)
            .bind(is_superuser)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !found {
                return Ok(false);
            }
            append_change!(append_event, tx, Changed::User(user_id), now)?;
            record_audit!(tx, audit)?;
            tx.commit().await?;
            Ok(true)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::prefix_range;

    #[test]
    fn a_prefix_is_a_range_in_byte_order() {
        let (low, high) = prefix_range("Ada");
        assert_eq!(low, "ada");
        for inside in ["ada", "adam", "ada_lovelace", "ada\u{10FFFE}"] {
            assert!(low.as_str() <= inside && inside < high.as_str(), "{inside}");
        }
        for outside in ["ad", "adb", "ac~", "b"] {
            assert!(
                !(low.as_str() <= outside && outside < high.as_str()),
                "{outside}"
            );
        }
    }
}
