//! `/admin/events`: the audit log, newest first, 50 a page, filtered by
//! type and user. The filters and the page are in the address
//! (`?type=login_failed&user=7&before=120`).

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use super::Pager;
use crate::admin_api::{self, EventRow};
use crate::admin_console::{address, EVENT_TYPES};
use crate::display::local_time;
use crate::session::use_session;

fn type_words(kind: &str) -> String {
    EVENT_TYPES
        .iter()
        .find(|(name, _)| *name == kind)
        .map_or_else(|| kind.replace('_', " "), |(_, words)| (*words).to_owned())
}

#[component]
pub(super) fn EventLog() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let kind = Memo::new(move |_| query.read().get("type").unwrap_or_default());
    let user = Memo::new(move |_| query.read().get("user").unwrap_or_default());
    let before = Memo::new(move |_| {
        query
            .read()
            .get("before")
            .and_then(|before| before.parse::<i64>().ok())
    });
    let events = LocalResource::new(move || {
        let (kind, user, before) = (kind.get(), user.get(), before.get());
        async move {
            let user = user.trim().parse::<i64>().ok();
            let kind = (!kind.is_empty()).then_some(kind);
            session
                .call(move || admin_api::admin_events(user, kind.clone(), before))
                .await
        }
    });
    let chosen_kind = RwSignal::new(kind.get_untracked());
    let typed_user = RwSignal::new(user.get_untracked());
    let navigate = use_navigate();
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        let filters = [
            ("type", chosen_kind.get_untracked()),
            ("user", typed_user.get_untracked().trim().to_owned()),
        ];
        navigate(&address("/admin/events", &filters), Default::default());
    };

    view! {
        <h1>"Events"</h1>
        <form class="filters" on:submit=on_submit>
            <div class="field">
                <label for="event-type">"Type"</label>
                <select
                    id="event-type"
                    name="type"
                    prop:value=move || chosen_kind.get()
                    on:change=move |event| chosen_kind.set(event_target_value(&event))
                >
                    <option value="">"Every type"</option>
                    {EVENT_TYPES
                        .iter()
                        .map(|(name, words)| view! { <option value=*name>{*words}</option> })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="event-user">"User id"</label>
                <input
                    id="event-user"
                    name="user"
                    type="text"
                    inputmode="numeric"
                    pattern="[0-9]*"
                    autocomplete="off"
                    prop:value=move || typed_user.get()
                    on:input=move |event| typed_user.set(event_target_value(&event))
                />
            </div>
            <button type="submit" class="button">"Show"</button>
        </form>
        <Suspense fallback=|| view! { <p class="placeholder" aria-busy="true">"Loading events…"</p> }>
            {move || {
                events
                    .get()
                    .map(|result| match result {
                        Ok(page) => {
                            let filters = [("type", kind.get_untracked()), ("user", user.get_untracked())];
                            let next = page.next_before.map(|before| {
                                let mut pairs = filters.to_vec();
                                pairs.push(("before", before.to_string()));
                                address("/admin/events", &pairs)
                            });
                            let first = before
                                .get_untracked()
                                .map(|_| address("/admin/events", &filters));
                            view! {
                                <EventTable events=page.events />
                                <Pager next first />
                            }
                                .into_any()
                        }
                        Err(failure) => view! {
                            <p class="form-error" role="alert">{failure.to_string()}</p>
                        }
                            .into_any(),
                    })
            }}
        </Suspense>
    }
}

/// Events as a table: when, what, whose, from where, and the log's words.
#[component]
pub(super) fn EventTable(events: Vec<EventRow>) -> impl IntoView {
    if events.is_empty() {
        return view! { <p class="muted" role="status">"No events."</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
            <table class="admin-table" data-testid="events">
                <caption class="visually-hidden">"Events"</caption>
                <thead>
                    <tr>
                        <th scope="col">"When"</th>
                        <th scope="col">"What"</th>
                        <th scope="col">"User"</th>
                        <th scope="col">"From"</th>
                        <th scope="col">"Detail"</th>
                    </tr>
                </thead>
                <tbody>
                    {events.into_iter().map(|event| view! { <EventLine event /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn EventLine(event: EventRow) -> impl IntoView {
    let user = match (event.user_id, event.username.clone()) {
        (Some(id), name) => view! {
            <A href=format!("/admin/users/{id}")>{name.unwrap_or_else(|| format!("#{id}"))}</A>
        }
        .into_any(),
        (None, Some(name)) => name.into_any(),
        (None, None) => "".into_any(),
    };
    let from = [event.device.clone(), event.address.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
    let mut detail = event.detail.clone().unwrap_or_default();
    if event.count > 1 {
        detail = format!("{} attempts. {detail}", event.count);
    }
    if let Some(actor) = event.actor_id {
        detail = format!("{detail} (by staff #{actor})");
    }
    view! {
        <tr data-testid="event-row" data-kind=event.kind.clone()>
            <td>{local_time(event.at)}</td>
            <td>{type_words(&event.kind)}</td>
            <td>{user}</td>
            <td>{from}</td>
            <td>{detail.trim().to_owned()}</td>
        </tr>
    }
}
