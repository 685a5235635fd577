//! Confirming an address: `/verify-email/<key>` (the mailed link) asks the
//! person to press "Confirm" — mail scanners open links, only people press
//! buttons (django-allauth's `CONFIRM_EMAIL_ON_GET` is off too) —, and
//! `/verify-email` sends a new link. In the password-reset pages' wasm file.

use super::fields::browser_action;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;

use super::fields::{field_message, form_focusing_errors, form_message, last_failure};
use super::link_by_mail::LinkByMail;
use crate::email_api;
use crate::session::use_session;

/// The page a verification link opens.
#[component]
pub fn ConfirmAddress(key: String) -> impl IntoView {
    crate::components::page_title(Some("Confirm your email address"));
    let session = use_session();
    let key = StoredValue::new(key);
    let confirm = browser_action(move |key: &String| {
        let key = key.clone();
        async move { email_api::verify_email(key).await }
    });
    let busy = confirm.pending();
    let failure = last_failure(confirm);
    let form = form_focusing_errors(failure);
    let done = move || matches!(confirm.value().get(), Some(Ok(())));
    let link_dead = move || failure.with(|failure| field_message(failure.as_ref(), "link"));
    let form_error = move || failure.with(|failure| form_message(failure.as_ref()));
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if !busy.get_untracked() {
            confirm.dispatch(key.get_value());
        }
    };
    let next = move || {
        if session.username().is_some() {
            view! { <A href="/account">"Go to your account"</A> }.into_any()
        } else {
            view! { <A href="/login">"Log in"</A> }.into_any()
        }
    };
    view! {
        <section class="card narrow">
            <h1>"Confirm your email address"</h1>
            <Show
                when=done
                fallback=move || view! {
                    <form class="form" node_ref=form on:submit=on_submit aria-busy=move || busy.get().to_string()>
                        <p>"Press the button to confirm that this address is yours."</p>
                        <p class="form-error" role="alert" data-testid="verify-form-error">
                            {form_error}
                            {move || link_dead().map(|message| view! {
                                {message} " " <A href="/verify-email">"Ask for a new link"</A> "."
                            })}
                        </p>
                        <button type="submit" class="button" aria-disabled=move || busy.get().to_string()>
                            {move || if busy.get() { "Confirming…" } else { "Confirm" }}
                        </button>
                    </form>
                }
            >
                <p class="notice" role="status" data-testid="address-confirmed">
                    "Your email address is confirmed. "
                    {next}
                    "."
                </p>
            </Show>
        </section>
    }
}

/// "Send the link again", by address: for a person who cannot log in yet.
#[component]
pub fn ResendLink() -> impl IntoView {
    crate::components::page_title(Some("Confirm your email address"));
    view! {
        <LinkByMail
            heading="Confirm your email address"
            intro="Type the address you gave: we send it a new link to confirm it."
            sent_words="If an account waits for this address, we sent a new link to it."
            error_testid="resend-form-error"
            send=email_api::resend_verification
        />
    }
}
