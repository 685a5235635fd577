use leptos::prelude::*;

use crate::api::DatabaseStatus;

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
            Err(error) => format!("The server could not be reached: {error}"),
        })
    };

    view! {
        <section class="card">
            <h1>"Tessera"</h1>
            <p class="lead">
                "JSON Web Token authentication for Rust web apps: log in with a username and a password, "
                "get a short-lived access token and a refresh token, and stay logged in."
            </p>
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
