//! The admin console's `#[server]` functions: the same core calls as the
//! admin REST API (`/api/admin/…`), so staff checks, audit events and
//! instant revocation are the same whichever door staff use. Every call
//! checks the caller against the database: a staff member removed on one
//! instance is refused on every other at once. Only the admin pages call
//! these, so their browser code lives in the pages' split files.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::SessionItem;
use crate::client::AuthClient;
use crate::failure::AuthFailure;
#[cfg(feature = "ssr")]
use crate::ssr;

/// What the caller may do in the console.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standing {
    pub staff: bool,
    /// Makes and unmakes staff, rotates keys.
    pub superuser: bool,
}

#[server(client = AuthClient)]
pub async fn admin_standing() -> Result<Standing, AuthFailure> {
    let user = ssr::authenticated().await?;
    let (staff, superuser) = ssr::core()?
        .admin
        .standing(&user)
        .await
        .map_err(ssr::reject)?;
    Ok(Standing { staff, superuser })
}

/// A user as staff see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub is_active: bool,
    pub is_staff: bool,
    pub is_superuser: bool,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// Whether its owner confirmed the address.
    pub email_verified: bool,
    /// Unix seconds.
    pub date_joined: i64,
    pub last_login: Option<i64>,
}

#[cfg(feature = "ssr")]
impl From<tessera::UserSummary> for UserRow {
    fn from(user: tessera::UserSummary) -> Self {
        Self {
            id: user.id,
            username: user.username,
            is_active: user.is_active,
            is_staff: user.is_staff,
            is_superuser: user.is_superuser,
            first_name: user.first_name,
            last_name: user.last_name,
            email: user.email,
            email_verified: user.email_verified,
            date_joined: user.created_at,
            last_login: user.last_login,
        }
    }
}

/// A page of users and the cursor of the next.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserListPage {
    pub users: Vec<UserRow>,
    pub next_after: Option<i64>,
}

/// Users whose name or address starts with `search` (any case; empty:
/// everyone), in id order, a page of 50 after the user `after`.
#[server(client = AuthClient)]
pub async fn admin_users(
    search: String,
    #[server(default)] after: Option<i64>,
) -> Result<UserListPage, AuthFailure> {
    let user = ssr::authenticated().await?;
    let search = search.trim();
    let filter = tessera::UserFilter {
        search: (!search.is_empty()).then(|| search.to_owned()),
        after_id: after,
        ..Default::default()
    };
    let page = ssr::core()?
        .admin
        .users(&user, &filter)
        .await
        .map_err(ssr::reject)?;
    Ok(UserListPage {
        users: page.users.into_iter().map(UserRow::from).collect(),
        next_after: page.next_after,
    })
}

/// One user and their live sessions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDetail {
    pub user: UserRow,
    pub sessions: Vec<SessionItem>,
}

#[server(client = AuthClient)]
pub async fn admin_user(id: i64) -> Result<UserDetail, AuthFailure> {
    let caller = ssr::authenticated().await?;
    let admin = ssr::core()?.admin;
    let user = admin.user(&caller, id).await.map_err(ssr::reject)?;
    let sessions = admin
        .user_sessions(&caller, id)
        .await
        .map_err(ssr::reject)?;
    Ok(UserDetail {
        user: user.into(),
        sessions: sessions.into_iter().map(SessionItem::from).collect(),
    })
}

/// Activates or deactivates the account; deactivation ends every session
/// at once, on every instance.
#[server(client = AuthClient)]
pub async fn admin_set_active(id: i64, active: bool) -> Result<UserRow, AuthFailure> {
    change(
        id,
        tessera::AccountChange {
            is_active: Some(active),
            ..Default::default()
        },
    )
    .await
}

/// Makes the user staff, or no longer (superusers only).
#[server(client = AuthClient)]
pub async fn admin_set_staff(id: i64, staff: bool) -> Result<UserRow, AuthFailure> {
    change(
        id,
        tessera::AccountChange {
            is_staff: Some(staff),
            ..Default::default()
        },
    )
    .await
}

/// Sets the user's names and address (surrounding spaces dropped;
/// Django's limits). A new address is not verified: a reset link goes there
/// once its owner confirms it.
#[server(client = AuthClient)]
pub async fn admin_set_profile(
    id: i64,
    first_name: String,
    last_name: String,
    email: String,
) -> Result<UserRow, AuthFailure> {
    change(
        id,
        tessera::AccountChange {
            first_name: Some(first_name),
            last_name: Some(last_name),
            email: Some(email),
            ..Default::default()
        },
    )
    .await
}

#[cfg(feature = "ssr")]
async fn change(id: i64, change: tessera::AccountChange) -> Result<UserRow, AuthFailure> {
    let caller = ssr::authenticated().await?;
    let user = ssr::core()?
        .admin
        .change_user(&caller, id, &change)
        .await
        .map_err(ssr::reject)?;
    Ok(user.into())
}

