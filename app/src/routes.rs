//! The routed pages, each loaded on demand. Built with `cargo leptos
//! --split`, every page's code is its own wasm file that the browser fetches
//! when the page is first shown (and preloads when the server rendered it),
//! so the first download carries only the shell: router, session and
//! navigation. On the server the pages render directly.

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

use crate::pages;

macro_rules! lazy_page {
    ($route:ident, $page:path) => {
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                $page().into_any()
            }
        }
    };
}

lazy_page!(HomeRoute, pages::Home);
lazy_page!(LoginRoute, pages::Login);
lazy_page!(SignupRoute, pages::Signup);
lazy_page!(HelloRoute, pages::Hello);
lazy_page!(TokensRoute, pages::Tokens);
