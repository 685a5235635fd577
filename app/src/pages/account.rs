//! `/account`: where the person is logged in (ending any other session),
//! their password, and what happened to the account lately (so they can
//! spot what they did not do). A page of its own wasm file: the main module does not
//! grow for it.

use super::fields::browser_action;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use super::account_email::EmailAddress;
use super::account_passkeys::PasskeysSection;
use super::account_two_step::TwoStepSignIn;
use super::fields::{
    about_a_field, field_message, focus_first_error, form_message_waiting, last_failure, wait_left,
    Field, FieldKind,
};
use crate::api::{self, ActivityItem, SessionItem, SignupRules};
use crate::components::RequireLogin;
use crate::display::{activity_words, local_time};
use crate::failure::AuthFailure;
use crate::session::{use_session, Session};

#[component]
pub fn Account() -> impl IntoView {
    crate::components::page_title(Some("Your account"));
    // Bumped after each sign-out and password change: the sessions list is
    // fetched again, so it never shows sessions that have ended.
    let generation = RwSignal::new(0_u32);
    view! {
        <section class="card">
            <h1>"Your account"</h1>
            <RequireLogin>
                <Sessions generation />
                <EmailAddress />
                <PasswordChange generation />
                <TwoStepSignIn generation />
                <PasskeysSection generation />
                <RecentActivity generation />
            </RequireLogin>
        </section>
    }
}

/// What the last sign-out did, for the status line.
type Outcome = Option<Result<String, AuthFailure>>;

#[component]
fn Sessions(generation: RwSignal<u32>) -> impl IntoView {
    let session = use_session();
    let sessions = LocalResource::new(move || {
        generation.track();
        async move { session.call(api::my_sessions).await }
    });
    let outcome = RwSignal::new(Outcome::None);
    let busy = RwSignal::new(false);
    let end_one = move |item: SessionItem| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            let id = item.id.clone();
            let ended = session.call(move || api::end_session(id.clone())).await;
            outcome.set(Some(
                ended.map(|()| format!("Logged out of {}.", item.device)),
            ));
            generation.update(|generation| *generation += 1);
            busy.set(false);
        });
    };
    let end_others = move |_| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            let ended = session.call(api::end_other_sessions).await;
            outcome.set(Some(ended.map(|count| match count {
                1 => "Logged out of 1 other session.".to_owned(),
                count => format!("Logged out of {count} other sessions."),
            })));
            generation.update(|generation| *generation += 1);
            busy.set(false);
        });
    };
    let others = move || {
        sessions.with(|sessions| match sessions {
            Some(Ok(list)) => list.iter().filter(|item| !item.current).count(),
            _ => 0,
        })
    };

    view! {
        <h2 id="sessions-heading">"Sessions"</h2>
        <p class="muted">"Where you are logged in. Log out of any you do not recognise."</p>
        <Suspense fallback=|| view! { <p class="placeholder" aria-busy="true">"Loading your sessions…"</p> }>
            {move || {
                sessions
                    .get()
                    .map(|result| match result {
                        Ok(list) => view! {
                            <ul class="session-list" aria-labelledby="sessions-heading" data-testid="sessions">
                                {list
                                    .into_iter()
                                    .map(|item| view! { <SessionEntry item end_one busy /> })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any(),
                        Err(failure) => view! {
                            <p class="form-error" role="alert">{failure.to_string()}</p>
                        }
                            .into_any(),
                    })
            }}
        </Suspense>
        <div class="toolbar">
            <button
                type="button"
                class="button button-quiet"
                data-testid="end-others"
                disabled=move || busy.get() || others() == 0
                on:click=end_others
            >
                "Log out all other sessions"
            </button>
            <p class="status" role="status" aria-live="polite" data-testid="sessions-outcome">
                {move || {
                    outcome
                        .get()
                        .map(|outcome| match outcome {
                            Ok(done) => done,
                            Err(failure) => failure.to_string(),
                        })
                }}
            </p>
        </div>
    }
}

#[component]
fn SessionEntry(
    item: SessionItem,
    end_one: impl Fn(SessionItem) + Copy + 'static,
    busy: RwSignal<bool>,
) -> impl IntoView {
    let times = format!(
        "Logged in {} · last active {}",
        local_time(item.created_at),
        local_time(item.last_used_at)
    );
    let place = item
        .client_address
        .clone()
        .map(|address| format!(" · from {address}"));
    let label = format!(
        "Log out {} (logged in {})",
        item.device,
        local_time(item.created_at)
    );
    let current = item.current;
    let device = item.device.clone();
    view! {
        <li class="session" data-testid="session" data-current=current.to_string()>
            <div class="session-text">
                <p class="session-device">
                    <strong>{device}</strong>
                    {current.then(|| view! { <span class="badge">"This device"</span> })}
                </p>
                <p class="session-times muted">{times} {place}</p>
            </div>
            {(!current)
                .then(|| {
                    view! {
                        <button
                            type="button"
                            class="button button-quiet"
                            aria-label=label
                            disabled=move || busy.get()
                            on:click=move |_| end_one(item.clone())
                        >
                            "Log out"
                        </button>
                    }
                })}
        </li>
    }
}

#[component]
fn PasswordChange(generation: RwSignal<u32>) -> impl IntoView {
    let session = use_session();
    // The server's one password rule, as it wrote it on the page; unknown
    // (a page from elsewhere), the server's answer is the only word.
    let rule = SignupRules::current()
        .map(|rules| format!("At least {} characters.", rules.min_password_length));
    let old = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let mismatch = RwSignal::new(false);
    let change = browser_action(move |(old, new): &(String, String)| {
        let (old, new) = (old.clone(), new.clone());
        async move { change_password(session, old, new).await }
    });
    let busy = change.pending();
    let failure = last_failure(change);
    Effect::new(move |_| {
        if let Some(Ok(())) = change.value().get() {
            old.set(String::new());
            new.set(String::new());
            confirm.set(String::new());
            generation.update(|generation| *generation += 1);
        }
    });
    let form = NodeRef::<leptos::html::Form>::new();
    focus_first_error(form, move || {
        mismatch.get() || failure.with(|failure| about_a_field(failure.as_ref()))
    });
    let wait = wait_left(failure);
    let refusing = move || busy.get() || wait.get() > 0;
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        let matching = new.get_untracked() == confirm.get_untracked();
        mismatch.set(!matching);
        if matching && !(busy.get_untracked() || wait.get_untracked() > 0) {
            change.dispatch((old.get_untracked(), new.get_untracked()));
        }
    };
    let field_error = move |field: &'static str| {
        move || failure.with(|failure| field_message(failure.as_ref(), field))
    };
    let old_error = field_error("old_password");
    let new_error = field_error("new_password");
    let confirm_error = move || {
        mismatch
            .get()
            .then_some("The two new passwords are not the same.")
    };
    let form_error =
        move || failure.with(|failure| form_message_waiting(failure.as_ref(), wait.get()));
    let saved = move || {
        matches!(change.value().get(), Some(Ok(())))
            .then_some("Your password was changed. Your other sessions were logged out.")
    };

    view! {
        <h2>"Change password"</h2>
        <form class="form" node_ref=form on:submit=on_submit aria-busy=move || busy.get().to_string()>
            <Field id="old-password" label="Current password" kind=FieldKind::Password
                autocomplete="current-password" value=old error=Signal::derive(old_error) />
            <Field id="new-password" label="New password" kind=FieldKind::Password
                autocomplete="new-password" value=new error=Signal::derive(new_error)
                hint=rule />
            <Field id="confirm-password" label="Confirm new password" kind=FieldKind::Password
                autocomplete="new-password" value=confirm
                error=Signal::derive(move || confirm_error().map(str::to_owned)) />
            <p class="form-error" role="alert" data-testid="password-form-error">
                {form_error}
            </p>
            <button type="submit" class="button" data-testid="change-password"
                aria-disabled=move || refusing().to_string()>
                {move || if busy.get() { "Changing…" } else { "Change password" }}
            </button>
            <p class="status" role="status" aria-live="polite" data-testid="password-changed">
                {saved}
            </p>
        </form>
    }
}

