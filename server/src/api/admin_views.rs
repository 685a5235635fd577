//! The admin API, for staff (Django's `is_staff`): find users, change
//! what staff may change, see and end a user's sessions, read the audit
//! log. Authentication comes first (401 as everywhere); an authenticated
//! caller who is not staff gets DRF's 403. Lists are pages of 50 with
//! DRF's cursor pagination shape, `{"next","results"}`.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use tessera::{
    AccountChange, Admin, AuditEntry, AuditKind, AuditQuery, KeyListing, UserFilter, UserSummary,
};
use utoipa::ToSchema;

use super::account_views::{Ended, SessionView};
use super::auth_user::AuthUser;
use super::error::{ApiError, FieldErrors};
use super::fields::{parse_bool, Drf, DrfBody, Fields};
use super::responses::{AccessRefused, BadRequest, BodyRefused, Forbidden, NotFound, Unavailable};

/// A user as staff see them (never a password hash).
#[derive(Serialize, ToSchema)]
pub struct AdminUser {
    id: i64,
    username: String,
    is_active: bool,
    is_staff: bool,
    is_superuser: bool,
    first_name: String,
    last_name: String,
    /// As given; empty when unknown.
    #[schema(example = "ada@example.org")]
    email: String,
    /// Whether its owner confirmed the address with a mailed link (a
    /// password-reset link goes only to a confirmed address, unless the
    /// server runs with `--email-verification none`).
    email_verified: bool,
    /// When the account was made (UTC, ISO 8601).
    #[schema(example = "2026-12-01T09:30:15Z")]
    date_joined: String,
    last_login: Option<String>,
}

impl From<UserSummary> for AdminUser {
    fn from(user: UserSummary) -> Self {
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
            date_joined: tessera::format_utc(user.created_at),
            last_login: user.last_login.map(tessera::format_utc),
        }
    }
}

/// A page of users.
#[derive(Serialize, ToSchema)]
pub struct UserList {
    /// The next page (same filters), or null on the last.
    #[schema(example = "/api/admin/users/?cursor=50&search=ada")]
    next: Option<String>,
    results: Vec<AdminUser>,
}

/// One audit event.
#[derive(Serialize, ToSchema)]
pub struct EventView {
    id: i64,
    /// `login_succeeded`, `login_failed`, `login_throttled`, `logout`, …
    #[serde(rename = "type")]
    kind: String,
    #[schema(example = "2026-12-01T09:30:15Z")]
    at: String,
    user: Option<i64>,
    username: Option<String>,
    /// The staff member who acted, when not the user themself.
    actor: Option<i64>,
    address: Option<String>,
    device: Option<String>,
    session: Option<String>,
    detail: Option<String>,
    /// Attempts a `login_throttled` row counts (1 for every other).
    count: i64,
}

impl From<AuditEntry> for EventView {
    fn from(entry: AuditEntry) -> Self {
        Self {
            id: entry.id,
            kind: entry.kind,
            at: tessera::format_utc(entry.at),
            user: entry.user_id,
            username: entry.username,
            actor: entry.actor_id,
            address: entry.address,
            device: entry.device,
            session: entry.session_id,
            detail: entry.detail,
            count: entry.count,
        }
    }
}

/// The types of audit events (docs/operations.md, The audit log).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // only its schema is used: the query is read by name
pub enum EventType {
    LoginSucceeded,
    LoginFailed,
    LoginThrottled,
    Logout,
    SessionEnded,
    RefreshReuse,
    PasswordChanged,
    PasswordSet,
    UserCreated,
    UserActivated,
    UserDeactivated,
    UsersImported,
    SigningKeyAdded,
    StaffChanged,
    ProfileChanged,
    PasswordResetRequested,
    PasswordReset,
    EmailVerificationSent,
    EmailVerified,
    EmailChanged,
    TwoStepEnabled,
    TwoStepDisabled,
    RecoveryCodeUsed,
    PasskeyAdded,
    PasskeyRemoved,
}

/// A page of events, newest first.
#[derive(Serialize, ToSchema)]
pub struct EventList {
    next: Option<String>,
    results: Vec<EventView>,
}

