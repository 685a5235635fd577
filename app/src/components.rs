//! Pieces shared by the pages: the guard of protected pages, the watcher
//! that sends an ended session to the login page, and the navigation's
//! login state.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::NavigateOptions;

use crate::api::SignupRules;
use crate::display::{login_url, LoginReason};
use crate::session::{use_session, AuthState};

/// Which of the three shapes the state has: views keyed on it don't re-render
/// on every token rotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginStatus {
    Unknown,
    LoggedOut,
    LoggedIn,
}

/// Names the browser tab after the page ("Log in – Tessera"), so tabs,
/// history and screen readers tell the pages apart; `None`: the site's name
/// alone. Set in the browser when the page is shown (the server's shell
/// says "Tessera").
///
/// Every page calls it as it is shown, so it also moves the focus to
/// `<main>` when the app shows another page, as a full page load would start
/// a screen reader and the keyboard there (not on the first page: the
/// browser has just placed them).
pub fn page_title(page: Option<&str>) {
    #[cfg(feature = "hydrate")]
    {
        document().set_title(&match page {
            Some(page) => format!("{page} \u{2013} Tessera"),
            None => "Tessera".to_owned(),
        });
        if !crate::session::hydrating() {
            use wasm_bindgen::JsCast;
            let main = document()
                .get_element_by_id("main")
                .and_then(|main| main.dyn_into::<web_sys::HtmlElement>().ok());
            if let Some(main) = main {
                let _ = main.focus();
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = page;
}

pub fn use_login_status() -> Memo<LoginStatus> {
    let session = use_session();
    Memo::new(move |_| match session.state() {
        AuthState::Unknown => LoginStatus::Unknown,
        AuthState::LoggedOut
        | AuthState::LoggedOutHere
        | AuthState::Expired
        | AuthState::SignedOutElsewhere => LoginStatus::LoggedOut,
        AuthState::LoggedIn(_) => LoginStatus::LoggedIn,
    })
}

fn replace() -> NavigateOptions {
    NavigateOptions {
        replace: true,
        ..Default::default()
    }
}

/// Renders its children only when logged in. The server and the first
/// browser render show a neutral placeholder (the server cannot see the
/// tokens); logged out, it goes to the login page, which comes back here.
#[component]
pub fn RequireLogin(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let status = use_login_status();
    let location = use_location();
    let navigate = use_navigate();
    Effect::new(move |_| {
        // A session that ended earlier (the watcher already showed the
        // login page once) still gets its reason: the same address as the
        // watcher's, so when both act at the moment it ends, they agree.
        let reason = match session.state() {
            AuthState::LoggedOut => None,
            AuthState::LoggedOutHere => Some(LoginReason::LoggedOut),
            AuthState::Expired => Some(LoginReason::Expired),
            AuthState::SignedOutElsewhere => Some(LoginReason::SignedOutElsewhere),
            AuthState::Unknown | AuthState::LoggedIn(_) => return,
        };
        let path = location.pathname.get_untracked();
        // Already there: the watcher went first.
        if path != "/login" {
            navigate(&login_url(&path, reason), replace());
        }
    });
    move || match status.get() {
        LoginStatus::LoggedIn => children().into_any(),
        _ => view! {
            <p class="placeholder" aria-busy="true" data-testid="checking-session">
                "Checking your session…"
            </p>
        }
        .into_any(),
    }
}

/// When a refresh is refused anywhere, shows the login page with "Your
/// session has expired" (or "You were logged out from another device") and
/// a way back; after "Log out", the login page says "You have logged out."
#[component]
pub fn SessionWatcher() -> impl IntoView {
    let session = use_session();
    let location = use_location();
    let navigate = use_navigate();
    Effect::new(move |_| {
        let reason = match session.state() {
            AuthState::Expired => LoginReason::Expired,
            AuthState::SignedOutElsewhere => LoginReason::SignedOutElsewhere,
            AuthState::LoggedOutHere => LoginReason::LoggedOut,
            _ => return,
        };
        let path = location.pathname.get_untracked();
        if path != "/login" {
            navigate(&login_url(&path, Some(reason)), replace());
        }
    });
}

/// The right side of the navigation: who is logged in and the logout
/// button, or the login and sign-up links.
#[component]
pub fn AuthNav() -> impl IntoView {
    let session = use_session();
    let status = use_login_status();
    let username = Memo::new(move |_| session.username());
    // A plain signal, not an `Action`: this component is in the main wasm
    // module every page waits for, and an action's machinery costs it 2 KB
    // (the pages' forms use actions; they load on demand).
    let busy = RwSignal::new(false);
    let logout = move |_| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            session.logout().await;
            busy.set(false);
        });
    };
    let signup_open = SignupRules::current().is_some_and(|rules| rules.open);

    view! {
        <div
            class="auth-nav"
            data-testid="auth-nav"
            data-status=move || format!("{:?}", status.get())
            data-staff=move || session.is_staff().to_string()
        >
            {move || match status.get() {
                LoginStatus::Unknown => ().into_any(),
                LoginStatus::LoggedIn => view! {
                    // Always there, shown to staff by the stylesheet (see
                    // `data-staff` above): a link that comes and goes would
                    // cost this module, which every page waits for, a view
                    // of its own.
                    <a href="/admin" class="nav-link admin-link" data-testid="admin-link">
                        "Admin"
                    </a>
                    <A href="/account" attr:class="nav-link whoami" attr:data-testid="whoami">
                        {move || username.get().unwrap_or_else(|| "Your account".to_owned())}
                    </A>
                    <button
                        type="button"
                        class="button button-quiet"
                        data-testid="logout"
                        disabled=move || busy.get()
                        on:click=logout
                    >
                        "Log out"
                    </button>
                }
                .into_any(),
                LoginStatus::LoggedOut => view! {
                    <A href="/login" attr:class="nav-link" attr:data-testid="login-link">
                        "Log in"
                    </A>
                    {signup_open
                        .then(|| {
                            view! {
                                <A href="/signup" attr:class="nav-link">
                                    "Create account"
                                </A>
                            }
                        })}
                }
                .into_any(),
            }}
        </div>
    }
}
