use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use super::form::{CredentialsForm, CredentialsKind};
use crate::api::SignupRules;
use crate::browser;
use crate::components::{use_login_status, LoginStatus};
use crate::display::{safe_next, LoginReason};
use crate::passkey_api;
use crate::session::use_session;
use crate::token_store::now_ms;

/// `/login[?next=/path][&reason=expired|elsewhere]`. Someone already logged
/// in is told so, and may continue or switch to another account.
#[component]
pub fn Login() -> impl IntoView {
    crate::components::page_title(Some("Log in"));
    let query = use_query_map();
    let reason =
        move || query.with(|query| query.get("reason").as_deref().and_then(LoginReason::parse));
    // Shown here: a later load of this tab need not say it again. At once
    // (the notice below is then in the page), and again if the address
    // changes to another reason while the page stays.
    if reason().is_some() {
        crate::session::reason_shown();
    }
    Effect::new(move |_| {
        if reason().is_some() {
            crate::session::reason_shown();
        }
    });
    let status = use_login_status();
    let signup_open = SignupRules::current().is_some_and(|rules| rules.open);
    // Whether the person came here already logged in, decided once the
    // session is known. Logging in on this page must not swap the form for
    // "already logged in": the form navigates on to `next` itself.
    let arrived_logged_in = RwSignal::new(None::<bool>);
    Effect::new(move |_| {
        let status = status.get();
        if status != LoginStatus::Unknown && arrived_logged_in.get_untracked().is_none() {
            arrived_logged_in.set(Some(status == LoginStatus::LoggedIn));
        }
    });
    // A memo: the form below is rebuilt only when this flips, never when the
    // session merely becomes known, which would clear what was typed.
    let show_already = Memo::new(move |_| {
        arrived_logged_in.get() == Some(true) && status.get() == LoginStatus::LoggedIn
    });

    view! {
        <section class="card narrow">
            <h1>"Log in"</h1>
            {move || {
                reason()
                    .map(|reason| match reason {
                        LoginReason::Expired => view! {
                            <p class="notice" role="status" data-testid="session-expired">
                                "Your session has expired. Please log in again."
                            </p>
                        },
                        LoginReason::SignedOutElsewhere => view! {
                            <p class="notice" role="status" data-testid="signed-out-elsewhere">
                                "You were signed out from another device. Please log in again."
                            </p>
                        },
                        LoginReason::PasswordReset => view! {
                            <p class="notice" role="status" data-testid="password-reset-done">
                                "Your password was changed. Sign in with the new one."
                            </p>
                        },
                    })
            }}
            {move || {
                if show_already.get() {
                    view! { <AlreadyLoggedIn arrived_logged_in /> }.into_any()
                } else {
                    view! {
                        <CredentialsForm kind=CredentialsKind::Login />
                        <PasskeySignIn />
                        <p class="form-links">
                            <A href="/forgot-password">"Forgot password?"</A>
                            {signup_open.then(|| view! {
                                " · " <A href="/signup">"Create an account"</A>
                            })}
                        </p>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

/// "Continue" goes where the login would have gone; "Switch account" logs
/// out here, which brings the form back.
#[component]
fn AlreadyLoggedIn(arrived_logged_in: RwSignal<Option<bool>>) -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let next = move || safe_next(query.with(|query| query.get("next")).as_deref());
    let username = move || session.username().unwrap_or_else(|| "someone".to_owned());
    let switch = move |_| {
        // From now on this page is a login page like any other.
        arrived_logged_in.set(Some(false));
        leptos::task::spawn_local(async move { session.logout().await });
    };
    view! {
        <div data-testid="already-logged-in">
            <p>"You are logged in as " <strong>{username}</strong> "."</p>
            <div class="toolbar">
                <A href=next attr:class="button">
                    "Continue"
                </A>
                <button type="button" class="button button-quiet" on:click=switch>
                    "Switch account"
                </button>
            </div>
        </div>
    }
}

/// "Sign in with a passkey": no name typed, the browser lists the passkeys
/// it holds for this site. Shown once the page runs in a browser that can
/// use passkeys, on a server that offers them.
#[component]
fn PasskeySignIn() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let navigate = use_navigate();
    let origin = Resource::new(|| (), |_| passkey_api::passkeys_origin());
    let supported = RwSignal::new(false);
    Effect::new(move |_| supported.set(browser::passkeys_supported()));
    let sign_in = Action::new_unsync(move |_: &()| async move {
        let issued_at = now_ms();
        let ceremony = passkey_api::begin_passkey_sign_in()
            .await
            .map_err(|failure| failure.to_string())?;
        let credential = browser::use_passkey(&ceremony.options).await?;
        let signed_in = passkey_api::sign_in_with_passkey(ceremony.id, credential)
            .await
            .map_err(|failure| failure.to_string())?;
        session.signed_in(signed_in.tokens, signed_in.username, issued_at);
        Ok::<(), String>(())
    });
    let busy = sign_in.pending();
    Effect::new(move |_| {
        if let Some(Ok(())) = sign_in.value().get() {
            let next = safe_next(query.with_untracked(|query| query.get("next")).as_deref());
            navigate(
                &next,
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });
    let failure = move || {
        sign_in
            .value()
            .get()
            .filter(|_| !busy.get())
            .and_then(Result::err)
    };
    // Only where they work: the site opened at the origin they are made for.
    let shown = move || {
        supported.get()
            && matches!(origin.get(), Some(Ok(Some(origin))) if browser::is_page_origin(&origin))
    };
    view! {
        <Suspense fallback=|| ()>
            {move || shown().then(|| view! {
                <div class="passkey-sign-in">
                    <p class="divider" aria-hidden="true">"or"</p>
                    <button type="button" class="button button-quiet" disabled=move || busy.get()
                        on:click=move |_| { sign_in.dispatch(()); }>
                        {move || if busy.get() { "Waiting for your passkey…" } else { "Sign in with a passkey" }}
                    </button>
                    <p class="form-error" role="alert">{failure}</p>
                </div>
            })}
        </Suspense>
    }
}
