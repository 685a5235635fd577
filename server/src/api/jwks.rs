//! `GET /.well-known/jwks.json`: the public keys that verify this server's
//! tokens (RFC 7517), for services that check tokens without the secret.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::AppState;

/// A JWK set (RFC 7517). Describes the core's `Keys::jwks` value for the
/// OpenAPI document.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
pub struct JwkSet {
    /// Empty when the server signs with HMAC: a secret is never published.
    keys: Vec<Jwk>,
}

/// One public key: `kty` and its parameters (`crv`, `x`, `y` for EC and
/// OKP; `n`, `e` for RSA).
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
pub struct Jwk {
    #[schema(example = "EC")]
    kty: String,
    kid: String,
    #[schema(rename = "use", example = "sig")]
    use_: String,
    #[schema(example = "ES256")]
    alg: String,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

/// How quickly every instance learns of a key another one added (it reads
/// the key table at every sync, once a second, give or take the query).
const KEY_PICKUP_SECS: i64 = 2;

/// A verifier may cache the set for `max-age`: short enough that a key added
/// now is in its copy before the key signs (the publication delay), as long
/// as it refetches when the copy goes stale.
pub fn max_age(publication_delay: i64) -> i64 {
    (publication_delay - KEY_PICKUP_SECS - 1).max(0)
}

/// The public keys that verify this server's tokens; cache for `max-age`.
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    operation_id = "jwks",
    tag = "keys",
    responses((status = 200, description = "The JWK set", body = JwkSet)),
)]
pub async fn jwks(State(state): State<AppState>) -> Response {
    let max_age = max_age(state.tessera.keys.publication_delay());
    let cache = if max_age == 0 {
        "no-cache".to_owned()
    } else {
        format!("public, max-age={max_age}")
    };
    (
        [(header::CACHE_CONTROL, cache)],
        Json(state.tessera.keys.jwks()),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::max_age;

    #[test]
    fn a_cached_set_expires_before_a_new_key_signs() {
        for delay in [0, 1, 3, 10, 60] {
            assert!(max_age(delay) + 2 < delay.max(3), "delay {delay}");
        }
        assert_eq!(max_age(10), 7);
    }
}