/// What staff may change: at least one field. `is_staff`: superusers only.
#[derive(ToSchema)]
#[schema(min_properties = 1)]
pub struct UserChange {
    /// Absent: unchanged (null is refused, as DRF refuses it).
    #[schema(nullable = false)]
    is_active: Option<bool>,
    #[schema(nullable = false)]
    is_staff: Option<bool>,
    /// Up to 150 characters; may be blank.
    #[schema(nullable = false, max_length = 150)]
    first_name: Option<String>,
    #[schema(nullable = false, max_length = 150)]
    last_name: Option<String>,
    /// A valid address, or blank.
    #[schema(nullable = false, max_length = 254, example = "ada@example.org")]
    email: Option<String>,
}

impl DrfBody for UserChange {
    fn read(fields: &Fields) -> Result<Self, ApiError> {
        if fields.is_empty() {
            return Err(ApiError::NonField("No data provided".to_owned()));
        }
        let mut errors = FieldErrors::new();
        let is_active = fields.optional_bool("is_active", &mut errors);
        let is_staff = fields.optional_bool("is_staff", &mut errors);
        let first_name = fields.optional_text("first_name", &mut errors);
        let last_name = fields.optional_text("last_name", &mut errors);
        let email = fields.optional_text("email", &mut errors);
        if errors.is_empty() {
            Ok(Self {
                is_active,
                is_staff,
                first_name,
                last_name,
                email,
            })
        } else {
            Err(ApiError::Fields(errors))
        }
    }
}

/// The query string as name-value pairs. A name given twice is refused
/// (400; a cursor, 404): a filter means one thing or nothing.
fn query_pairs(query: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query.unwrap_or_default()).unwrap_or_default();
    let mut seen = std::collections::HashSet::new();
    let mut errors = FieldErrors::new();
    for (name, _) in &pairs {
        if !seen.insert(name.as_str()) {
            if name == "cursor" {
                return Err(ApiError::InvalidCursor);
            }
            if let Some(known) = ["search", "is_active", "is_staff", "user", "type", "since"]
                .into_iter()
                .find(|known| known == name)
            {
                errors.push((known, "Enter a single value.".to_owned()));
            }
        }
    }
    if errors.is_empty() {
        Ok(pairs)
    } else {
        Err(ApiError::Fields(errors))
    }
}

fn value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// A boolean filter, or django-filter's 400 for another value (empty too).
fn bool_filter(
    pairs: &[(String, String)],
    name: &'static str,
    errors: &mut FieldErrors,
) -> Option<bool> {
    let text = value(pairs, name)?;
    let parsed = parse_bool(text);
    if parsed.is_none() {
        errors.push((
            name,
            format!("Select a valid choice. {text} is not one of the available choices."),
        ));
    }
    parsed
}

/// A cursor is the last id of the previous page.
fn cursor(pairs: &[(String, String)]) -> Result<Option<i64>, ApiError> {
    value(pairs, "cursor")
        .map(|text| text.parse::<i64>().map_err(|_| ApiError::InvalidCursor))
        .transpose()
}

/// The URL of the next page: the same query, the cursor replaced.
fn next_page(path: &str, pairs: &[(String, String)], after: i64) -> String {
    let mut next: Vec<(&str, String)> = pairs
        .iter()
        .filter(|(name, _)| name != "cursor")
        .map(|(name, value)| (name.as_str(), value.clone()))
        .collect();
    next.insert(0, ("cursor", after.to_string()));
    format!(
        "{path}?{}",
        serde_urlencoded::to_string(next).unwrap_or_default()
    )
}

