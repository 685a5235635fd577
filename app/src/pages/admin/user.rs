//! `/admin/users/<id>`: one account as staff see it. Its profile, the
//! "Active" and "Staff" switches (staff changes by superusers only), its
//! live sessions with "End" and "End all", and its latest events. Every
//! destructive action asks to confirm first.

use crate::pages::fields::browser_action;
use leptos::prelude::*;
use leptos_router::components::A;

use super::users::role;
use super::{use_standing, Actor, ConfirmDialog, Confirmation, OutcomeLine};
use crate::admin_api::{self, UserDetail, UserRow};
use crate::api::SessionItem;
use crate::display::local_time;
use crate::pages::fields::{
    field_message, form_focusing_errors, form_message, last_failure, Field, FieldKind,
};
use crate::session::use_session;

#[component]
pub(super) fn UserPage(id: i64) -> impl IntoView {
    let session = use_session();
    // Bumped after every change: the page reads the account again.
    let generation = RwSignal::new(0_u32);
    let detail = LocalResource::new(move || {
        generation.track();
        async move { session.call(move || admin_api::admin_user(id)).await }
    });
    let ask = RwSignal::new(None::<Confirmation>);
    let outcome = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let act = Actor {
        session,
        generation,
        outcome,
        busy,
    };

    view! {
        <p><A href="/admin">"All users"</A></p>
        <Suspense fallback=|| view! { <p class="placeholder" aria-busy="true">"Loading the account…"</p> }>
            {move || {
                detail
                    .get()
                    .map(|result| match result {
                        Ok(detail) => view! { <Account detail ask act /> }.into_any(),
                        Err(failure) => view! {
                            <h1>"User"</h1>
                            <p class="form-error" role="alert">{failure.to_string()}</p>
                        }
                            .into_any(),
                    })
            }}
        </Suspense>
        <OutcomeLine outcome testid="admin-outcome" />
        <ConfirmDialog ask />
    }
}

#[component]
fn Account(detail: UserDetail, ask: RwSignal<Option<Confirmation>>, act: Actor) -> impl IntoView {
    let UserDetail { user, sessions } = detail;
    let standing = use_standing();
    let name = user.username.clone();
    view! {
        <h1>{format!("User {name}")}</h1>
        <dl class="profile">
            <dt>"Username"</dt>
            <dd data-testid="profile-username">{user.username.clone()}</dd>
            <dt>"Name"</dt>
            <dd>{full_name(&user)}</dd>
            <dt>"Email"</dt>
            <dd data-testid="profile-email">{match (user.email.is_empty(), user.email_verified) {
                (true, _) => "—".to_owned(),
                (false, true) => user.email.clone(),
                (false, false) => format!("{} (not verified)", user.email),
            }}</dd>
            <dt>"User id"</dt>
            <dd>{user.id}</dd>
            <dt>"Role"</dt>
            <dd>{role(&user)}</dd>
            <dt>"Joined"</dt>
            <dd>{local_time(user.date_joined)}</dd>
            <dt>"Last login"</dt>
            <dd>{user.last_login.map_or_else(|| "Never".to_owned(), local_time)}</dd>
        </dl>
        <ProfileEdit user=user.clone() act />
        <h2>"Access"</h2>
        <div class="switches">
            <ActiveSwitch user=user.clone() ask act />
            <StaffSwitch user=user.clone() ask act superuser=standing.superuser />
        </div>
        <PasswordReset user=user.clone() act />
        <Sessions user=user.clone() sessions ask act />
        <h2 id="user-events-heading">"Latest events"</h2>
        <UserEvents user_id=user.id />
    }
}

/// "Send password reset": a link by mail, to choose a new password (or a
/// first one, for an account imported without one). Not destructive: the
/// password stays until the person uses the link, so no confirmation.
#[component]
fn PasswordReset(user: UserRow, act: Actor) -> impl IntoView {
    let (id, email, active) = (user.id, user.email, user.is_active);
    let hint = match (email.is_empty(), active) {
        (true, _) => "The account has no email address to send a link to.",
        (false, false) => "The account is deactivated: activate it first.",
        (false, true) => "Mails a link to choose a new password; the current one works until then.",
    };
    let possible = !email.is_empty() && active;
    let send = move |_| {
        let email = email.clone();
        act.run(
            move || admin_api::admin_send_password_reset(id),
            move |()| format!("A link to choose a new password was sent to {email}."),
        );
    };
    let busy = act.busy;
    view! {
        <h2>"Password"</h2>
        <p class="field-hint" id="password-reset-hint">{hint}</p>
        <button
            type="button"
            class="button button-quiet"
            aria-describedby="password-reset-hint"
            data-testid="send-password-reset"
            disabled=move || busy.get() || !possible
            on:click=send
        >
            "Send password reset"
        </button>
    }
}

