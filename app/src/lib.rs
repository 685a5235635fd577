//! Tessera's user interface: Leptos components rendered on the server (feature
//! `ssr`) and hydrated in the browser (feature `hydrate`), plus the `#[server]`
//! functions they call, which delegate every rule to the `tessera` core.
//!
//! The browser's tokens are owned by [`session`]; everything else asks it.
//! Imports run one way: pages and components → [`session`] → [`api`] →
//! [`client`] → [`token_store`]; [`session`] also uses [`browser`] (locks,
//! sleep). Server-only code lives in [`ssr`].

pub mod admin_api;
pub mod admin_console;
pub mod api;
mod browser;
pub mod client;
mod components;
pub mod display;
pub mod email_api;
pub mod failure;
pub mod json;
pub mod jwt;
pub mod known_devices;
mod pages;
pub mod passkey_api;
pub mod reset_api;
mod routes;
pub mod session;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod token_store;
pub mod two_step_api;

use leptos::prelude::*;
use leptos_router::{
    components::{Route, Router, Routes, A},
    Lazy, StaticSegment, WildcardSegment,
};

use components::{AuthNav, SessionWatcher};

/// The browser's DPoP key functions, inlined into every page.
#[cfg(feature = "ssr")]
const DPOP_SCRIPT: &str = include_str!("browser/dpop.js");

/// The HTML document around the app; rendered on the server only. `<body>`
/// carries the sign-up rules to the browser (see [`api::SignupRules`]).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    ssr::response::set_page_headers(
        // `cargo leptos watch` sets LEPTOS_WATCH; its reload socket must connect.
        std::env::var_os("LEPTOS_WATCH").map(|_| options.reload_port),
    );
    // The shell is only ever rendered on the server.
    #[cfg(feature = "ssr")]
    let stylesheet = ssr::assets::stylesheet_href(&options);
    #[cfg(not(feature = "ssr"))]
    let stylesheet = "";
    let signup = api::SignupRules::current();
    // This browser's DPoP key (see `browser/dpop.js`): inline, before the
    // wasm that calls it, with the nonce the CSP allows.
    #[cfg(feature = "ssr")]
    let dpop = view! { <script nonce=leptos::nonce::use_nonce() inner_html=DPOP_SCRIPT></script> };
    #[cfg(not(feature = "ssr"))]
    let dpop = ();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="description" content="Tessera: JSON Web Token authentication in Rust" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <link rel="apple-touch-icon" href="/apple-touch-icon.png" />
                {dpop}
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                // Plain tags rather than leptos_meta's components: no page
                // changes them, and the browser bundle is smaller without.
                <link id="leptos" rel="stylesheet" href=stylesheet />
                <title>"Tessera"</title>
            </head>
            <body
                data-signup-open=signup.map(|rules| rules.open.to_string())
                data-min-password-length=signup.map(|rules| rules.min_password_length.to_string())
                data-email-required=email_api::address_required().then_some("")
                data-passkeys-origin=passkey_api::offered_origin()
            >
                <App />
                // After the app: hydration walks the body from its start.
                <noscript>
                    <p class="noscript">
                        "These pages need JavaScript to log you in. The API works without it: "
                        <a href="/api/docs/">"its documentation"</a> "."
                    </p>
                </noscript>
            </body>
        </html>
    }
}

/// The browser's entry: hydrates the page the server rendered, then loads
/// the session from localStorage. Pages are separate wasm files (`cargo
/// leptos --split`), so hydration waits for the current page's file, which
/// the server already asked the browser to preload.
#[cfg(feature = "hydrate")]
pub async fn hydrate() {
    let body = leptos::tachys::dom::body();
    leptos::mount::hydrate_from_async(body, App).await.forget();
    session::hydration_finished();
}

/// The root component: the session, the navigation and the routed pages.
#[component]
pub fn App() -> impl IntoView {
    session::provide_session();

    view! {
        <Router>
            <SessionWatcher />
            // `rel="external"`: the browser's own jump to `#main`, which
            // focuses it (it has `tabindex="-1"`); the router's would only
            // scroll there.
            <a class="skip-link" href="#main" rel="external">
                "Skip to content"
            </a>
            <header class="site-header">
                <nav aria-label="Main">
                    <A href="/" attr:class="brand">
                        "Tessera"
                    </A>
                    <A href="/hello" attr:class="nav-link">
                        "Hello"
                    </A>
                    <A href="/tokens" attr:class="nav-link">
                        "Tokens"
                    </A>
                    <AuthNav />
                </nav>
            </header>
            <main id="main" tabindex="-1">
                <Routes fallback=pages::NotFound>
                    <Route path=StaticSegment("") view={Lazy::<routes::HomeRoute>::new()} />
                    <Route path=StaticSegment("login") view=pages::Login />  // in the main module: see routes.rs
                    <Route path=StaticSegment("signup") view={Lazy::<routes::SignupRoute>::new()} />
                    <Route path=StaticSegment("hello") view={Lazy::<routes::HelloRoute>::new()} />
                    <Route path=StaticSegment("tokens") view={Lazy::<routes::TokensRoute>::new()} />
                    <Route path=StaticSegment("account") view={Lazy::<routes::AccountRoute>::new()} />
                    // `/admin` and everything under it (the wildcard matches
                    // nothing too): the console picks its page.
                    <Route
                        path=(StaticSegment("admin"), WildcardSegment("page"))
                        view={Lazy::<routes::AdminRoute>::new()}
                    />
                    // The same shape of path as the console's (a segment and
                    // a wildcard), which costs the main module least; the
                    // page tells its two addresses apart.
                    <Route
                        path=(StaticSegment("forgot-password"), WildcardSegment("rest"))
                        view={Lazy::<routes::PasswordResetRoute>::new()}
                    />
                    <Route
                        path=(StaticSegment("reset-password"), WildcardSegment("rest"))
                        view={Lazy::<routes::PasswordResetRoute>::new()}
                    />
                    <Route
                        path=(StaticSegment("verify-email"), WildcardSegment("rest"))
                        view={Lazy::<routes::PasswordResetRoute>::new()}
                    />
                </Routes>
            </main>
        </Router>
    }
}
