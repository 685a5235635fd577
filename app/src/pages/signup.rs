use leptos::prelude::*;
use leptos_router::components::A;

use super::form::{CredentialsForm, CredentialsKind, UnlessLoggedIn};
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
            view! {
                <UnlessLoggedIn>
                    <CredentialsForm kind />
                </UnlessLoggedIn>
            }
            .into_any()
        }
        _ => view! {
            <p data-testid="signup-closed">
                "This site does not take new accounts. Ask the people who run it to create one for you."
            </p>
        }
        .into_any(),
    };
    view! {
        <section class="card narrow">
            <h1>"Create account"</h1>
            {form}
            <p class="form-links">
                "Already have an account? " <A href="/login">"Log in"</A>
            </p>
        </section>
    }
}
