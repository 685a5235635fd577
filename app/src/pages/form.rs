//! The username + password form of the login and sign-up pages.

use super::fields::browser_action;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use super::fields::{
    about_a_field, field_message, focus_first_error, form_message_waiting, last_failure, wait_left,
    Field, FieldKind,
};
use crate::components::{use_login_status, LoginStatus};
use crate::display::safe_next;
use crate::session::use_session;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialsKind {
    Login,
    SignUp {
        min_password_length: usize,
        /// The server signs an account in only once its address is
        /// confirmed: the address is required.
        email_required: bool,
    },
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
    let email = RwSignal::new(String::new());
    // The second step: after a right password, an account with two-step
    // sign-in asks for a code; the name and password stay as typed.
    let otp = RwSignal::new(String::new());
    let asking_code = RwSignal::new(false);
    let submit = browser_action(move |typed: &(String, String, String, String)| {
        let (name, secret, address, code) = typed.clone();
        async move {
            // `Ok(false)`: the account waits for its address to be confirmed.
            match kind {
                CredentialsKind::Login => {
                    let code = (!code.trim().is_empty()).then_some(code);
                    session.login(name, secret, code).await.map(|()| true)
                }
                CredentialsKind::SignUp { .. } => session.sign_up(name, secret, address).await,
            }
        }
    });
    let busy = submit.pending();
    let failure = last_failure(submit);
    Effect::new(move |_| {
        let asked = failure.with(|failure| {
            field_message(failure.as_ref(), "otp_required").is_some()
                || field_message(failure.as_ref(), "otp").is_some()
        });
        if asked && !asking_code.get_untracked() {
            asking_code.set(true);
            focus_code_field();
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(true)) = submit.value().get() {
            password.set(String::new());
            let asked = query.with_untracked(|query| query.get("next"));
            let next = match (kind, asked) {
                // A new account with nowhere asked for: the welcome.
                (CredentialsKind::SignUp { .. }, None) => "/?welcome".to_owned(),
                (_, asked) => safe_next(asked.as_deref()),
            };
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

    let form = NodeRef::<leptos::html::Form>::new();
    focus_first_error(form, move || {
        failure.with(|failure| about_a_field(failure.as_ref()))
    });
    let wait = wait_left(failure);
    // Busy or told to wait: the button says no but keeps the focus.
    let refusing = move || busy.get() || wait.get() > 0;

    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if !(busy.get_untracked() || wait.get_untracked() > 0) {
            // A phone keyboard's trailing space is no part of the name (the
            // REST API strips it too).
            username.update(|name| *name = name.trim().to_owned());
            submit.dispatch((
                username.get_untracked(),
                password.get_untracked(),
                email.get_untracked(),
                otp.get_untracked(),
            ));
        }
    };

    let username_error =
        move || failure.with(|failure| field_message(failure.as_ref(), "username"));
    let password_error =
        move || failure.with(|failure| field_message(failure.as_ref(), "password"));
    let email_error = move || failure.with(|failure| field_message(failure.as_ref(), "email"));
    let otp_error = move || failure.with(|failure| field_message(failure.as_ref(), "otp"));
    let start_over = move |_| {
        asking_code.set(false);
        otp.set(String::new());
        password.set(String::new());
    };
    let form_error =
        move || failure.with(|failure| form_message_waiting(failure.as_ref(), wait.get()));
    let unverified =
        move || failure.with(|failure| field_message(failure.as_ref(), "verification"));
    let waiting_for_link = move || matches!(submit.value().get(), Some(Ok(false)));

    // The real rule for a new name (see `tessera::accounts::username`).
    let username_hint = matches!(kind, CredentialsKind::SignUp { .. }).then(|| {
        "Up to 150 characters. Letters, digits, spaces and symbols are all fine.".to_owned()
    });
    let (submit_label, busy_label, password_autocomplete, min_length, hint) = match kind {
        CredentialsKind::Login => ("Log in", "Logging in…", "current-password", None, None),
        CredentialsKind::SignUp {
            min_password_length,
            ..
        } => (
            "Create account",
            "Creating your account…",
            "new-password",
            Some(min_password_length),
            Some(format!("At least {min_password_length} characters.")),
        ),
    };

    view! {
        <form class="form" method="post" node_ref=form on:submit=on_submit aria-busy=move || busy.get().to_string()
            on:focusin=|_| crate::session::prepare_sign_in()>
            {move || if asking_code.get() {
                view! {
                    <p data-testid="second-step">
                        "Logging in as " <strong>{move || username.get()}</strong> ". "
                        <button type="button" class="button button-quiet" on:click=start_over>
                            "Use another account"
                        </button>
                    </p>
                    <Field id="otp" label="Code" kind=FieldKind::Username autocomplete="one-time-code"
                        value=otp error=Signal::derive(otp_error)
                        hint=Some("The 6-digit code from your authenticator app, or one of your recovery codes.".to_owned()) />
                }
                    .into_any()
            } else {
                view! {
                    <Field id="username" label="Username" kind=FieldKind::Username autocomplete="username"
                        value=username error=Signal::derive(username_error) hint=username_hint.clone() />
                    <Field id="password" label="Password" kind=FieldKind::Password
                        autocomplete=password_autocomplete value=password
                        error=Signal::derive(password_error) hint=hint.clone() min_length=min_length />
                }
                    .into_any()
            }}
            {match kind {
                CredentialsKind::SignUp { email_required: true, .. } => Some(view! {
                    <Field id="email" label="Email" kind=FieldKind::Email autocomplete="email"
                        value=email error=Signal::derive(email_error)
                        hint=Some("We send it a link: open it to finish creating your account.".to_owned()) />
                }.into_any()),
                CredentialsKind::SignUp { .. } => Some(view! {
                    <Field id="email" label="Email (optional)" kind=FieldKind::Email autocomplete="email"
                        value=email error=Signal::derive(email_error) optional=true
                        hint=Some("Where a link goes if you forget your password.".to_owned()) />
                }.into_any()),
                CredentialsKind::Login => None,
            }}
            <p class="form-error" role="alert" data-testid="form-error">
                {form_error}
                {move || unverified().map(|message| view! {
                    {message} " " <A href="/verify-email">"Send the link again"</A>
                })}
            </p>
            <p class="status" role="status" aria-live="polite" data-testid="link-sent">
                {move || waiting_for_link().then(|| format!(
                    "We sent a link to {}. Open it to confirm your address, then log in.",
                    email.get_untracked().trim(),
                ))}
            </p>
            <button
                type="submit"
                class="button"
                data-testid="submit"
                disabled=move || !hydrated.get()
                aria-disabled=move || refusing().to_string()
            >
                // Until the app runs, the button says why it waits; what is
                // typed meanwhile is kept (see `Field`).
                {move || match (hydrated.get(), busy.get(), asking_code.get()) {
                    (false, _, _) => "Loading…",
                    (true, true, true) => "Checking the code…",
                    (true, false, true) => "Verify",
                    (true, true, false) => busy_label,
                    (true, false, false) => submit_label,
                }}
            </button>
        </form>
    }
}

/// Puts the cursor in the code field once it appears.
fn focus_code_field() {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async {
        use wasm_bindgen::JsCast;
        // After the field is rendered: the next turn of the event loop.
        crate::browser::sleep(std::time::Duration::ZERO).await;
        let field = leptos::tachys::dom::document()
            .get_element_by_id("otp")
            .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(field) = field {
            let _ = field.focus();
        }
    });
}

/// The login or sign-up form, or, for someone who arrives already logged in,
/// who they are with "Continue" (where the form would have gone) and
/// "Switch account" (logs out here, which brings the form back).
#[component]
pub fn UnlessLoggedIn(children: ChildrenFn) -> impl IntoView {
    let status = use_login_status();
    // Whether the person came here already logged in, decided once the
    // session is known. Logging in on this page must not swap the form for
    // "already logged in": the form navigates on to `next` itself.
    let arrived_logged_in = RwSignal::new(None::<bool>);
    Effect::new(move |_| {
        let status = status.get();
        if status != LoginStatus::Unknown && arrived_logged_in.get_untracked().is_none() {
            arrived_logged_in.set(Some(status == LoginStatus::LoggedIn));
        }
    });
    // A memo: the form is rebuilt only when this flips, never when the
    // session merely becomes known, which would clear what was typed.
    let show_already = Memo::new(move |_| {
        arrived_logged_in.get() == Some(true) && status.get() == LoginStatus::LoggedIn
    });
    move || {
        if show_already.get() {
            view! { <AlreadyLoggedIn arrived_logged_in /> }.into_any()
        } else {
            children().into_any()
        }
    }
}

#[component]
fn AlreadyLoggedIn(arrived_logged_in: RwSignal<Option<bool>>) -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let next = move || safe_next(query.with(|query| query.get("next")).as_deref());
    let username = move || session.username().unwrap_or_else(|| "someone".to_owned());
    let switch = move |_| {
        // From now on this page is a form page like any other.
        arrived_logged_in.set(Some(false));
        leptos::task::spawn_local(async move { session.switch_account().await });
    };
    view! {
        <div data-testid="already-logged-in">
            <p>"You are logged in as " <strong>{username}</strong> "."</p>
            <div class="toolbar">
                <A href=next attr:class="button">
                    "Continue"
                </A>
                <button type="button" class="button button-quiet" on:click=switch>
                    "Switch account"
                </button>
            </div>
        </div>
    }
}
