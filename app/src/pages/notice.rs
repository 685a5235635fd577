//! Pages that stand in for another: nothing at the address, or the page's
//! code did not arrive. Both are in the main wasm module (every address can
//! need them) and share one view, so they cost its code once.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// Shown for any path no route matches; the server answers it with 404.
#[component]
pub fn NotFound() -> impl IntoView {
    crate::components::page_title(Some("Page not found"));
    #[cfg(feature = "ssr")]
    {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(axum::http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <Notice
            title="Page not found"
            text="Nothing lives at this address. "
            link="Back to the start page"
            href="/".to_owned()
        />
    }
}

/// In place of a page whose code could not be fetched (offline, server
/// restarting). Only the browser gets here: the server renders pages
/// directly. The router has already moved to the page's address.
#[component]
pub fn PageUnavailable() -> impl IntoView {
    let location = use_location();
    let mut here = location.pathname.get_untracked();
    let search = location.search.get_untracked();
    if !search.is_empty() {
        here.push('?');
        here.push_str(&search);
    }
    view! {
        <Notice
            title="This page could not be loaded"
            text="Its code did not arrive. Check your connection, then "
            link="try again"
            href=here
        />
    }
}

/// A card with a heading, a sentence and a link. The link is a full page
/// load (`rel="external"` keeps the router out), which is what "try again"
/// needs, and a fresh start from a page that should not exist.
#[component]
fn Notice(
    title: &'static str,
    text: &'static str,
    link: &'static str,
    href: String,
) -> impl IntoView {
    view! {
        <section class="card">
            <h1>{title}</h1>
            <p>{text} <a href=href rel="external">{link}</a> "."</p>
        </section>
    }
}
