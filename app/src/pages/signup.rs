use leptos::prelude::*;

use super::form::{CredentialsForm, CredentialsKind};
use crate::api::SignupRules;

/// `/signup`: open only when the server runs with `--allow-signup`.
#[component]
pub fn Signup(signup: Resource<Option<SignupRules>>) -> impl IntoView {
    view! {
        <section class="card narrow">
            <h1>"Create an account"</h1>
            <Suspense fallback=|| view! { <p class="placeholder">"Loading…"</p> }>
                {move || {
                    signup
                        .get()
                        .map(|policy| match policy {
                            Some(SignupRules { open: true, min_password_length }) => {
                                view! {
                                    <CredentialsForm kind=CredentialsKind::SignUp {
                                        min_password_length,
                                    } />
                                }
                                    .into_any()
                            }
                            _ => {
                                view! {
                                    <p data-testid="signup-closed">
                                        "Sign-up is closed on this server. An operator can create your account with "
                                        <code>"tessera user add <name>"</code> "."
                                    </p>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Suspense>
        </section>
    }
}
