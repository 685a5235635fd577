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
            <NextSteps steps=&[
                ("/account", "Your account", "where you are logged in, and your password"),
                ("/hello", "Hello", "the protected greeting"),
                ("/tokens", "Tokens", "your access and refresh tokens, decoded"),
            ] />
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
            <NextSteps steps=&[
                (
                    "/account",
                    "Your account",
                    "add an email address for when you forget your password, a passkey, or two-step login",
                ),
                ("/tokens", "Tokens", "the access and refresh tokens this browser holds for you, decoded"),
                ("/hello", "Hello", "a page only logged-in people see"),
            ] />
        </div>
    }
}

/// Links to pages, each with what it is for ("Tokens – …").
#[component]
fn NextSteps(steps: &'static [(&'static str, &'static str, &'static str)]) -> impl IntoView {
    view! {
        <ul class="next-steps">
            {steps
                .iter()
                .map(|&(href, page, what)| view! {
                    <li>
                        <A href=href>{page}</A>
                        {format!(" \u{2013} {what}")}
                    </li>
                })
                .collect_view()}
        </ul>
    }
}
