//! A card that has a link mailed to an address, shared by the pages people
//! reach from mails ("Forgot password?", "Send the link again").

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;

use super::fields::{
    browser_action, field_message, form_focusing_errors, form_message, last_failure, Field,
    FieldKind,
};
use crate::failure::AuthFailure;

/// A card that asks for an address and has a link mailed to it ("Forgot
/// password?", "Send the link again"). The server answers the same whether
/// or not the address is known, and so does the page.
#[component]
pub(super) fn LinkByMail<Send, Sent>(
    heading: &'static str,
    intro: &'static str,
    sent_words: &'static str,
    error_testid: &'static str,
    send: Send,
) -> impl IntoView
where
    Send: Fn(String) -> Sent + 'static,
    Sent: std::future::Future<Output = Result<(), AuthFailure>> + 'static,
{
    let email = RwSignal::new(String::new());
    let send = browser_action(move |email: &String| send(email.clone()));
    let busy = send.pending();
    let failure = last_failure(send);
    let form = form_focusing_errors(failure);
    let sent = move || matches!(send.value().get(), Some(Ok(())));
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if !busy.get_untracked() {
            send.dispatch(email.get_untracked());
        }
    };
    let email_error = move || failure.with(|failure| field_message(failure.as_ref(), "email"));
    let form_error = move || failure.with(|failure| form_message(failure.as_ref()));
    view! {
        <section class="card narrow">
            <h1>{heading}</h1>
            <p class="muted">{intro}</p>
            <form class="form" node_ref=form on:submit=on_submit aria-busy=move || busy.get().to_string()>
                <Field id="email" label="Email" kind=FieldKind::Email autocomplete="email"
                    value=email error=Signal::derive(email_error) />
                <p class="form-error" role="alert" data-testid=error_testid>{form_error}</p>
                <button type="submit" class="button" aria-disabled=move || busy.get().to_string()>
                    {move || if busy.get() { "Sending…" } else { "Send link" }}
                </button>
                <p class="status" role="status" aria-live="polite" data-testid="link-sent">
                    {move || sent().then_some(sent_words)}
                </p>
            </form>
            <p class="form-links">
                <A href="/login">"Back to log in"</A>
            </p>
        </section>
    }
}