/// Users, in id order, 50 a page, filtered by the start of the name or
/// address and by flags.
#[utoipa::path(
    get,
    path = "/api/admin/users/",
    operation_id = "admin_users_list",
    tag = "admin",
    security(("jwt" = [])),
    params(
        ("search" = Option<String>, Query, description = "The start of the username or the email address, any case"),
        ("is_active" = Option<bool>, Query, description = "Only active (or inactive) users"),
        ("is_staff" = Option<bool>, Query, description = "Only staff (or others)"),
        ("cursor" = Option<i64>, Query, description = "From a previous page's `next`"),
    ),
    responses(
        (status = 200, description = "A page of users", body = UserList),
        (status = 400, response = BadRequest),
        (status = 401, response = AccessRefused),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn users(
    State(admin): State<Admin>,
    user: AuthUser,
    RawQuery(query): RawQuery,
) -> Result<Json<UserList>, ApiError> {
    let pairs = staff_only(&admin, &user, query_pairs(query.as_deref())).await?;
    let mut errors = FieldErrors::new();
    let is_active = bool_filter(&pairs, "is_active", &mut errors);
    let is_staff = bool_filter(&pairs, "is_staff", &mut errors);
    staff_only(&admin, &user, filters_read(errors)).await?;
    let filter = UserFilter {
        search: value(&pairs, "search")
            .filter(|search| !search.is_empty())
            .map(str::to_owned),
        is_active,
        is_staff,
        after_id: cursor(&pairs)?,
    };
    let page = admin
        .users(&user, &filter)
        .await
        .map_err(ApiError::from_admin)?;
    Ok(Json(UserList {
        next: page
            .next_after
            .map(|after| next_page("/api/admin/users/", &pairs, after)),
        results: page.users.into_iter().map(AdminUser::from).collect(),
    }))
}

/// One user.
#[utoipa::path(
    get,
    path = "/api/admin/users/{id}/",
    operation_id = "admin_users_retrieve",
    tag = "admin",
    security(("jwt" = [])),
    params(("id" = i64, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The user", body = AdminUser),
        (status = 401, response = AccessRefused),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn user(
    State(admin): State<Admin>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<AdminUser>, ApiError> {
    let id = user_id(&admin, &caller, &id).await?;
    let user = admin
        .user(&caller, id)
        .await
        .map_err(ApiError::from_admin)?;
    Ok(Json(user.into()))
}

/// Changes a user: `is_active` (false ends every session at once, on every
/// instance), `is_staff` (superusers only), names and email address.
#[utoipa::path(
    patch,
    path = "/api/admin/users/{id}/",
    operation_id = "admin_users_partial_update",
    tag = "admin",
    security(("jwt" = [])),
    params(("id" = i64, Path, description = "The user's id")),
    request_body(content(
        (UserChange = "application/json"),
        (UserChange = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "The user as changed", body = AdminUser),
        (status = 401, response = AccessRefused),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        BodyRefused,
        (status = 503, response = Unavailable),
    ),
)]
pub async fn change_user(
    State(admin): State<Admin>,
    caller: AuthUser,
    Path(id): Path<String>,
    Drf(change): Drf<UserChange>,
) -> Result<Json<AdminUser>, ApiError> {
    let id = user_id(&admin, &caller, &id).await?;
    let change = AccountChange {
        is_active: change.is_active,
        is_staff: change.is_staff,
        first_name: change.first_name,
        last_name: change.last_name,
        email: change.email,
    };
    let user = admin
        .change_user(&caller, id, &change)
        .await
        .map_err(ApiError::from_admin)?;
    Ok(Json(user.into()))
}

/// A user's live sessions (simplejwt's outstanding tokens), the most
/// recently used first.
#[utoipa::path(
    get,
    path = "/api/admin/users/{id}/sessions/",
    operation_id = "admin_users_sessions",
    tag = "admin",
    security(("jwt" = [])),
    params(("id" = i64, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The user's live sessions", body = Vec<SessionView>),
        (status = 401, response = AccessRefused),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn user_sessions(
    State(admin): State<Admin>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<SessionView>>, ApiError> {
    let id = user_id(&admin, &caller, &id).await?;
    let sessions = admin
        .user_sessions(&caller, id)
        .await
        .map_err(ApiError::from_admin)?;
    Ok(Json(sessions.into_iter().map(SessionView::from).collect()))
}

/// Ends every session of a user at once, on every instance.
#[utoipa::path(
    post,
    path = "/api/admin/users/{id}/end-sessions/",
    operation_id = "admin_users_end_sessions",
    tag = "admin",
    security(("jwt" = [])),
    params(("id" = i64, Path, description = "The user's id")),
    responses(
        (status = 200, description = "How many sessions ended", body = Ended),
        (status = 401, response = AccessRefused),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn end_user_sessions(
    State(admin): State<Admin>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Ended>, ApiError> {
    let id = user_id(&admin, &caller, &id).await?;
    let ended = admin
        .end_user_sessions(&caller, id)
        .await
        .map_err(ApiError::from_admin)?;
    Ok(Json(Ended::new(ended)))
}

/// dj-rest-auth's `{"detail": "…"}`.
#[derive(Serialize, ToSchema)]
pub struct ResetSent {
    #[schema(example = "Password reset e-mail has been sent.")]
    detail: &'static str,
}

/// Mails the user a link to choose a new password (or a first one, for an
/// account imported without a password). 409 when the account has no
/// address or is deactivated.
#[utoipa::path(
    post,
    path = "/api/admin/users/{id}/password-reset/",
    operation_id = "admin_users_password_reset",
    tag = "admin",
    security(("jwt" = [])),
    params(("id" = i64, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The link is on its way", body = ResetSent),
        (status = 401, response = AccessRefused),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, description = "No address, or a deactivated account", body = super::error::Detail),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn send_password_reset(
    State(admin): State<Admin>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<ResetSent>, ApiError> {
    let id = user_id(&admin, &caller, &id).await?;
    admin
        .send_password_reset(&caller, id)
        .await
        .map_err(ApiError::from_admin)?;
    Ok(Json(ResetSent {
        detail: "Password reset e-mail has been sent.",
    }))
}

/// Ends one session of a user at once, on every instance.
#[utoipa::path(
    delete,
    path = "/api/admin/users/{id}/sessions/{session}/",
    operation_id = "admin_users_sessions_destroy",
    tag = "admin",
    security(("jwt" = [])),
    params(
        ("id" = i64, Path, description = "The user's id"),
        ("session" = String, Path, description = "A session id from the user's sessions"),
    ),
    responses(
        (status = 204, description = "The session ended"),
        (status = 401, response = AccessRefused),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn end_user_session(
    State(admin): State<Admin>,
    caller: AuthUser,
    Path((id, session)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let id = user_id(&admin, &caller, &id).await?;
    admin
        .end_user_session(&caller, id, &session)
        .await
        .map_err(ApiError::from_admin)?;
    Ok(StatusCode::NO_CONTENT)
}

/// A signing key as staff see it (never its private part).
#[derive(Serialize, ToSchema)]
pub struct KeyView {
    /// The key id in tokens' `kid` header (and the JWK set).
    kid: String,
    #[schema(example = "ES256")]
    algorithm: String,
    /// `pending` (published, not signing yet), `current`, `retiring`
    /// (verifies, no longer signs) or `expired`.
    #[schema(example = "current")]
    state: String,
    #[schema(example = "2026-12-01T09:30:15Z")]
    created: String,
    signs_from: String,
    retired: Option<String>,
    /// When it stops verifying (retired keys).
    verifies_until: Option<String>,
}

impl From<KeyListing> for KeyView {
    fn from(key: KeyListing) -> Self {
        Self {
            kid: key.kid,
            algorithm: key.algorithm,
            state: key.state.as_str().to_owned(),
            created: tessera::format_utc(key.created_at),
            signs_from: tessera::format_utc(key.signs_from),
            retired: key.retired_at.map(tessera::format_utc),
            verifies_until: key.verifies_until.map(tessera::format_utc),
        }
    }
}

/// Every stored signing key, oldest first.
#[utoipa::path(
    get,
    path = "/api/admin/keys/",
    operation_id = "admin_keys_list",
    tag = "admin",
    security(("jwt" = [])),
    responses(
        (status = 200, description = "The signing keys", body = Vec<KeyView>),
        (status = 401, response = AccessRefused),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn keys(
    State(admin): State<Admin>,
    caller: AuthUser,
) -> Result<Json<Vec<KeyView>>, ApiError> {
    let keys = admin.keys(&caller).await.map_err(ApiError::from_admin)?;
    Ok(Json(keys.into_iter().map(KeyView::from).collect()))
}

/// Superusers: adds a signing key of the current algorithm, published at
/// once and signing after the publication delay (`tessera keys rotate`).
/// 201 with the new key; 200 with the newest key when another instance
/// rotated at the same moment (its key stands).
#[utoipa::path(
    post,
    path = "/api/admin/keys/rotate/",
    operation_id = "admin_keys_rotate",
    tag = "admin",
    security(("jwt" = [])),
    responses(
        (status = 201, description = "The key added", body = KeyView),
        (status = 200, description = "Another instance's key, added at the same moment", body = KeyView),
        (status = 401, response = AccessRefused),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn rotate_key(
    State(admin): State<Admin>,
    caller: AuthUser,
) -> Result<(StatusCode, Json<KeyView>), ApiError> {
    if let Some(added) = admin
        .rotate_key(&caller)
        .await
        .map_err(ApiError::from_admin)?
    {
        return Ok((StatusCode::CREATED, Json(added.into())));
    }
    let newest = admin
        .keys(&caller)
        .await
        .map_err(ApiError::from_admin)?
        .into_iter()
        .max_by_key(|key| key.created_at)
        .ok_or_else(|| ApiError::Internal("no signing key after a rotation".to_owned()))?;
    Ok((StatusCode::OK, Json(newest.into())))
}

/// The audit log, newest first, 50 a page.
#[utoipa::path(
    get,
    path = "/api/admin/events/",
    operation_id = "admin_events_list",
    tag = "admin",
    security(("jwt" = [])),
    params(
        ("user" = Option<i64>, Query, description = "Only events of this user id"),
        ("type" = Option<EventType>, Query, description = "Only events of this type"),
        ("since" = Option<i64>, Query, description = "At or after this Unix time"),
        ("cursor" = Option<i64>, Query, description = "From a previous page's `next`"),
    ),
    responses(
        (status = 200, description = "A page of events", body = EventList),
        (status = 400, response = BadRequest),
        (status = 401, response = AccessRefused),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn events(
    State(admin): State<Admin>,
    caller: AuthUser,
    RawQuery(query): RawQuery,
) -> Result<Json<EventList>, ApiError> {
    let pairs = staff_only(&admin, &caller, query_pairs(query.as_deref())).await?;
    let mut errors = FieldErrors::new();
    let mut number = |name: &'static str| {
        let text = value(&pairs, name)?;
        let parsed = text.parse::<i64>().ok();
        if parsed.is_none() {
            errors.push((name, "Enter a number.".to_owned()));
        }
        parsed
    };
    let user_id = number("user");
    let since = number("since");
    let kind = value(&pairs, "type").and_then(|name| {
        let kind = AuditKind::parse(name);
        if kind.is_none() {
            errors.push((
                "type",
                format!("Select a valid choice. {name} is not one of the available choices."),
            ));
        }
        kind
    });
    staff_only(&admin, &caller, filters_read(errors)).await?;
    let query = AuditQuery {
        user_id,
        kind,
        since,
        before_id: cursor(&pairs)?,
        ..AuditQuery::default()
    };
    let page = admin
        .events(&caller, &query)
        .await
        .map_err(ApiError::from_admin)?;
    Ok(Json(EventList {
        next: page
            .next_before
            .map(|before| next_page("/api/admin/events/", &pairs, before)),
        results: page.events.into_iter().map(EventView::from).collect(),
    }))
}

/// A user id from the path: not a number is no such user, but only staff
/// may learn even that.
async fn user_id(admin: &Admin, caller: &AuthUser, text: &str) -> Result<i64, ApiError> {
    match text.parse::<i64>() {
        Ok(id) => Ok(id),
        Err(_) => staff_only(admin, caller, Err(ApiError::NotFound)).await,
    }
}

/// The outcome of reading a request's input, told only to staff: anyone
/// else learns nothing about their input, only DRF's 403.
async fn staff_only<T>(
    admin: &Admin,
    caller: &AuthUser,
    read: Result<T, ApiError>,
) -> Result<T, ApiError> {
    if read.is_err() {
        require_staff(admin, caller).await?;
    }
    read
}

/// The filters' errors, if any, as DRF's 400.
fn filters_read(errors: FieldErrors) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Fields(errors))
    }
}

/// DRF's 403 for anyone but active staff.
async fn require_staff(admin: &Admin, caller: &AuthUser) -> Result<(), ApiError> {
    if admin.is_staff(caller).await.map_err(ApiError::from_admin)? {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}