/// Names and address, as staff correct them. Saved together; only what
/// differs is written and named in the audit log.
#[component]
fn ProfileEdit(user: UserRow, act: Actor) -> impl IntoView {
    let id = user.id;
    let first = RwSignal::new(user.first_name.clone());
    let last = RwSignal::new(user.last_name.clone());
    let email = RwSignal::new(user.email.clone());
    let save = browser_action(move |profile: &(String, String, String)| {
        let (first, last, email) = profile.clone();
        let session = act.session;
        async move {
            session
                .call(move || {
                    admin_api::admin_set_profile(id, first.clone(), last.clone(), email.clone())
                })
                .await
        }
    });
    let busy = save.pending();
    let failure = last_failure(save);
    let form = form_focusing_errors(failure);
    Effect::new(move |_| {
        if let Some(Ok(row)) = save.value().get() {
            act.outcome.set(Some(Ok(format!(
                "The profile of {} was saved.",
                row.username
            ))));
            act.generation.update(|generation| *generation += 1);
        }
    });
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if !busy.get_untracked() {
            save.dispatch((
                first.get_untracked(),
                last.get_untracked(),
                email.get_untracked(),
            ));
        }
    };
    let error = move |field: &'static str| {
        Signal::derive(move || failure.with(|failure| field_message(failure.as_ref(), field)))
    };
    let form_error = move || failure.with(|failure| form_message(failure.as_ref()));
    view! {
        <h2>"Profile"</h2>
        <form class="form" node_ref=form on:submit=on_submit aria-busy=move || busy.get().to_string()>
            <Field id="first-name" label="First name" kind=FieldKind::Text autocomplete="off"
                value=first error=error("first_name") optional=true />
            <Field id="last-name" label="Last name" kind=FieldKind::Text autocomplete="off"
                value=last error=error("last_name") optional=true />
            <Field id="profile-email-input" label="Email" kind=FieldKind::Email autocomplete="off"
                value=email error=error("email") optional=true
                hint=Some("A new address is not verified: its owner confirms it with a link they ask for.".to_owned()) />
            <p class="form-error" role="alert" data-testid="profile-form-error">{form_error}</p>
            <button type="submit" class="button button-quiet" data-testid="save-profile"
                disabled=move || busy.get() || act.busy.get()>
                {move || if busy.get() { "Saving…" } else { "Save profile" }}
            </button>
        </form>
    }
}

/// "Ada Lovelace", or a dash when neither name is known.
fn full_name(user: &UserRow) -> String {
    let name = format!("{} {}", user.first_name, user.last_name);
    match name.trim() {
        "" => "—".to_owned(),
        name => name.to_owned(),
    }
}

/// A switch: a button that reads "on" or "off" to assistive technology.
#[component]
fn Switch(
    label: &'static str,
    on: bool,
    disabled: Signal<bool>,
    #[prop(optional)] hint: Option<&'static str>,
    on_toggle: impl Fn() + 'static,
) -> impl IntoView {
    let hint_id = format!("{}-hint", label.to_lowercase());
    view! {
        <div class="switch-row">
            <button
                type="button"
                role="switch"
                class="switch"
                aria-checked=on.to_string()
                aria-describedby=hint.map(|_| hint_id.clone())
                data-testid=format!("switch-{}", label.to_lowercase())
                disabled=move || disabled.get()
                on:click=move |_| on_toggle()
            >
                <span class="switch-track" aria-hidden="true"></span>
                {label}
            </button>
            {hint.map(|hint| view! { <p id=hint_id class="field-hint">{hint}</p> })}
        </div>
    }
}

#[component]
fn ActiveSwitch(user: UserRow, ask: RwSignal<Option<Confirmation>>, act: Actor) -> impl IntoView {
    let (id, active, name) = (user.id, user.is_active, user.username);
    let toggle = move || {
        let name = name.clone();
        let change = move || admin_api::admin_set_active(id, !active);
        if active {
            let done = name.clone();
            ask.set(Some(Confirmation {
                title: format!("Deactivate {name}?"),
                text: format!(
                    "{name} is logged out everywhere at once and cannot log in until the account is active again."
                ),
                action: "Deactivate",
                on_confirm: Callback::new(move |()| {
                    let done = done.clone();
                    act.run(change, move |_| format!("{done} was deactivated and logged out everywhere."))
                }),
            }));
        } else {
            act.run(change, move |_| format!("{name} is active again."));
        }
    };
    view! {
        <Switch label="Active" on=active disabled=act.busy.into() on_toggle=toggle />
    }
}