/// Ends one session of the user.
#[server(client = AuthClient)]
pub async fn admin_end_session(id: i64, session: String) -> Result<(), AuthFailure> {
    let caller = ssr::authenticated().await?;
    ssr::core()?
        .admin
        .end_user_session(&caller, id, &session)
        .await
        .map_err(ssr::reject)
}

/// Ends every session of the user; how many ended.
#[server(client = AuthClient)]
pub async fn admin_end_sessions(id: i64) -> Result<usize, AuthFailure> {
    let caller = ssr::authenticated().await?;
    ssr::core()?
        .admin
        .end_user_sessions(&caller, id)
        .await
        .map_err(ssr::reject)
}

/// Mails the user a link to choose a new password.
#[server(client = AuthClient)]
pub async fn admin_send_password_reset(id: i64) -> Result<(), AuthFailure> {
    let caller = ssr::authenticated().await?;
    ssr::core()?
        .admin
        .send_password_reset(&caller, id)
        .await
        .map_err(ssr::reject)
}

/// One audit event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRow {
    pub id: i64,
    pub kind: String,
    /// Unix seconds.
    pub at: i64,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    /// The staff member who acted, when not the user themself.
    pub actor_id: Option<i64>,
    pub address: Option<String>,
    pub device: Option<String>,
    pub detail: Option<String>,
    /// Attempts a `login_throttled` row counts.
    pub count: i64,
}

/// A page of events, newest first, and the cursor of the next.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventListPage {
    pub events: Vec<EventRow>,
    pub next_before: Option<i64>,
}

/// The audit log, newest first, 50 a page older than the event `before`;
/// only one user's (`user`) or one type's (`kind`, the log's name) if given.
#[server(client = AuthClient)]
pub async fn admin_events(
    #[server(default)] user: Option<i64>,
    #[server(default)] kind: Option<String>,
    #[server(default)] before: Option<i64>,
) -> Result<EventListPage, AuthFailure> {
    let caller = ssr::authenticated().await?;
    let kind = match kind.as_deref().filter(|name| !name.is_empty()) {
        None => None,
        Some(name) => Some(tessera::AuditKind::parse(name).ok_or_else(|| {
            ssr::reject(AuthFailure::Invalid {
                field: "type".into(),
                message: format!("{name} is not a type of event."),
            })
        })?),
    };
    let query = tessera::AuditQuery {
        user_id: user,
        kind,
        before_id: before,
        ..Default::default()
    };
    let page = ssr::core()?
        .admin
        .events(&caller, &query)
        .await
        .map_err(ssr::reject)?;
    Ok(EventListPage {
        events: page
            .events
            .into_iter()
            .map(|entry| EventRow {
                id: entry.id,
                kind: entry.kind,
                at: entry.at,
                user_id: entry.user_id,
                username: entry.username,
                actor_id: entry.actor_id,
                address: entry.address,
                device: entry.device,
                detail: entry.detail,
                count: entry.count,
            })
            .collect(),
        next_before: page.next_before,
    })
}

/// A signing key and where it is in its life.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRow {
    pub kid: String,
    pub algorithm: String,
    /// `pending`, `current`, `retiring` or `expired`.
    pub state: String,
    /// Unix seconds.
    pub created_at: i64,
    pub signs_from: i64,
    pub retired_at: Option<i64>,
    pub verifies_until: Option<i64>,
}

#[cfg(feature = "ssr")]
impl From<tessera::KeyListing> for KeyRow {
    fn from(key: tessera::KeyListing) -> Self {
        Self {
            kid: key.kid,
            algorithm: key.algorithm,
            state: key.state.as_str().to_owned(),
            created_at: key.created_at,
            signs_from: key.signs_from,
            retired_at: key.retired_at,
            verifies_until: key.verifies_until,
        }
    }
}

/// Every stored signing key, oldest first.
#[server(client = AuthClient)]
pub async fn admin_keys() -> Result<Vec<KeyRow>, AuthFailure> {
    let caller = ssr::authenticated().await?;
    let keys = ssr::core()?
        .admin
        .keys(&caller)
        .await
        .map_err(ssr::reject)?;
    Ok(keys.into_iter().map(KeyRow::from).collect())
}

/// Adds a signing key (superusers only); `None` when another instance
/// rotated at the same moment and its key stands.
#[server(client = AuthClient)]
pub async fn admin_rotate_key() -> Result<Option<KeyRow>, AuthFailure> {
    let caller = ssr::authenticated().await?;
    let added = ssr::core()?
        .admin
        .rotate_key(&caller)
        .await
        .map_err(ssr::reject)?;
    Ok(added.map(KeyRow::from))
}
