use leptos::prelude::*;

use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::SignupRules;
use crate::components::{use_login_status, LoginStatus};
use crate::session::use_session;

/// The start page speaks to the person: who they are and their sessions at
/// a glance, with the way on; logged out, how to get in.
#[component]
pub fn Home() -> impl IntoView {
    crate::components::page_title(None);
    let status = use_login_status();
    let query = use_query_map();
    let signup_open = SignupRules::current().is_some_and(|rules| rules.open);
    let state = move || match status.get() {
        LoginStatus::Unknown => {
            view! { <p class="placeholder">"Checking your session…"</p> }.into_any()
        }
        // Where sign-up leads: what a new account can do next.
        LoginStatus::LoggedIn if query.with(|query| query.get("welcome").is_some()) => {
            view! { <NewAccount /> }.into_any()
        }
        LoginStatus::LoggedIn => view! { <Welcome /> }.into_any(),
        LoginStatus::LoggedOut => view! {
            <div data-testid="home-state">
                <p>"You are not logged in."</p>
                <div class="toolbar">
                    <A href="/login" attr:class="button">
                        "Log in"
                    </A>
                    {signup_open
                        .then(|| {
                            view! {
                                <A href="/signup" attr:class="button button-quiet">
                                    "Create account"
                                </A>
                            }
                        })}
                </div>
            </div>
        }
        .into_any(),
    };

    view! {
        <section class="card">
            <h1>"Tessera"</h1>
            <p class="lead">
                "JSON Web Token authentication for Rust web apps: log in with a username and a password, "
                "get a short-lived access token and a refresh token, and stay logged in."
            </p>
            {state}
        </section>
    }
}

#[component]
fn Welcome() -> impl IntoView {
    let session = use_session();
    let username = move || session.username();
    let sessions =
        LocalResource::new(move || async move { session.call(crate::api::my_sessions).await });
    let glance = move || {
        sessions.get().map(|result| match result {
            Ok(list) => {
                let here = list
                    .iter()
                    .find(|item| item.current)
                    .map(|item| format!("This is {}. ", item.device))
                    .unwrap_or_default();
                match list.len() {
                    0 | 1 => format!("{here}You are logged in on this device only."),
                    count => format!("{here}You are logged in in {count} places."),
                }
            }
            Err(failure) => failure.to_string(),
        })
    };
    view! {
        <div data-testid="home-state">
            <p class="welcome">
                "Welcome back" {move || username().map(|name| format!(", {name}"))} "."
            </p>
            <p data-testid="session-glance">{glance}</p>
            <ul class="next-steps">
                <li>
                    <A href="/account">"Your account"</A>
                    " – where you are logged in, and your password"
                </li>
                <li>
                    <A href="/hello">"Hello"</A>
                    " – the protected greeting"
                </li>
                <li>
                    <A href="/tokens">"Tokens"</A>
                    " – your access and refresh tokens, decoded"
                </li>
            </ul>
        </div>
    }
}

/// `/?welcome`, where a new account lands: what it is and what to do next.
#[component]
fn NewAccount() -> impl IntoView {
    let session = use_session();
    let username = move || session.username();
    view! {
        <div data-testid="new-account">
            <p class="welcome">
                "Welcome" {move || username().map(|name| format!(", {name}"))} ". Your account is ready, and you are logged in."
            </p>
            <p>"What you can do next:"</p>
            <ul class="next-steps">
                <li>
                    <A href="/account">"Your account"</A>
                    " – add an email address for when you forget your password, a passkey, or two-step login"
                </li>
                <li>
                    <A href="/tokens">"Tokens"</A>
                    " – the access and refresh tokens this browser holds for you, decoded"
                </li>
                <li>
                    <A href="/hello">"Hello"</A>
                    " – a page only logged-in people see"
                </li>
            </ul>
        </div>
    }
}
