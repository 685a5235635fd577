//! Tessera's user interface: Leptos components rendered on the server (feature
//! `ssr`) and hydrated in the browser (feature `hydrate`), plus the `#[server]`
//! functions they call, which delegate every rule to the `tessera` core.

pub mod api;
mod pages;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes, A},
    StaticSegment,
};

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

/// The root component: navigation and the routed pages.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Stylesheet id="leptos" href="/pkg/tessera.css" />
        <Title text="Tessera" />
        <Router>
            <header class="site-header">
                <nav aria-label="Main">
                    <A href="/" attr:class="brand">
                        "Tessera"
                    </A>
                </nav>
            </header>
            <main id="main">
                <Routes fallback=pages::NotFound>
                    <Route path=StaticSegment("") view=pages::Home />
                </Routes>
            </main>
        </Router>
    }
}
