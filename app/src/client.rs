//! The transports of server functions: the browser's ordinary fetch, plus a
//! DPoP proof of this browser's key (RFC 9449) where it can keep one.
//! [`AuthClient`] carries the access token read from the token store at
//! the moment the request leaves (so a call retried after a refresh
//! carries the new token): `Authorization: DPoP <access>` with a proof
//! naming it when the token is bound, `Bearer <access>` otherwise.
//! [`ProofClient`] carries a proof alone, for the calls that start, renew
//! or end a session: their tokens come back bound to the key.
//!
//! A server that asks for nonces (RFC 9449 §8) sends one in `DPoP-Nonce`;
//! every proof carries the latest one heard, and a call answered
//! `use_dpop_nonce` (the first of a page, or one after a pause longer than
//! a nonce lasts) is sent once more with a proof carrying the new nonce.

use std::cell::RefCell;
use std::future::Future;

use futures::{Sink, Stream};
use http::Method;
use leptos::server_fn::client::{browser::BrowserClient, get_server_url, Client};
use leptos::server_fn::error::FromServerFnError;
use leptos::server_fn::request::browser::BrowserRequest;
use leptos::server_fn::request::ClientReq;
use leptos::server_fn::response::browser::BrowserResponse;
use leptos::server_fn::Bytes;
use send_wrapper::SendWrapper;

/// Server functions that need a user.
pub type AuthClient = DpopFetch<true>;

/// Server functions that start, renew or end a session.
pub type ProofClient = DpopFetch<false>;

/// The browser's fetch with this browser's DPoP proof; `WITH_TOKEN`: with
/// the stored access token too.
pub struct DpopFetch<const WITH_TOKEN: bool>;

thread_local! {
    /// The server's latest `DPoP-Nonce`, for the next proof.
    static NONCE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Adds this browser's proof for `request` (naming `access` in `ath`, with
/// the latest nonce), if it can make one.
async fn attach_proof(request: &BrowserRequest, access: Option<&str>) -> bool {
    let method = request.method();
    let nonce = NONCE.with_borrow(Clone::clone);
    match crate::browser::dpop_proof(method.as_str(), &request.url(), access, nonce.as_deref())
        .await
    {
        Some(proof) => {
            request.headers().set("DPoP", &proof);
            true
        }
        None => false,
    }
}

/// The access token as a bound token wants it (`DPoP`, with a proof naming
/// it) or as a bearer token.
async fn attach_access_token(request: &BrowserRequest) {
    let Some(access) = crate::token_store::stored_access_token() else {
        return;
    };
    let scheme =
        if crate::jwt::bound_key(&access).is_some() && attach_proof(request, Some(&access)).await {
            "DPoP"
        } else {
            "Bearer"
        };
    request
        .headers()
        .set("Authorization", &format!("{scheme} {access}"));
}

/// Sends `request` with its proof (and token), and keeps the nonce the
/// answer brings.
async fn send_once<E, IS, OS, const WITH_TOKEN: bool>(
    request: BrowserRequest,
) -> Result<BrowserResponse, E>
where
    E: FromServerFnError,
    IS: FromServerFnError,
    OS: FromServerFnError,
{
    if WITH_TOKEN {
        attach_access_token(&request).await;
    } else {
        attach_proof(&request, None).await;
    }
    let response = <BrowserClient as Client<E, IS, OS>>::send(request).await?;
    if let Some(nonce) = response.generate_headers().get("dpop-nonce") {
        if let Ok(nonce) = nonce.to_str() {
            NONCE.set(Some(nonce.to_owned()));
        }
    }
    Ok(response)
}

/// Whether the server refused the proof for want of its nonce (which the
/// answer carried, and [`send_once`] kept).
fn asks_for_nonce(response: &BrowserResponse) -> bool {
    response
        .generate_headers()
        .get("www-authenticate")
        .and_then(|challenge| challenge.to_str().ok())
        .is_some_and(|challenge| challenge.contains("use_dpop_nonce"))
}

/// A server-function call that can be sent twice: the request's body is
/// read once, and each sending gets a request (and a proof) of its own.
/// Server functions here are POSTs of a text body; any other request is
/// sent as it is, once.
struct Resendable {
    path: String,
    content_type: String,
    accept: String,
    body: String,
}

impl Resendable {
    async fn read(request: &BrowserRequest) -> Option<Self> {
        if request.method() != Method::POST {
            return None;
        }
        let headers = request.headers();
        let url = request.url();
        Some(Self {
            path: url
                .strip_prefix(get_server_url())
                .unwrap_or(&url)
                .to_owned(),
            content_type: headers.get("Content-Type")?,
            accept: headers.get("Accept").unwrap_or_default(),
            body: request.text().await.ok()?,
        })
    }

    fn request<E: FromServerFnError>(&self) -> Result<BrowserRequest, E> {
        <BrowserRequest as ClientReq<E>>::try_new_req_text(
            &self.path,
            &self.content_type,
            &self.accept,
            self.body.clone(),
            Method::POST,
        )
    }
}

impl<E, IS, OS, const WITH_TOKEN: bool> Client<E, IS, OS> for DpopFetch<WITH_TOKEN>
where
    E: FromServerFnError,
    IS: FromServerFnError,
    OS: FromServerFnError,
{
    type Request = BrowserRequest;
    type Response = BrowserResponse;

    fn send(request: BrowserRequest) -> impl Future<Output = Result<BrowserResponse, E>> + Send {
        SendWrapper::new(async move {
            let Some(copy) = Resendable::read(&request).await else {
                return send_once::<E, IS, OS, WITH_TOKEN>(request).await;
            };
            let response = send_once::<E, IS, OS, WITH_TOKEN>(copy.request()?).await?;
            if !asks_for_nonce(&response) {
                return Ok(response);
            }
            send_once::<E, IS, OS, WITH_TOKEN>(copy.request()?).await
        })
    }

    #[allow(clippy::type_complexity)]
    fn open_websocket(
        path: &str,
    ) -> impl Future<
        Output = Result<
            (
                impl Stream<Item = Result<Bytes, Bytes>> + Send + 'static,
                impl Sink<Bytes> + Send + 'static,
            ),
            E,
        >,
    > + Send {
        <BrowserClient as Client<E, IS, OS>>::open_websocket(path)
    }

    fn spawn(future: impl Future<Output = ()> + Send + 'static) {
        <BrowserClient as Client<E, IS, OS>>::spawn(future)
    }
}