#[component]
fn StaffSwitch(
    user: UserRow,
    ask: RwSignal<Option<Confirmation>>,
    act: Actor,
    superuser: bool,
) -> impl IntoView {
    let (id, staff, name) = (user.id, user.is_staff, user.username);
    let toggle = move || {
        let name = name.clone();
        let (title, text, action) = if staff {
            (
                format!("Remove {name} from staff?"),
                format!("{name} can no longer use the admin console or the admin API, from this moment on."),
                "Remove from staff",
            )
        } else {
            (
                format!("Make {name} staff?"),
                format!("{name} can then see every user and the audit log, deactivate accounts and end sessions."),
                "Make staff",
            )
        };
        ask.set(Some(Confirmation {
            title,
            text,
            action,
            on_confirm: Callback::new(move |()| {
                let name = name.clone();
                act.run(
                    move || admin_api::admin_set_staff(id, !staff),
                    move |user: UserRow| {
                        if user.is_staff {
                            format!("{name} is now staff.")
                        } else {
                            format!("{name} is no longer staff.")
                        }
                    },
                )
            }),
        }));
    };
    let busy = act.busy;
    view! {
        <Switch
            label="Staff"
            on=staff
            disabled=Signal::derive(move || busy.get() || !superuser)
            hint=if superuser { "Staff use the admin console." } else { "Only a superuser can change this." }
            on_toggle=toggle
        />
    }
}

#[component]
fn Sessions(
    user: UserRow,
    sessions: Vec<SessionItem>,
    ask: RwSignal<Option<Confirmation>>,
    act: Actor,
) -> impl IntoView {
    let (id, name) = (user.id, user.username);
    let count = sessions.len();
    let end_all = {
        let name = name.clone();
        move |_| {
            let name = name.clone();
            ask.set(Some(Confirmation {
                title: format!("End every session of {name}?"),
                text: format!(
                    "{name} is logged out on every device at once and has to log in again."
                ),
                action: "End all sessions",
                on_confirm: Callback::new(move |()| {
                    let name = name.clone();
                    act.run(
                        move || admin_api::admin_end_sessions(id),
                        move |ended| match ended {
                            1 => format!("Ended 1 session of {name}."),
                            ended => format!("Ended {ended} sessions of {name}."),
                        },
                    )
                }),
            }));
        }
    };
    let busy = act.busy;
    view! {
        <h2 id="user-sessions-heading">"Sessions"</h2>
        {if sessions.is_empty() {
            view! { <p class="muted" data-testid="no-sessions">"Not logged in anywhere."</p> }.into_any()
        } else {
            view! {
                <ul class="session-list" aria-labelledby="user-sessions-heading" data-testid="user-sessions">
                    {sessions
                        .into_iter()
                        .map(|item| view! { <SessionEntry item user_id=id name=name.clone() ask act /> })
                        .collect_view()}
                </ul>
            }
                .into_any()
        }}
        <div class="toolbar">
            <button
                type="button"
                class="button button-quiet"
                data-testid="end-all"
                disabled=move || busy.get() || count == 0
                on:click=end_all
            >
                "End all sessions"
            </button>
        </div>
    }
}

#[component]
fn SessionEntry(
    item: SessionItem,
    user_id: i64,
    name: String,
    ask: RwSignal<Option<Confirmation>>,
    act: Actor,
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
        "End {} (logged in {})",
        item.device,
        local_time(item.created_at)
    );
    let device = item.device.clone();
    let end = move |_| {
        let (session, device, name) = (item.id.clone(), item.device.clone(), name.clone());
        ask.set(Some(Confirmation {
            title: format!("End this session of {name}?"),
            text: format!("{device} is logged out at once."),
            action: "End session",
            on_confirm: Callback::new(move |()| {
                let (session, device) = (session.clone(), device.clone());
                act.run(
                    move || admin_api::admin_end_session(user_id, session.clone()),
                    move |()| format!("Ended the session on {device}."),
                )
            }),
        }));
    };
    let busy = act.busy;
    view! {
        <li class="session" data-testid="user-session">
            <div class="session-text">
                <p class="session-device"><strong>{device}</strong></p>
                <p class="session-times muted">{times} {place}</p>
            </div>
            <button
                type="button"
                class="button button-quiet"
                aria-label=label
                disabled=move || busy.get()
                on:click=end
            >
                "End"
            </button>
        </li>
    }
}

/// The newest page of the user's events, and a link to the rest.
#[component]
fn UserEvents(user_id: i64) -> impl IntoView {
    let session = use_session();
    let events = LocalResource::new(move || async move {
        session
            .call(move || admin_api::admin_events(Some(user_id), None, None))
            .await
    });
    view! {
        <Suspense fallback=|| view! { <p class="placeholder" aria-busy="true">"Loading events…"</p> }>
            {move || {
                events
                    .get()
                    .map(|result| match result {
                        Ok(page) => view! {
                            <super::events::EventTable events=page.events />
                            <p>
                                <A href=format!("/admin/events?user={user_id}")>"All events of this user"</A>
                            </p>
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
