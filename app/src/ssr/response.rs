//! The status of a server function's response. A leaf: the error type
//! (`failure.rs`) sets it too, when the arguments cannot be decoded.

use axum::http::{header, HeaderValue, StatusCode};
use leptos::prelude::use_context;

/// Makes the server function's response carry `status` (and, for 401,
/// `WWW-Authenticate` as the REST API does). Outside a request, nothing.
pub fn set_status(status: u16) {
    set_status_and_retry(status, None);
}

/// As [`set_status`], with `Retry-After` (seconds) when a wait is known.
pub fn set_status_and_retry(status: u16, retry_after: Option<i64>) {
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.set_status(status);
    if status == StatusCode::UNAUTHORIZED {
        response.insert_header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Bearer realm="api""#),
        );
    }
    if let Some(seconds) = retry_after {
        response.insert_header(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
}
