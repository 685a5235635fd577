//! The admin console, for staff: users (`/admin`, `/admin/users/<id>`), the
//! audit log (`/admin/events`) and the signing keys (`/admin/keys`). The
//! whole console is one split wasm file behind one route (`/admin` and
//! `/admin/*`), which picks its page from the address, so the main module
//! carries one loader for it. What the pages share is here: the frame that
//! asks the server whether the caller is staff, the console's navigation,
//! and the dialog every destructive action goes through.

mod events;
mod keys;
mod user;
mod users;

use leptos::html;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

use crate::admin_api::{self, Standing};
use crate::admin_console::{console_page, ConsolePage};
use crate::components::RequireLogin;
use crate::failure::AuthFailure;
use crate::session::{use_session, Session};

/// The console: logged in first, then staff as the server sees it now
/// (never as the browser remembers it); anyone else reads that the page is
/// not for them. An address of no page is the site's "Page not found".
#[component]
pub fn AdminConsole() -> impl IntoView {
    crate::components::page_title(Some("Admin"));
    let location = use_location();
    let page = Memo::new(move |_| console_page(&location.pathname.get()));
    let unknown = Memo::new(move |_| page.get() == ConsolePage::Unknown);
    move || {
        if unknown.get() {
            return view! { <crate::pages::NotFound /> }.into_any();
        }
        view! {
            <section class="card admin">
                <RequireLogin>
                    <StaffOnly>
                        {move || match page.get() {
                            ConsolePage::Users => view! { <users::UserList /> }.into_any(),
                            ConsolePage::User(id) => view! { <user::UserPage id /> }.into_any(),
                            ConsolePage::Events => view! { <events::EventLog /> }.into_any(),
                            ConsolePage::Keys => view! { <keys::KeyList /> }.into_any(),
                            ConsolePage::Unknown => ().into_any(),
                        }}
                    </StaffOnly>
                </RequireLogin>
            </section>
        }
        .into_any()
    }
}

#[component]
fn StaffOnly(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let standing =
        LocalResource::new(move || async move { session.call(admin_api::admin_standing).await });
    // The navigation's "Admin" follows the server's answer.
    Effect::new(move |_| {
        if let Some(Ok(standing)) = standing.get() {
            session.note_staff(standing.staff);
        }
    });
    move || match standing.get() {
        None => view! {
            <p class="placeholder" aria-busy="true">"Checking your access…"</p>
        }
        .into_any(),
        Some(Ok(standing)) if standing.staff => {
            provide_context(standing);
            view! {
                <AdminNav />
                {children()}
            }
            .into_any()
        }
        Some(Ok(_)) => view! {
            <h1>"You do not have access to this page"</h1>
            <p data-testid="no-access">
                "The admin console is for staff. If you need access, ask a superuser. "
                <A href="/">"Back to the start page"</A>
                "."
            </p>
        }
        .into_any(),
        Some(Err(failure)) => view! {
            <h1>"Admin"</h1>
            <p class="form-error" role="alert">{failure.to_string()}</p>
        }
        .into_any(),
    }
}

/// The caller's standing, as [`StaffOnly`] learnt it.
fn use_standing() -> Standing {
    use_context::<Standing>().unwrap_or_default()
}

#[component]
fn AdminNav() -> impl IntoView {
    view! {
        <nav class="admin-nav" aria-label="Admin">
            <A href="/admin" exact=true>"Users"</A>
            <A href="/admin/events">"Events"</A>
            <A href="/admin/keys">"Signing keys"</A>
        </nav>
    }
}

/// What the last action did, for a page's status line.
type Outcome = Option<Result<String, AuthFailure>>;

/// Runs one change at a time and reports it.
#[derive(Clone, Copy)]
struct Actor {
    session: Session,
    generation: RwSignal<u32>,
    outcome: RwSignal<Outcome>,
    busy: RwSignal<bool>,
}

impl Actor {
    /// Calls `change`, then shows `done` (or the failure) and reloads.
    fn run<T, F, Fut>(self, change: F, done: impl FnOnce(T) -> String + 'static)
    where
        T: 'static,
        F: Fn() -> Fut + 'static,
        Fut: std::future::Future<Output = Result<T, AuthFailure>> + 'static,
    {
        self.busy.set(true);
        leptos::task::spawn_local(async move {
            let result = self.session.call(change).await;
            self.outcome.set(Some(result.map(done)));
            self.generation.update(|generation| *generation += 1);
            self.busy.set(false);
        });
    }
}

/// The status line that reads out an [`Actor`]'s outcome.
#[component]
fn OutcomeLine(outcome: RwSignal<Outcome>, testid: &'static str) -> impl IntoView {
    view! {
        <p class="status" role="status" aria-live="polite" data-testid=testid>
            {move || {
                outcome
                    .get()
                    .map(|outcome| match outcome {
                        Ok(done) => done,
                        Err(failure) => failure.to_string(),
                    })
            }}
        </p>
    }
}

/// What a destructive action asks before it happens.
#[derive(Clone)]
struct Confirmation {
    /// The question, as the dialog's heading: "Deactivate alice?"
    title: String,
    /// What will happen, in a sentence or two.
    text: String,
    /// The button that does it: "Deactivate".
    action: &'static str,
    on_confirm: Callback<()>,
}

/// The page's one confirmation dialog, a native modal `<dialog>`: focus
/// moves into it (to "Cancel", the safe choice), Tab stays inside, Escape
/// cancels, and focus returns to the button that opened it.
#[component]
fn ConfirmDialog(ask: RwSignal<Option<Confirmation>>) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    Effect::new(move |_| {
        let Some(dialog) = dialog.get() else { return };
        match (ask.with(Option::is_some), dialog.open()) {
            (true, false) => {
                let _ = dialog.show_modal();
            }
            (false, true) => dialog.close(),
            _ => {}
        }
    });
    let confirm = move |_| {
        if let Some(confirmation) = ask.get_untracked() {
            ask.set(None);
            confirmation.on_confirm.run(());
        }
    };
    view! {
        <dialog
            node_ref=dialog
            class="confirm"
            aria-labelledby="confirm-title"
            aria-describedby="confirm-text"
            data-testid="confirm-dialog"
            // Escape, or any other way the dialog closes, is a cancel.
            on:close=move |_| ask.set(None)
        >
            <h2 id="confirm-title">{move || ask.with(|ask| ask.as_ref().map(|c| c.title.clone()))}</h2>
            <p id="confirm-text">{move || ask.with(|ask| ask.as_ref().map(|c| c.text.clone()))}</p>
            <div class="toolbar">
                <button type="button" class="button button-quiet" autofocus on:click=move |_| ask.set(None)>
                    "Cancel"
                </button>
                <button type="button" class="button button-danger" on:click=confirm>
                    {move || ask.with(|ask| ask.as_ref().map(|c| c.action))}
                </button>
            </div>
        </dialog>
    }
}

/// A table's "Next page" and "First page" links; `next`: the address of the
/// next page, if there is one; `first`: the first page's, when not on it.
#[component]
fn Pager(next: Option<String>, first: Option<String>) -> impl IntoView {
    view! {
        <nav class="pager" aria-label="Pages">
            {first.map(|href| view! { <A href=href>"First page"</A> })}
            {next.map(|href| view! { <A href=href attr:data-testid="next-page">"Next page"</A> })}
        </nav>
    }
}
