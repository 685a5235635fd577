use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::form::{CredentialsForm, CredentialsKind};

/// `/login[?next=/path][&reason=expired]`
#[component]
pub fn Login() -> impl IntoView {
    let query = use_query_map();
    let expired = move || query.with(|query| query.get("reason").as_deref() == Some("expired"));

    view! {
        <section class="card narrow">
            <h1>"Log in"</h1>
            <Show when=expired>
                <p class="notice" role="status" data-testid="session-expired">
                    "Your session has expired. Please log in again."
                </p>
            </Show>
            <CredentialsForm kind=CredentialsKind::Login />
        </section>
    }
}
