//! Tessera's user interface: Leptos components rendered on the server (feature
//! `ssr`) and hydrated in the browser (feature `hydrate`), plus the `#[server]`
//! functions they call, which delegate every rule to the `tessera` core.
//!
//! The browser's tokens are owned by [`session`]; everything else asks it.

pub mod api;
pub mod client;
mod components;
pub mod display;
pub mod failure;
pub mod jwt;
mod pages;
pub mod session;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes, A},
    StaticSegment,
};

use components::{AuthNav, SessionWatcher};

/// The HTML document around the app; rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="description" content="Tessera: JSON Web Token authentication in Rust" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The root component: the session, the navigation and the routed pages.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    session::provide_session();
    let signup = Resource::new(|| (), |_| async { api::signup_policy().await.ok() });

    view! {
        <Stylesheet id="leptos" href="/pkg/tessera.css" />
        <Title text="Tessera" />
        <Router>
            <SessionWatcher />
            <a class="skip-link" href="#main">
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
                    <AuthNav signup />
                </nav>
            </header>
            <main id="main">
                <Routes fallback=pages::NotFound>
                    <Route path=StaticSegment("") view=pages::Home />
                    <Route path=StaticSegment("login") view=pages::Login />
                    <Route path=StaticSegment("signup") view=move || view! { <pages::Signup signup /> } />
                    <Route path=StaticSegment("hello") view=pages::Hello />
                    <Route path=StaticSegment("tokens") view=pages::Tokens />
                </Routes>
            </main>
        </Router>
    }
}
