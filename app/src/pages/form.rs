//! The username + password form of the login and sign-up pages.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::display::safe_next;
use crate::failure::AuthFailure;
use crate::session::use_session;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialsKind {
    Login,
    SignUp { min_password_length: usize },
}

/// Labelled fields, errors announced to screen readers, a busy state, and a
/// submit button that stays disabled until the page is interactive (a form
/// posted before hydration would go nowhere useful). On success it goes to
/// `?next=` (a path of this site) or `/hello`.
#[component]
pub fn CredentialsForm(kind: CredentialsKind) -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let navigate = use_navigate();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let submit = Action::new_unsync(move |(name, secret): &(String, String)| {
        let (name, secret) = (name.clone(), secret.clone());
        async move {
            match kind {
                CredentialsKind::Login => session.login(name, secret).await,
                CredentialsKind::SignUp { .. } => session.sign_up(name, secret).await,
            }
        }
    });
    let busy = submit.pending();
    // The previous attempt's error goes away as soon as the next one starts.
    let failure = Memo::new(move |_| {
        if busy.get() {
            return None;
        }
        submit.value().get().and_then(Result::err)
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = submit.value().get() {
            password.set(String::new());
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
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if !busy.get_untracked() {
            submit.dispatch((username.get_untracked(), password.get_untracked()));
        }
    };

    let field_error = move |field: &'static str| {
        move || {
            failure.with(|failure| match failure {
                Some(AuthFailure::Invalid {
                    field: failed,
                    message,
                }) if failed == field => Some(message.clone()),
                Some(error @ AuthFailure::UsernameTaken) if field == "username" => {
                    Some(error.to_string())
                }
                _ => None,
            })
        }
    };
    let username_error = field_error("username");
    let password_error = field_error("password");
    let form_error = move || {
        failure.with(|failure| {
            failure
                .as_ref()
                .filter(|error| {
                    !matches!(
                        error,
                        AuthFailure::Invalid { .. } | AuthFailure::UsernameTaken
                    )
                })
                .map(ToString::to_string)
        })
    };

    let (submit_label, busy_label, password_autocomplete, min_length, hint) = match kind {
        CredentialsKind::Login => ("Log in", "Logging in…", "current-password", None, None),
        CredentialsKind::SignUp {
            min_password_length,
        } => (
            "Create account",
            "Creating your account…",
            "new-password",
            Some(min_password_length),
            Some(format!("At least {min_password_length} characters.")),
        ),
    };

    view! {
        <form class="form" method="post" on:submit=on_submit aria-busy=move || busy.get().to_string()>
            <div class="field">
                <label for="username">"Username"</label>
                <input
                    id="username"
                    name="username"
                    type="text"
                    autocomplete="username"
                    autocapitalize="none"
                    spellcheck="false"
                    required
                    prop:value=move || username.get()
                    on:input=move |event| username.set(event_target_value(&event))
                    aria-invalid=move || username_error().is_some().then_some("true")
                    aria-describedby="username-error"
                />
                <p id="username-error" class="field-error" data-testid="username-error">
                    {username_error}
                </p>
            </div>
            <div class="field">
                <label for="password">"Password"</label>
                <input
                    id="password"
                    name="password"
                    type="password"
                    autocomplete=password_autocomplete
                    required
                    minlength=min_length
                    prop:value=move || password.get()
                    on:input=move |event| password.set(event_target_value(&event))
                    aria-invalid=move || password_error().is_some().then_some("true")
                    aria-describedby="password-hint password-error"
                />
                <p id="password-hint" class="field-hint">
                    {hint}
                </p>
                <p id="password-error" class="field-error" data-testid="password-error">
                    {password_error}
                </p>
            </div>
            <p class="form-error" role="alert" data-testid="form-error">
                {form_error}
            </p>
            <button
                type="submit"
                class="button"
                data-testid="submit"
                disabled=move || busy.get() || !hydrated.get()
            >
                {move || if busy.get() { busy_label } else { submit_label }}
            </button>
        </form>
    }
}
