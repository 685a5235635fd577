//! The REST API, compatible with djangorestframework-simplejwt: same paths
//! (with their trailing slash), bodies, status codes and error messages.

mod account_views;
mod admin_views;
mod auth_user;
mod browsable;
mod caller;
mod docs;
mod dpop;
mod email_views;
mod error;
mod fields;
mod jwks;
mod openapi;
mod passkey_views;
mod password_reset_views;
mod responses;
mod token_views;
mod two_step_views;

pub use auth_user::AuthUser;
pub use browsable::{answers_a_program, Browsable, BrowsableLayer};
pub use error::{ApiError, InternalCause};

use axum::handler::Handler;
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{delete, get, post, MethodRouter};
use axum::Json;
use serde_json::json;

use crate::AppState;

/// What DRF's token views accept.
const POST_ONLY: &str = "POST, OPTIONS";
const READ_ONLY: &str = "GET, HEAD, OPTIONS";
const DELETE_ONLY: &str = "DELETE, OPTIONS";
const READ_AND_PATCH: &str = "GET, PATCH, HEAD, OPTIONS";
const READ_AND_DELETE: &str = "GET, DELETE, HEAD, OPTIONS";

/// The API routes, as (path, method router) pairs: one list feeds axum's
/// router and the lookup of fixed paths in front of it
/// ([`crate::fixed_routes`]). A browser asking for HTML gets a readable page
/// instead of raw JSON: [`BrowsableLayer`], around the whole router.
pub fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/api/token/", post_only(token_views::obtain_pair)),
        ("/api/token/refresh/", post_only(token_views::refresh)),
        ("/api/token/verify/", post_only(token_views::verify)),
        ("/api/token/blacklist/", post_only(token_views::blacklist)),
        ("/hello/", protected(get(hello), READ_ONLY)),
        (
            "/api/sessions/",
            protected(get(account_views::list), READ_ONLY),
        ),
        (
            "/api/sessions/{id}/",
            protected(delete(account_views::destroy), DELETE_ONLY),
        ),
        (
            "/api/sessions/end-others/",
            protected(post(account_views::end_others), POST_ONLY),
        ),
        (
            "/api/password/change/",
            protected(post(account_views::change_password), POST_ONLY),
        ),
        (
            "/api/totp/",
            protected(
                get(two_step_views::status).delete(two_step_views::destroy),
                READ_AND_DELETE,
            ),
        ),
        (
            "/api/totp/setup/",
            protected(post(two_step_views::setup), POST_ONLY),
        ),
        (
            "/api/totp/confirm/",
            protected(post(two_step_views::confirm), POST_ONLY),
        ),
        (
            "/api/passkeys/",
            protected(get(passkey_views::list), READ_ONLY),
        ),
        (
            "/api/passkeys/{id}/",
            protected(delete(passkey_views::destroy), DELETE_ONLY),
        ),
        (
            "/api/passkeys/register/begin/",
            protected(post(passkey_views::register_begin), POST_ONLY),
        ),
        (
            "/api/passkeys/register/finish/",
            protected(post(passkey_views::register_finish), POST_ONLY),
        ),
        (
            "/api/passkeys/login/begin/",
            post_only(passkey_views::login_begin),
        ),
        (
            "/api/passkeys/login/finish/",
            post_only(passkey_views::login_finish),
        ),
        (
            "/api/password/reset/",
            post_only(password_reset_views::request_reset),
        ),
        (
            "/api/password/reset/confirm/",
            post_only(password_reset_views::confirm_reset),
        ),
        (
            "/api/registration/verify-email/",
            post_only(email_views::verify_email),
        ),
        (
            "/api/registration/resend-email/",
            post_only(email_views::resend_email),
        ),
        (
            "/api/admin/users/",
            protected(get(admin_views::users), READ_ONLY),
        ),
        (
            "/api/admin/users/{id}/",
            protected(
                get(admin_views::user).patch(admin_views::change_user),
                READ_AND_PATCH,
            ),
        ),
        (
            "/api/admin/users/{id}/sessions/",
            protected(get(admin_views::user_sessions), READ_ONLY),
        ),
        (
            "/api/admin/users/{id}/end-sessions/",
            protected(post(admin_views::end_user_sessions), POST_ONLY),
        ),
        (
            "/api/admin/users/{id}/sessions/{session}/",
            protected(delete(admin_views::end_user_session), DELETE_ONLY),
        ),
        (
            "/api/admin/users/{id}/password-reset/",
            protected(post(admin_views::send_password_reset), POST_ONLY),
        ),
        (
            "/api/admin/keys/",
            protected(get(admin_views::keys), READ_ONLY),
        ),
        (
            "/api/admin/keys/rotate/",
            protected(post(admin_views::rotate_key), POST_ONLY),
        ),
        (
            "/api/admin/events/",
            protected(get(admin_views::events), READ_ONLY),
        ),
        ("/.well-known/jwks.json", get(jwks::jwks)),
        ("/api/schema/", get(openapi::schema)),
        ("/api/docs/", get(docs::index)),
        ("/api/docs/{*file}", get(docs::file)),
        // Django would answer the slash-less paths with a redirect for GET
        // and an error for POST; a 308 keeps the method and the body.
        ("/api/token", redirect_to("/api/token/")),
        ("/api/token/refresh", redirect_to("/api/token/refresh/")),
        ("/api/token/verify", redirect_to("/api/token/verify/")),
        ("/api/token/blacklist", redirect_to("/api/token/blacklist/")),
        ("/api/schema", redirect_to("/api/schema/")),
        ("/api/docs", redirect_to("/api/docs/")),
        ("/api/", get(|| async { ApiError::NotFound })),
    ]
}

