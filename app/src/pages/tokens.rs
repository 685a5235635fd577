//! `/tokens`: the inspector. The tokens this browser holds, split into their
//! three parts, decoded, with live countdowns: a JWT explained with real data.

use std::time::Duration;

use super::fields::browser_action;
use leptos::prelude::*;

use crate::components::RequireLogin;
use crate::display::{countdown, local_time};
use crate::jwt;
use crate::session::use_session;
use crate::token_store::{now_ms, StoredTokens};

#[component]
pub fn Tokens() -> impl IntoView {
    crate::components::page_title(Some("Your tokens"));
    view! {
        <section class="card">
            <h1>"Your tokens"</h1>
            <RequireLogin>
                <Inspector />
            </RequireLogin>
        </section>
    }
}

#[component]
fn Inspector() -> impl IntoView {
    let session = use_session();
    let now = RwSignal::new(now_ms());
    if let Ok(ticker) =
        set_interval_with_handle(move || now.set(now_ms()), Duration::from_millis(250))
    {
        on_cleanup(move || ticker.clear());
    }
    let tokens = Memo::new(move |_| session.tokens());
    let profile = LocalResource::new(move || async move { session.call(crate::api::me).await });
    let refresh = browser_action(move |_: &()| async move {
        match session.refresh_now().await {
            Ok(()) => "New tokens received: the old refresh token is now retired.".to_owned(),
            Err(failure) => failure.to_string(),
        }
    });
    let busy = refresh.pending();
    let outcome = move || (!busy.get()).then(|| refresh.value().get()).flatten();

    let session_cap = move || {
        let profile = profile.get()?.ok()?;
        let cap = profile.session_expires_at?;
        let server_now = tokens.get()?.server_now(now.get())?;
        Some(view! {
            <p data-testid="session-cap">
                "Logged in as " <strong>{profile.username}</strong> " (user id " {profile.id}
                {profile.last_login.map(|at| format!(", last login {}", local_time(at)))} "). "
                "The session ends " {countdown((cap - server_now) * 1000)} " at the latest ("
                {local_time(cap)} "), however often it is refreshed."
            </p>
        })
    };

    view! {
        <p class="muted">
            "A JWT is three base64url parts joined by dots: a header, a payload of claims, and a "
            "signature over the first two, made with the algorithm the header names. Anyone can read "
            "the first two; only the server can make the third. This browser keeps both tokens in "
            "localStorage under "
            <code>{crate::token_store::STORAGE_KEY}</code> "."
        </p>
        <Suspense fallback=|| ()>{session_cap}</Suspense>
        <div class="toolbar">
            <button
                type="button"
                class="button"
                data-testid="refresh-now"
                disabled=move || busy.get()
                on:click=move |_| {
                    refresh.dispatch(());
                }
            >
                {move || if busy.get() { "Refreshing…" } else { "Refresh now" }}
            </button>
            <p class="status" role="status" aria-live="polite" data-testid="refresh-outcome">
                {outcome}
            </p>
        </div>
        {move || {
            tokens
                .get()
                .map(|stored| {
                    view! {
                        <TokenCard kind=TokenKind::Access stored=stored.clone() now />
                        <TokenCard kind=TokenKind::Refresh stored now />
                    }
                })
        }}
    }
}

/// Which of the two tokens a card shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    /// The `token_type` claim, and the prefix of the card's test ids.
    fn name(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Refresh => "refresh",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::Access => "Access token",
            Self::Refresh => "Refresh token",
        }
    }
}

#[component]
fn TokenCard(kind: TokenKind, stored: StoredTokens, now: RwSignal<i64>) -> impl IntoView {
    let token = match kind {
        TokenKind::Access => stored.access.clone(),
        TokenKind::Refresh => stored.refresh.clone(),
    };
    let title = kind.title();
    let kind = kind.name();
    let expires_at = stored.expires_at(&token);
    let Some(decoded) = jwt::decode(&token) else {
        return view! {
            <article class="token" data-testid=format!("{kind}-token")>
                <h2>{title}</h2>
                <p class="form-error">"This token cannot be decoded."</p>
            </article>
        }
        .into_any();
    };
    let remaining = move || expires_at.map(|at| countdown(at - now.get()));
    let signed_by = {
        let token = token.clone();
        LocalResource::new(move || crate::api::signing_key(token.clone()))
    };
    let key_line = move || {
        let line = match signed_by.get()? {
            Ok(Some(key)) => describe_key(&key),
            Ok(None) => "No key of this server verifies this token any more.".to_owned(),
            Err(_) => return None,
        };
        Some(view! { <p class="muted" data-testid=format!("{kind}-key")>{line}</p> })
    };
    let expired = move || expires_at.is_some_and(|at| at <= now.get());
    let bound_to = jwt::bound_key(&token);
    let this_key = LocalResource::new(crate::browser::dpop_thumbprint);
    let binding_line = move || {
        let line = describe_binding(bound_to.as_deref(), this_key.get()?.as_deref());
        Some(view! { <p class="muted binding" data-testid=format!("{kind}-binding")>{line}</p> })
    };

    view! {
        <article class="token" data-testid=format!("{kind}-token")>
            <h2>
                {title} " "
                <span
                    class="countdown"
                    class:expired=expired
                    data-testid=format!("{kind}-countdown")
                >
                    "expires "
                    {remaining}
                </span>
            </h2>
            <p class="encoded" data-testid=format!("{kind}-encoded")>
                <span class="jwt-header">{decoded.encoded_header}</span>
                "."
                <span class="jwt-payload">{decoded.encoded_payload}</span>
                "."
                <span class="jwt-signature">{decoded.signature}</span>
            </p>
            <div class="decoded">
                <div>
                    <h3 class="jwt-header-label">"Header"</h3>
                    <pre data-testid=format!("{kind}-header")>{decoded.header}</pre>
                    <Suspense fallback=|| ()>{key_line}</Suspense>
                </div>
                <div>
                    <h3 class="jwt-payload-label">"Payload"</h3>
                    <pre data-testid=format!("{kind}-payload")>{decoded.payload}</pre>
                    <p class="muted">
                        "Issued " {local_time(decoded.times.iat)} ", expires " {local_time(decoded.times.exp)} "."
                    </p>
                    <Suspense fallback=|| ()>{binding_line}</Suspense>
                </div>
            </div>
        </article>
    }
    .into_any()
}

/// Whether the token is bound to a DPoP key (`cnf.jkt`), and whether this
/// browser holds that key (`ours`: its thumbprint, if it keeps one).
fn describe_binding(bound_to: Option<&str>, ours: Option<&str>) -> String {
    match (bound_to, ours) {
        (Some(jkt), Some(ours)) if jkt == ours => format!("Bound to this browser's key {jkt}."),
        (Some(jkt), _) => format!("Bound to the key {jkt}, which this browser does not hold."),
        (None, Some(_)) => "Not bound: a bearer token.".to_owned(),
        (None, None) => "Not bound: this browser cannot keep a key here (private browsing?), \
                         so this is a bearer token, usable by whoever holds a copy."
            .to_owned(),
    }
}

/// "Signed with ES256 by key 3Fx…, the current signing key."
fn describe_key(key: &crate::api::SigningKeyInfo) -> String {
    let by = match &key.kid {
        Some(kid) => format!("key {kid}"),
        None => "the server's secret key (never published)".to_owned(),
    };
    let state = match key.state.as_str() {
        "current" => "the current signing key",
        "pending" => "a new key, published before it signs",
        "retiring" => "a replaced key that verifies until its tokens expire",
        _ => "an expired key",
    };
    format!("Signed with {} by {by}, {state}.", key.algorithm)
}
