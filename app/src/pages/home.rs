use leptos::prelude::*;

use leptos_router::components::A;

use crate::api::SignupRules;
use crate::components::{use_login_status, LoginStatus};
use crate::session::use_session;

/// The start page speaks to the person: who they are and their sessions at
/// a glance, with the way on; logged out, how to get in.
#[component]
pub fn Home() -> impl IntoView {
    crate::components::page_title(None);
    let status = use_login_status();
    let signup_open = SignupRules::current().is_some_and(|rules| rules.open);
    let state = move || match status.get() {
        LoginStatus::Unknown => {
            view! { <p class="placeholder">"Checking your session…"</p> }.into_any()
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
                                    "Create an account"
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
                    0 | 1 => format!("{here}You are signed in on this device only."),
                    count => format!("{here}You are signed in in {count} places."),
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
                    " – where you are signed in, and your password"
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
