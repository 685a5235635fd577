//! What staff tools read and change: users found by name and flags a page
//! at a time (keyset pagination: a page costs the same at the millionth
//! user as at the first), and the staff flags.

use super::audit::record_audit;
use super::{append_change, on_pool, on_writer, Changed, Store, StoreError, UserSummary};
use crate::audit::AuditEvent;

/// Which users, in id order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserFilter {
    /// Part of the name, any case.
    pub search: Option<String>,
    pub is_active: Option<bool>,
    pub is_staff: Option<bool>,
    /// After the user with this id (the last of the previous page).
    pub after_id: Option<i64>,
}

/// A user's standing for the admin tools: may they act, and how far.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StaffStanding {
    pub is_active: bool,
    pub is_staff: bool,
    pub is_superuser: bool,
}

/// `%`, `_` and the escape itself are literal in a search.
fn like_pattern(search: &str) -> String {
    let mut pattern = String::with_capacity(search.len() + 2);
    pattern.push('%');
    for c in search.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

impl Store {
    /// At most `limit` users matching `filter`, in id order.
    pub async fn find_users(
        &self,
        filter: &UserFilter,
        limit: i64,
    ) -> Result<Vec<UserSummary>, StoreError> {
        const SQL: &str = "SELECT id, username, is_active, is_staff, is_superuser, created_at, \
             last_login FROM users \
             WHERE ($1 IS NULL OR LOWER(username) LIKE $1 ESCAPE '\\') \
             AND ($2 IS NULL OR is_active = $2) AND ($3 IS NULL OR is_staff = $3) \
             AND ($4 IS NULL OR id > $4) ORDER BY id LIMIT $5";
        let pattern = filter.search.as_deref().map(like_pattern);
        Ok(on_pool!(self, |pool| sqlx::query_as::<_, UserSummary>(
            SQL
        )
        .bind(pattern)
        .bind(filter.is_active)
        .bind(filter.is_staff)
        .bind(filter.after_id)
        .bind(limit)
        .fetch_all(pool)
        .await)?)
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
    use super::like_pattern;

    #[test]
    fn a_search_is_a_literal_part_of_the_name() {
        assert_eq!(like_pattern("Ada"), "%ada%");
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
