//! The transports of server functions: the browser's ordinary fetch, plus a
//! DPoP proof of this browser's key (RFC 9449) where it can keep one.
//! [`AuthClient`] carries the access token read from the token store at
//! the moment the request leaves (so a call retried after a refresh
//! carries the new token): `Authorization: DPoP <access>` with a proof
//! naming it when the token is bound, `Bearer <access>` otherwise.
//! [`ProofClient`] carries a proof alone, for the calls that start, renew
//! or end a session: their tokens come back bound to the key.

use std::future::Future;

use futures::{Sink, Stream};
use leptos::server_fn::client::{browser::BrowserClient, Client};
use leptos::server_fn::error::FromServerFnError;
use leptos::server_fn::request::browser::BrowserRequest;
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

/// Adds this browser's proof for `request` (naming `access` in `ath`), if
/// it can make one.
async fn attach_proof(request: &BrowserRequest, access: Option<&str>) -> bool {
    let method = request.method();
    match crate::browser::dpop_proof(method.as_str(), &request.url(), access).await {
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
            if WITH_TOKEN {
                attach_access_token(&request).await;
            } else {
                attach_proof(&request, None).await;
            }
            <BrowserClient as Client<E, IS, OS>>::send(request).await
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
