use super::fields::browser_action;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use super::form::{CredentialsForm, CredentialsKind, UnlessLoggedIn};
use crate::api::SignupRules;
use crate::browser;
use crate::display::{safe_next, LoginReason};
use crate::passkey_api;
use crate::session::use_session;

/// `/login[?next=/path][&reason=expired|elsewhere|reset|logged-out]`.
/// Someone already logged in is told so, and may continue or switch to
/// another account.
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
    let signup_open = SignupRules::current().is_some_and(|rules| rules.open);

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
                                "You were logged out from another device. Please log in again."
                            </p>
                        },
                        LoginReason::PasswordReset => view! {
                            <p class="notice" role="status" data-testid="password-reset-done">
                                "Your password was changed. Log in with the new one."
                            </p>
                        },
                        LoginReason::LoggedOut => view! {
                            <p class="notice" role="status" data-testid="logged-out">
                                "You have logged out."
                            </p>
                        },
                    }.into_any())
                    .or_else(|| {
                        // Sent here by a page that needs a login.
                        let page = query.with(|query| query.get("next")).as_deref().and_then(page_name)?;
                        Some(view! {
                            <p class="notice" role="status" data-testid="login-to-see">
                                {format!("Log in to see {page}.")}
                            </p>
                        }.into_any())
                    })
            }}
            <UnlessLoggedIn>
                <CredentialsForm kind=CredentialsKind::Login />
                <PasskeySignIn />
                <p class="form-links">
                    <A href="/forgot-password">"Forgot password?"</A>
                    {signup_open.then(|| view! {
                        " · " <A href="/signup">"Create account"</A>
                    })}
                </p>
            </UnlessLoggedIn>
        </section>
    }
}

/// What the login leads back to, in words, for the pages that need one.
fn page_name(next: &str) -> Option<&'static str> {
    let path = next.split(['?', '#']).next().unwrap_or_default();
    Some(match path {
        "/account" => "your account",
        "/hello" => "the Hello page",
        "/tokens" => "your tokens",
        _ if path == "/admin" || path.starts_with("/admin/") => "the admin console",
        _ => return None,
    })
}

/// "Log in with a passkey": no name typed, the browser lists the passkeys
/// it holds for this site. Shown once the page runs in a browser that can
/// use passkeys, on a server that offers them.
#[component]
fn PasskeySignIn() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let navigate = use_navigate();
    let origin = passkey_api::offered_origin();
    let supported = RwSignal::new(false);
    Effect::new(move |_| supported.set(browser::passkeys_supported()));
    let sign_in = browser_action(move |_: &()| async move { session.passkey_login().await });
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
    let shown = move || supported.get() && origin.as_deref().is_some_and(browser::is_page_origin);
    view! {
        {move || shown().then(|| view! {
            <div class="passkey-sign-in">
                <p class="divider" aria-hidden="true">"or"</p>
                <button type="button" class="button button-quiet" disabled=move || busy.get()
                    on:pointerenter=|_| crate::session::prepare_sign_in()
                    on:focus=|_| crate::session::prepare_sign_in()
                    on:click=move |_| { sign_in.dispatch(()); }>
                    {move || if busy.get() { "Waiting for your passkey…" } else { "Log in with a passkey" }}
                </button>
                <p class="form-error" role="alert">{failure}</p>
            </div>
        })}
    }
}
