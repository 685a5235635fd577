//! The OpenAPI 3.1 document of the REST API, `GET /api/schema/` (where
//! drf-spectacular serves it). utoipa derives it from the handlers'
//! `#[utoipa::path]` annotations and from the types they read and write;
//! what is declared here is only what no handler owns: the error responses
//! they share (`super::responses`), the bearer scheme and the document's
//! front matter.

use std::sync::OnceLock;

use axum::body::Bytes;
use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::Required;
use utoipa::{Modify, OpenApi, PartialSchema};

use super::error::{BadRequestBody, Detail, OAuthError, TokenMessage};
use super::responses::{
    AccessRefused, BadRequest, Conflict, Forbidden, NotFound, NotValid, PayloadTooLarge, Throttled,
    TokenRequestError, TokenRequestRefused, Unavailable, Unsupported,
};

/// The name the protected operations use for the bearer scheme.
pub const BEARER: &str = "jwt";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tessera",
        description = "JSON Web Token authentication, compatible with \
            djangorestframework-simplejwt: log in for an access and a refresh \
            token, send the access token as `Authorization: Bearer <token>`, \
            refresh it before it expires, log out by blacklisting the refresh \
            token. Request bodies are JSON or urlencoded forms; errors are DRF's \
            bodies. A client that sends a DPoP proof (RFC 9449) in a `DPoP` header \
            with the login gets tokens bound to its key (`token_type: DPoP`), sent \
            as `Authorization: DPoP <token>` with a fresh proof on every request; \
            flawed proofs are answered `400 {\"error\": \"invalid_dpop_proof\"}` \
            by the token endpoints and 401 by the others.",
        license(name = "MIT OR Apache-2.0"),
    ),
    paths(
        super::token_views::obtain_pair,
        super::token_views::refresh,
        super::token_views::verify,
        super::token_views::blacklist,
        super::hello,
        super::account_views::list,
        super::account_views::destroy,
        super::account_views::end_others,
        super::account_views::change_password,
        super::two_step_views::status,
        super::two_step_views::setup,
        super::two_step_views::confirm,
        super::two_step_views::destroy,
        super::passkey_views::list,
        super::passkey_views::destroy,
        super::passkey_views::register_begin,
        super::passkey_views::register_finish,
        super::passkey_views::login_begin,
        super::passkey_views::login_finish,
        super::password_reset_views::request_reset,
        super::password_reset_views::confirm_reset,
        super::email_views::verify_email,
        super::email_views::resend_email,
        super::admin_views::users,
        super::admin_views::user,
        super::admin_views::change_user,
        super::admin_views::user_sessions,
        super::admin_views::end_user_sessions,
        super::admin_views::end_user_session,
        super::admin_views::send_password_reset,
        super::admin_views::keys,
        super::admin_views::rotate_key,
        super::admin_views::events,
        super::jwks::jwks,
        crate::health::livez,
        crate::health::healthz,
    ),
    components(
        // What the shared responses refer to (paths' own body types are
        // collected from the paths).
        schemas(
            Detail,
            TokenMessage,
            BadRequestBody,
            OAuthError,
            TokenRequestError,
            super::admin_views::EventType
        ),
        responses(
            BadRequest,
            TokenRequestRefused,
            NotValid,
            AccessRefused,
            Forbidden,
            NotFound,
            Conflict,
            PayloadTooLarge,
            Unsupported,
            Throttled,
            Unavailable,
        ),
    ),
    modifiers(&BearerScheme, &ProofHeader),
    tags(
        (name = "token", description = "Log in, refresh, verify, log out (simplejwt's views)"),
        (name = "protected", description = "Resources that need an access token"),
        (name = "account", description = "A logged-in person's sessions and password"),
        (name = "two-step", description = "Two-step login with an authenticator app: set up, turn on, turn off"),
        (name = "passkeys", description = "Passkeys (WebAuthn): add, list, remove, sign in with one"),
        (name = "admin", description = "Staff only: users, their sessions, the audit log"),
        (name = "keys", description = "Public keys for verifying tokens elsewhere"),
        (name = "health", description = "Probes for load balancers and orchestrators"),
    ),
)]
struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token from `POST /api/token/` or `/api/token/refresh/` \
                         (a DPoP-bound one under the `DPoP` scheme, with its proof)",
                    ))
                    .build(),
            ),
        );
    }
}

/// The operations that read a `DPoP` proof from the request (RFC 9449):
/// those that start, renew, check or end a session. (Protected resources
/// read one too, with a token sent under the `DPoP` scheme: the scheme's
/// description says so.)
const PROOF_OPERATIONS: [&str; 5] = [
    "/api/token/",
    "/api/token/refresh/",
    "/api/token/verify/",
    "/api/token/blacklist/",
    "/api/passkeys/login/finish/",
];

/// The optional `DPoP` header of [`PROOF_OPERATIONS`], declared once.
struct ProofHeader;

impl Modify for ProofHeader {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let header = ParameterBuilder::new()
            .name("DPoP")
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .schema(Some(String::schema()))
            .description(Some(
                "A DPoP proof (RFC 9449): a JWT of type `dpop+jwt` signed with ES256 or Ed25519 \
                 by the key in its header, for this method and URL, with a fresh `jti` and \
                 `iat` (and the server's nonce when it asks for one). The tokens answered are \
                 then bound to that key, and refreshing or logging out takes a proof of it.",
            ))
            .build();
        for path in PROOF_OPERATIONS {
            let operation = openapi
                .paths
                .paths
                .get_mut(path)
                .and_then(|item| item.post.as_mut());
            if let Some(operation) = operation {
                operation
                    .parameters
                    .get_or_insert_with(Vec::new)
                    .push(utoipa::openapi::RefOr::T(header.clone()));
            }
        }
    }
}

/// The document, as a value (for tests and the docs page).
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// `GET /api/schema/`: the document as JSON, serialized once.
pub async fn schema() -> impl IntoResponse {
    static JSON: OnceLock<Bytes> = OnceLock::new();
    let json = JSON.get_or_init(|| {
        document()
            .to_json()
            .map(Bytes::from)
            .unwrap_or_else(|_| Bytes::from_static(b"{}"))
    });
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            // Changes only with a new version of the server.
            (header::CACHE_CONTROL, "no-cache"),
        ],
        json.clone(),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::document;

    fn references<'a>(node: &'a Value, found: &mut Vec<&'a str>) {
        match node {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref") {
                    found.push(reference);
                }
                map.values().for_each(|value| references(value, found));
            }
            Value::Array(items) => items.iter().for_each(|value| references(value, found)),
            _ => {}
        }
    }

    #[test]
    fn the_operations_that_take_a_proof_say_so() {
        let document = serde_json::to_value(document()).unwrap();
        for path in super::PROOF_OPERATIONS {
            let operation = &document["paths"][path]["post"];
            let parameters = operation["parameters"].as_array().unwrap();
            assert!(
                parameters
                    .iter()
                    .any(|parameter| parameter["name"] == "DPoP" && parameter["in"] == "header"),
                "{path} documents no DPoP header"
            );
            assert_eq!(
                operation["responses"]["400"]["$ref"], "#/components/responses/TokenRequestRefused",
                "{path}"
            );
        }
    }

    #[test]
    fn every_reference_resolves() {
        let document = serde_json::to_value(document()).unwrap();
        let mut found = Vec::new();
        references(&document, &mut found);
        assert!(!found.is_empty());
        for reference in found {
            let pointer = reference.strip_prefix('#').unwrap();
            assert!(
                document.pointer(pointer).is_some(),
                "{reference} is missing"
            );
        }
    }
}