/// A DRF view that accepts POST: OPTIONS answers with `Allow`, any other
/// method 405 with DRF's body and `Allow`.
fn post_only<H, T>(handler: H) -> MethodRouter<AppState>
where
    H: Handler<T, AppState>,
    T: 'static,
{
    post(handler)
        .options(|| async { allowed(POST_ONLY) })
        .fallback(|method: Method| async move { ApiError::MethodNotAllowed(method, POST_ONLY) })
}

/// A protected DRF view. Authentication comes first, as in DRF: another
/// method (or OPTIONS) without credentials is 401, with them 405 (or the
/// `Allow` answer).
fn protected(route: MethodRouter<AppState>, allow: &'static str) -> MethodRouter<AppState> {
    route
        .options(move |_: AuthUser| async move { allowed(allow) })
        .fallback(move |_: AuthUser, method: Method| async move {
            ApiError::MethodNotAllowed(method, allow)
        })
}

fn redirect_to(path: &'static str) -> MethodRouter<AppState> {
    axum::routing::any(move || async move { Redirect::permanent(path) })
}

/// DRF's answer to OPTIONS (its metadata, reduced to the methods).
fn allowed(methods: &'static str) -> Response {
    (StatusCode::OK, [(header::ALLOW, methods)], Json(json!({}))).into_response()
}

/// The protected resource's body (a struct: serializing it allocates nothing
/// but the output, unlike a `json!` map).
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Greeting {
    #[schema(example = "Hello, World!")]
    message: &'static str,
}

/// The protected resource: any valid access token of an active user.
#[utoipa::path(
    get,
    path = "/hello/",
    operation_id = "hello",
    tag = "protected",
    security(("jwt" = [])), // openapi::BEARER
    responses(
        (status = 200, description = "The greeting", body = Greeting),
        (status = 401, response = responses::AccessRefused),
        (status = 503, response = responses::Unavailable),
    ),
)]
async fn hello(_user: AuthUser) -> Json<Greeting> {
    Json(Greeting {
        message: "Hello, World!",
    })
}
