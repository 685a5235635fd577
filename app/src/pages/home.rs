use leptos::prelude::*;

use leptos_router::components::A;

use crate::api::DatabaseStatus;
use crate::components::{use_login_status, LoginStatus};
use crate::session::use_session;

/// The start page: what Tessera is, and a live check that the browser, the
/// server functions and the database are all connected.
#[component]
pub fn Home() -> impl IntoView {
    let check = ServerAction::<DatabaseStatus>::new();
    let answer = move || {
        check.value().get().map(|result| match result {
            Ok(status) => format!(
                "The {} database answered: {} registered user{}.",
                status.engine,
                status.users,
                if status.users == 1 { "" } else { "s" }
            ),
            Err(error) => error.to_string(),
        })
    };

    let session = use_session();
    let status = use_login_status();
    let username = Memo::new(move |_| session.username());
    let state = move || match status.get() {
        LoginStatus::Unknown => {
            view! { <p class="placeholder">"Checking your session…"</p> }.into_any()
        }
        LoginStatus::LoggedIn => view! {
            <p data-testid="home-state">
                "You are logged in"
                {move || username.get().map(|name| format!(" as {name}"))}
                ". See the protected " <A href="/hello">"greeting"</A> " or inspect your "
                <A href="/tokens">"tokens"</A> "."
            </p>
        }
        .into_any(),
        LoginStatus::LoggedOut => view! {
            <p data-testid="home-state">
                "You are not logged in. " <A href="/login">"Log in"</A>
                " to get an access token (short-lived) and a refresh token (long-lived)."
            </p>
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
            <button
                type="button"
                class="button"
                data-testid="check-database"
                on:click=move |_| {
                    check.dispatch(DatabaseStatus {});
                }
            >
                "Check the database"
            </button>
            <p class="status" role="status" aria-live="polite" data-testid="database-answer">
                {answer}
            </p>
        </section>
    }
}
