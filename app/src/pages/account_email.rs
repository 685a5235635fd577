//! The address part of `/account`: the address and whether it is
//! confirmed ("Send the link again" when it is not), a new address waiting
//! for its link, and a form to change it.

use super::fields::browser_action;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use super::fields::{
    field_message, form_focusing_errors, form_message, last_failure, Field, FieldKind,
};
use crate::email_api::{self, EmailInfo};
use crate::failure::AuthFailure;
use crate::session::use_session;

#[component]
pub fn EmailAddress() -> impl IntoView {
    let session = use_session();
    // Set from the change's answer, so the page shows the new state without
    // asking again.
    let changed = RwSignal::new(None::<EmailInfo>);
    let loaded = LocalResource::new(move || async move { session.call(email_api::my_email).await });
    let info = move || match changed.get() {
        Some(info) => Some(Ok(info)),
        None => loaded.get(),
    };
    let resent = RwSignal::new(None::<Result<String, AuthFailure>>);
    let resend = move |address: String| {
        leptos::task::spawn_local(async move {
            let sent = email_api::resend_verification(address.clone()).await;
            resent.set(Some(
                sent.map(|()| format!("We sent a new link to {address}.")),
            ));
        });
    };

    view! {
        <h2 id="email-heading">"Email address"</h2>
        <Suspense fallback=|| view! { <p class="placeholder" aria-busy="true">"Loading your address…"</p> }>
            {move || {
                info()
                    .map(|result| match result {
                        Ok(info) => view! { <AddressState info resend /> }.into_any(),
                        Err(failure) => view! {
                            <p class="form-error" role="alert">{failure.to_string()}</p>
                        }
                            .into_any(),
                    })
            }}
        </Suspense>
        <p class="status" role="status" aria-live="polite" data-testid="link-resent">
            {move || resent.get().map(|outcome| outcome.unwrap_or_else(|failure| failure.to_string()))}
        </p>
        <AddressChange changed />
    }
}

/// The address and its standing.
#[component]
fn AddressState(info: EmailInfo, resend: impl Fn(String) + Copy + 'static) -> impl IntoView {
    let current = if info.email.is_empty() {
        view! {
            <p data-testid="email-address">
                "No address yet: with one, you can get a link if you forget your password."
            </p>
        }
        .into_any()
    } else {
        let unconfirmed = info.verification && !info.verified;
        let badge = match (info.verification, info.verified) {
            (false, _) => None,
            (true, true) => Some(view! { <span class="badge">"Verified"</span> }),
            (true, false) => {
                Some(view! { <span class="badge badge-warning">"Not verified"</span> })
            }
        };
        let address = info.email.clone();
        view! {
            <p data-testid="email-address">
                <strong>{info.email.clone()}</strong> " " {badge}
            </p>
            {unconfirmed.then(|| view! {
                <p class="muted">
                    "Open the link we mailed to this address to confirm it. "
                    <button type="button" class="button-link" on:click=move |_| resend(address.clone())>
                        "Send the link again"
                    </button>
                </p>
            })}
        }
        .into_any()
    };
    let pending = (!info.pending.is_empty()).then(|| {
        let address = info.pending.clone();
        view! {
            <p data-testid="email-pending">
                "Waiting for confirmation: " <strong>{info.pending.clone()}</strong>
                ". It replaces your address once you open the link we mailed to it. "
                <button type="button" class="button-link" on:click=move |_| resend(address.clone())>
                    "Send the link again"
                </button>
            </p>
        }
    });
    view! { {current} {pending} }
}

#[component]
fn AddressChange(changed: RwSignal<Option<EmailInfo>>) -> impl IntoView {
    let session = use_session();
    let address = RwSignal::new(String::new());
    let change = browser_action(move |address: &String| {
        let address = address.clone();
        async move {
            session
                .call(move || email_api::change_email(address.clone()))
                .await
        }
    });
    let busy = change.pending();
    let failure = last_failure(change);
    let form = form_focusing_errors(failure);
    Effect::new(move |_| {
        if let Some(Ok(info)) = change.value().get() {
            address.set(String::new());
            changed.set(Some(info));
        }
    });
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if !busy.get_untracked() {
            change.dispatch(address.get_untracked());
        }
    };
    let address_error = move || failure.with(|failure| field_message(failure.as_ref(), "email"));
    let form_error = move || failure.with(|failure| form_message(failure.as_ref()));
    let outcome = move || {
        change.value().get().and_then(Result::ok).map(|info| {
            if !info.pending.is_empty() {
                format!(
                    "We sent a link to {}. Your address changes once you open it.",
                    info.pending
                )
            } else if info.verification && !info.verified && !info.email.is_empty() {
                format!(
                    "We sent a link to {}. Open it to confirm the address.",
                    info.email
                )
            } else {
                "Your address was changed.".to_owned()
            }
        })
    };
    view! {
        <form class="form" node_ref=form on:submit=on_submit aria-busy=move || busy.get().to_string()>
            <Field id="new-email" label="New email address" kind=FieldKind::Email autocomplete="email"
                value=address error=Signal::derive(address_error) />
            <p class="form-error" role="alert" data-testid="email-form-error">{form_error}</p>
            <button type="submit" class="button" data-testid="change-email" aria-disabled=move || busy.get().to_string()>
                {move || if busy.get() { "Changing…" } else { "Change address" }}
            </button>
            <p class="status" role="status" aria-live="polite" data-testid="email-changed">
                {outcome}
            </p>
        </form>
    }
}
