//! "Forgot password?": `/forgot-password` asks for the address to send a
//! link to; the link, `/reset-password/<uid>/<token>`, asks for the new
//! password twice, then sends the person to the login page. One wasm file
//! for these pages and those of address verification (the pages people
//! reach from mails), picked by the address.

use super::fields::browser_action;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::NavigateOptions;

use super::fields::{
    field_message, form_focusing_errors, form_message, last_failure, Field, FieldKind,
};
use super::link_by_mail::LinkByMail;
use super::verify_email::{ConfirmAddress, ResendLink};
use crate::api::SignupRules;
use crate::display::LoginReason;
use crate::reset_api;
use crate::session::use_session;

/// `/forgot-password`, `/reset-password/<uid>/<token>`, `/verify-email`
/// or `/verify-email/<key>`.
#[component]
pub fn PasswordReset() -> impl IntoView {
    let path = use_location().pathname.get_untracked();
    let link = path
        .strip_prefix("/reset-password/")
        .and_then(|rest| rest.trim_end_matches('/').split_once('/'))
        .filter(|(uid, token)| !uid.is_empty() && !token.is_empty() && !token.contains('/'))
        .map(|(uid, token)| (uid.to_owned(), token.to_owned()));
    let verification_key = path
        .strip_prefix("/verify-email/")
        .map(|key| key.trim_end_matches('/'))
        .filter(|key| !key.is_empty() && !key.contains('/'))
        .map(str::to_owned);
    match (link, verification_key) {
        (Some((uid, token)), _) => view! { <ResetPassword uid token /> }.into_any(),
        (None, Some(key)) => view! { <ConfirmAddress key /> }.into_any(),
        _ => match path.trim_end_matches('/') {
            "/forgot-password" => view! { <ForgotPassword /> }.into_any(),
            "/verify-email" => view! { <ResendLink /> }.into_any(),
            _ => view! { <DeadLink /> }.into_any(),
        },
    }
}

#[component]
fn ForgotPassword() -> impl IntoView {
    crate::components::page_title(Some("Forgot password"));
    view! {
        <LinkByMail
            heading="Forgot password?"
            intro="Type the email address of your account: we send it a link to choose a new password."
            sent_words="If an account uses this address, we sent a link to it."
            error_testid="forgot-form-error"
            send=reset_api::request_password_reset
        />
    }
}

#[component]
fn ResetPassword(uid: String, token: String) -> impl IntoView {
    crate::components::page_title(Some("Set a new password"));
    let works = {
        let (uid, token) = (uid.clone(), token.clone());
        Resource::new(
            || (),
            move |()| reset_api::reset_link_works(uid.clone(), token.clone()),
        )
    };
    view! {
        <Suspense fallback=|| view! {
            <section class="card narrow"><p class="placeholder" aria-busy="true">"Checking the link…"</p></section>
        }>
            {move || {
                let (uid, token) = (uid.clone(), token.clone());
                works
                    .get()
                    .map(move |works| match works {
                        Ok(true) => view! { <NewPasswordForm uid token /> }.into_any(),
                        Ok(false) => view! { <DeadLink /> }.into_any(),
                        Err(failure) => view! {
                            <section class="card narrow">
                                <h1>"Choose a new password"</h1>
                                <p class="form-error" role="alert">{failure.to_string()}</p>
                            </section>
                        }
                            .into_any(),
                    })
            }}
        </Suspense>
    }
}

#[component]
fn NewPasswordForm(uid: String, token: String) -> impl IntoView {
    let navigate = use_navigate();
    let session = use_session();
    let rule = SignupRules::current()
        .map(|rules| format!("At least {} characters.", rules.min_password_length));
    let new = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let mismatch = RwSignal::new(false);
    let set = browser_action(move |(new, confirm): &(String, String)| {
        let (uid, token, new, confirm) = (uid.clone(), token.clone(), new.clone(), confirm.clone());
        async move { reset_api::reset_password(uid, token, new, confirm).await }
    });
    let busy = set.pending();
    let failure = last_failure(set);
    let form = form_focusing_errors(failure);
    Effect::new(move |_| {
        if let Some(Ok(username)) = set.value().get() {
            if session.username().as_deref() == Some(username.as_str()) {
                // This browser's session ended with the reset: forget it.
                session.forget_ended();
            }
            let login = format!("/login?reason={}", LoginReason::PasswordReset.as_str());
            navigate(
                &login,
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        let matching = new.get_untracked() == confirm.get_untracked();
        mismatch.set(!matching);
        if matching && !busy.get_untracked() {
            set.dispatch((new.get_untracked(), confirm.get_untracked()));
        }
    };
    let new_error = move || failure.with(|failure| field_message(failure.as_ref(), "password"));
    let confirm_error = move || {
        if mismatch.get() {
            return Some("The two new passwords are not the same.".to_owned());
        }
        failure.with(|failure| field_message(failure.as_ref(), "confirmation"))
    };
    let link_dead = move || failure.with(|failure| field_message(failure.as_ref(), "link"));
    let form_error = move || failure.with(|failure| form_message(failure.as_ref()));
    view! {
        <section class="card narrow">
            <h1>"Choose a new password"</h1>
            <p class="muted">"Setting it signs your account out everywhere."</p>
            <form class="form" node_ref=form on:submit=on_submit aria-busy=move || busy.get().to_string()>
                <Field id="new-password" label="New password" kind=FieldKind::Password
                    autocomplete="new-password" value=new error=Signal::derive(new_error) hint=rule />
                <Field id="confirm-password" label="Confirm new password" kind=FieldKind::Password
                    autocomplete="new-password" value=confirm error=Signal::derive(confirm_error) />
                <p class="form-error" role="alert" data-testid="reset-form-error">
                    {form_error}
                    {move || link_dead().map(|message| view! {
                        {message} " " <A href="/forgot-password">"Ask for a new link"</A> "."
                    })}
                </p>
                <button type="submit" class="button" aria-disabled=move || busy.get().to_string()>
                    {move || if busy.get() { "Setting…" } else { "Set password" }}
                </button>
            </form>
        </section>
    }
}

/// A link that no longer works, or was never one.
#[component]
fn DeadLink() -> impl IntoView {
    view! {
        <section class="card narrow" data-testid="dead-link">
            <h1>"This link no longer works"</h1>
            <p>
                "It has expired or was already used. "
                <A href="/forgot-password">"Ask for a new link"</A>
                "."
            </p>
        </section>
    }
}
