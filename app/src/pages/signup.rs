use leptos::prelude::*;
use leptos_router::components::A;

use super::form::{CredentialsForm, CredentialsKind};
use crate::api::SignupRules;

/// `/signup`: open only when the server runs with `--allow-signup`.
#[component]
pub fn Signup() -> impl IntoView {
    crate::components::page_title(Some("Create account"));
    let form = match SignupRules::current() {
        Some(SignupRules {
            open: true,
            min_password_length,
        }) => {
            let kind = CredentialsKind::SignUp {
                min_password_length,
                email_required: crate::email_api::address_required(),
            };
            view! { <CredentialsForm kind /> }.into_any()
        }
        _ => view! {
            <p data-testid="signup-closed">
                "Sign-up is closed on this server. An operator can create your account with "
                <code>"tessera user add <name>"</code> "."
            </p>
        }
        .into_any(),
    };
    view! {
        <section class="card narrow">
            <h1>"Create an account"</h1>
            {form}
            <p class="form-links">
                "Already have an account? " <A href="/login">"Log in"</A>
            </p>
        </section>
    }
}