async fn change_password(session: Session, old: String, new: String) -> Result<(), AuthFailure> {
    session.change_password(old, new).await
}

/// The person's own events of the last 30 days, from the audit log.
#[component]
fn RecentActivity(generation: RwSignal<u32>) -> impl IntoView {
    let session = use_session();
    let activity = LocalResource::new(move || {
        generation.track();
        async move { session.call(api::my_activity).await }
    });
    view! {
        <h2 id="activity-heading">"Recent activity"</h2>
        <p class="muted">
            {format!("What happened to your account in the last {} days.", api::ACTIVITY_DAYS)}
            " If something here was not you, change your password."
        </p>
        <Suspense fallback=|| view! { <p class="placeholder" aria-busy="true">"Loading your activity…"</p> }>
            {move || {
                activity
                    .get()
                    .map(|result| match result {
                        Ok(items) if items.is_empty() => view! {
                            <p class="muted">"Nothing yet."</p>
                        }
                            .into_any(),
                        Ok(items) => view! {
                            <ul class="activity-list" aria-labelledby="activity-heading" data-testid="activity">
                                {items
                                    .into_iter()
                                    .map(|item| view! { <ActivityEntry item /> })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any(),
                        Err(failure) => view! {
                            <p class="form-error" role="alert">{failure.to_string()}</p>
                        }
                            .into_any(),
                    })
            }}
        </Suspense>
    }
}

#[component]
fn ActivityEntry(item: ActivityItem) -> impl IntoView {
    let (what, warning) = activity_words(&item.kind, item.detail.as_deref());
    let place = [
        item.device.clone(),
        item.address
            .as_ref()
            .map(|address| format!("from {address}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    view! {
        <li class="activity" class:activity-warning=warning data-testid="activity-item" data-kind=item.kind.clone()>
            <p class="activity-what"><strong>{what}</strong></p>
            <p class="activity-when muted">
                {local_time(item.at)}
                {(!place.is_empty()).then(|| format!(" · {place}"))}
            </p>
        </li>
    }
}
