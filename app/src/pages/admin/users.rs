//! `/admin`: every user, 50 a page, found by part of their name. The search
//! and the page are in the address (`?search=ada&after=50`), so the back
//! button, a reload and a shared link all show the same list.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use super::Pager;
use crate::admin_api::{self, UserRow};
use crate::admin_console::address;
use crate::display::local_time;
use crate::session::use_session;

#[component]
pub(super) fn UserList() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let search = Memo::new(move |_| query.read().get("search").unwrap_or_default());
    let after = Memo::new(move |_| {
        query
            .read()
            .get("after")
            .and_then(|after| after.parse::<i64>().ok())
    });
    let users = LocalResource::new(move || {
        let (search, after) = (search.get(), after.get());
        async move {
            session
                .call(move || admin_api::admin_users(search.clone(), after))
                .await
        }
    });
    let typed = RwSignal::new(search.get_untracked());
    let navigate = use_navigate();
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        let search = typed.get_untracked().trim().to_owned();
        navigate(
            &address("/admin", &[("search", search)]),
            Default::default(),
        );
    };

    view! {
        <h1>"Users"</h1>
        <form class="search-form" role="search" on:submit=on_submit>
            <label for="user-search">"Find a user"</label>
            <input
                id="user-search"
                name="search"
                type="search"
                autocomplete="off"
                autocapitalize="none"
                spellcheck="false"
                placeholder="Start of a username or email"
                prop:value=move || typed.get()
                on:input=move |event| typed.set(event_target_value(&event))
            />
            <button type="submit" class="button">"Search"</button>
        </form>
        <Suspense fallback=|| view! { <p class="placeholder" aria-busy="true">"Loading users…"</p> }>
            {move || {
                users
                    .get()
                    .map(|result| match result {
                        Ok(page) if page.users.is_empty() => view! {
                            <p class="muted" role="status">"No user matches."</p>
                        }
                            .into_any(),
                        Ok(page) => {
                            let search = search.get_untracked();
                            let next = page.next_after.map(|after| {
                                address(
                                    "/admin",
                                    &[("search", search.clone()), ("after", after.to_string())],
                                )
                            });
                            let first = after
                                .get_untracked()
                                .map(|_| address("/admin", &[("search", search)]));
                            view! {
                                <UserTable users=page.users />
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

#[component]
fn UserTable(users: Vec<UserRow>) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="admin-table" data-testid="users">
                <caption class="visually-hidden">"Users"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Username"</th>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Joined"</th>
                        <th scope="col">"Last login"</th>
                    </tr>
                </thead>
                <tbody>
                    {users
                        .into_iter()
                        .map(|user| {
                            let href = format!("/admin/users/{}", user.id);
                            let status = if user.is_active { "Active" } else { "Deactivated" };
                            let role = role(&user);
                            let joined = local_time(user.date_joined);
                            let last_login = user.last_login.map_or_else(|| "Never".to_owned(), local_time);
                            view! {
                                <tr data-testid="user-row">
                                    <th scope="row">
                                        <A href=href>{user.username}</A>
                                    </th>
                                    <td class="email">{user.email}</td>
                                    <td>{status}</td>
                                    <td>{role}</td>
                                    <td>{joined}</td>
                                    <td>{last_login}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// "Superuser", "Staff" or "User".
pub(super) fn role(user: &UserRow) -> &'static str {
    match (user.is_superuser, user.is_staff) {
        (true, _) => "Superuser",
        (false, true) => "Staff",
        (false, false) => "User",
    }
}
