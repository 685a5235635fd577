//! The passkeys part of `/account`: add one (name it, then the browser
//! asks for the fingerprint, face or PIN that unlocks it), the list with
//! when each was made and last used, and "Remove". Adding or removing one
//! signs every other session out, as the status line says.

use super::fields::browser_action;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use super::fields::{field_message, form_message, Field, FieldKind};
use crate::browser;
use crate::display::local_time;
use crate::failure::AuthFailure;
use crate::passkey_api::{self, PasskeyInfo};
use crate::session::use_session;

/// Why adding a passkey stopped: the server's refusal, or the browser's.
#[derive(Clone, Debug)]
enum AddFailure {
    Server(AuthFailure),
    Browser(String),
}

#[component]
pub fn PasskeysSection(generation: RwSignal<u32>) -> impl IntoView {
    let session = use_session();
    let origin = passkey_api::offered_origin();
    // Whether the page was opened where passkeys work: known once it runs.
    let here = RwSignal::new(None::<bool>);
    if let Some(origin) = origin.clone() {
        Effect::new(move |_| here.set(Some(browser::is_page_origin(&origin))));
    }
    let changes = RwSignal::new(0_u32);
    let list = LocalResource::new(move || {
        changes.track();
        async move { session.call(passkey_api::my_passkeys).await }
    });
    let outcome = RwSignal::new(None::<String>);
    let changed = move |what: String| {
        outcome.set(Some(what));
        changes.update(|n| *n += 1);
        // Every other session ended: the list of sessions shows it.
        generation.update(|n| *n += 1);
    };
    view! {
        <h2 id="passkeys-heading">"Passkeys"</h2>
        {move || match origin.clone() {
                Some(origin) if here.get() == Some(false) => view! {
                    <p class="muted" data-testid="passkeys-elsewhere">
                        "Passkeys work on this site at "
                        <a href=origin.clone()>{origin.clone()}</a>
                        ": open it there to add or use one."
                    </p>
                }.into_any(),
                Some(_) => view! {
                    <p class="muted">
                        "A passkey signs you in with your fingerprint, face or device PIN \
                         instead of the password. It stays on your device (or in your \
                         password manager) and works only on this site."
                    </p>
                    <p class="status" role="status" aria-live="polite" data-testid="passkeys-outcome">
                        {move || outcome.get()}
                    </p>
                    <Suspense fallback=|| view! { <p class="placeholder" aria-busy="true">"Loading…"</p> }>
                        {move || list.get().map(|result| match result {
                            Ok(list) if list.is_empty() => view! {
                                <p data-testid="passkeys-none">"No passkeys yet."</p>
                            }.into_any(),
                            Ok(list) => view! {
                                <ul class="session-list" aria-labelledby="passkeys-heading" data-testid="passkeys">
                                    {list.into_iter().map(|passkey| view! {
                                        <PasskeyEntry passkey changed outcome />
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                            Err(failure) => view! {
                                <p class="form-error" role="alert">{failure.to_string()}</p>
                            }.into_any(),
                        })}
                    </Suspense>
                    <AddPasskeyForm changed />
                }.into_any(),
                _ => view! {
                    <p class="muted" data-testid="passkeys-off">
                        "Passkeys are not available on this server: they need the site to \
                         be reached by its domain name."
                    </p>
                }.into_any(),
            }}
    }
}

#[component]
fn PasskeyEntry(
    passkey: PasskeyInfo,
    changed: impl Fn(String) + Copy + 'static,
    outcome: RwSignal<Option<String>>,
) -> impl IntoView {
    let session = use_session();
    let busy = RwSignal::new(false);
    let times = match passkey.last_used_at {
        Some(used) => format!(
            "Added {} · last used {}",
            local_time(passkey.created_at),
            local_time(used)
        ),
        None => format!("Added {} · never used", local_time(passkey.created_at)),
    };
    let label = format!("Remove the passkey {}", passkey.name);
    let name = passkey.name.clone();
    let remove = move |_| {
        let (id, name) = (passkey.id.clone(), name.clone());
        busy.set(true);
        leptos::task::spawn_local(async move {
            let removed = session
                .call(move || passkey_api::remove_passkey(id.clone()))
                .await;
            busy.set(false);
            match removed {
                Ok(()) => changed(format!(
                    "The passkey \u{201c}{name}\u{201d} was removed. Every other session \
                     was logged out."
                )),
                Err(failure) => outcome.set(Some(failure.to_string())),
            }
        });
    };
    view! {
        <li class="session" data-testid="passkey">
            <div class="session-text">
                <p class="session-device"><strong>{passkey.name}</strong></p>
                <p class="session-times muted">{times}</p>
            </div>
            <button type="button" class="button button-quiet" aria-label=label
                disabled=move || busy.get() on:click=remove>
                "Remove"
            </button>
        </li>
    }
}

/// A name, then the browser's own dialog.
#[component]
fn AddPasskeyForm(changed: impl Fn(String) + Copy + 'static) -> impl IntoView {
    let session = use_session();
    let name = RwSignal::new(String::new());
    let add = browser_action(move |name: &String| {
        let name = name.clone();
        async move {
            // Checked before the device makes a key the server would refuse.
            if name.trim().is_empty() {
                return Err(AddFailure::Server(AuthFailure::Invalid {
                    field: "name".into(),
                    message: "This field may not be blank.".into(),
                }));
            }
            let ceremony = session
                .call(passkey_api::begin_adding_passkey)
                .await
                .map_err(AddFailure::Server)?;
            let credential = browser::create_passkey(&ceremony.options)
                .await
                .map_err(AddFailure::Browser)?;
            session
                .call(move || {
                    passkey_api::add_passkey(ceremony.id.clone(), credential.clone(), name.clone())
                })
                .await
                .map_err(AddFailure::Server)
        }
    });
    let busy = add.pending();
    Effect::new(move |_| {
        if let Some(Ok(passkey)) = add.value().get() {
            name.set(String::new());
            changed(format!(
                "The passkey \u{201c}{}\u{201d} was added. Every other session was logged out.",
                passkey.name
            ));
        }
    });
    // The last attempt's failure, cleared while another runs.
    let failed = move || {
        add.value()
            .get()
            .filter(|_| !busy.get())
            .and_then(Result::err)
    };
    let server_failure = move || match failed() {
        Some(AddFailure::Server(failure)) => Some(failure),
        _ => None,
    };
    let name_error = move || field_message(server_failure().as_ref(), "name");
    let form_error = move || match failed() {
        Some(AddFailure::Browser(why)) => Some(why),
        Some(AddFailure::Server(failure)) => {
            form_message(Some(&failure)).or_else(|| field_message(Some(&failure), "passkey"))
        }
        None => None,
    };
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if !busy.get_untracked() {
            add.dispatch(name.get_untracked());
        }
    };
    view! {
        <form class="form" method="post" on:submit=on_submit aria-busy=move || busy.get().to_string()>
            <Field id="passkey-name" label="Passkey name" kind=FieldKind::Username autocomplete="off"
                value=name error=Signal::derive(name_error)
                hint=Some("Where it lives, so you can tell it apart: \u{201c}Laptop\u{201d}, \u{201c}Phone\u{201d}.".to_owned()) />
            <p class="form-error" role="alert">{form_error}</p>
            <button type="submit" class="button" disabled=move || busy.get()>
                {move || if busy.get() { "Adding…" } else { "Add a passkey" }}
            </button>
        </form>
    }
}
