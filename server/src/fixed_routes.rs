//! The routes whose path is a fixed string (`/hello/`, `/api/token/`,
//! `/livez`, …), found by one hash-map lookup in front of axum's router.
//!
//! Why: for a matched route, axum's router inserts three request extensions
//! (`OriginalUri`, which `server_fn`'s axum feature turns on, `MatchedPath`
//! and the URL parameters) into a hash map it allocates, and drops them with
//! the request: with the tree lookup, about 3 000 instructions of every
//! request (callgrind, `bench/http-stack.sh`), a third of what Tessera's
//! stack costs beyond plain hyper. A fixed path needs none of them.
//!
//! The same method routers, with the same route layers, are registered in
//! axum's router too, which still serves every path with parameters, the
//! pages, server functions and files; it also keeps refusing two routes of
//! one path at start-up. Only the lookup differs.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::Response;
use axum::routing::future::RouteFuture;
use axum::routing::MethodRouter;
use axum::Router;
use rustc_hash::FxHashMap;
use tower::Service;

/// axum's router behind a table of the routes with a fixed path.
#[derive(Clone)]
pub struct FixedRoutes {
    fixed: Arc<FxHashMap<&'static str, MethodRouter>>,
    router: Router,
}

impl FixedRoutes {
    /// `fixed`: the routes (state given, layers applied) to find by their
    /// exact path; paths with a `{parameter}` are left to `router`.
    pub fn new(
        router: Router,
        fixed: impl IntoIterator<Item = (&'static str, MethodRouter)>,
    ) -> Self {
        let fixed = fixed
            .into_iter()
            .filter(|(path, _)| !path.contains('{'))
            .collect();
        Self {
            fixed: Arc::new(fixed),
            router,
        }
    }
}

impl Service<Request> for FixedRoutes {
    type Response = Response;
    type Error = Infallible;
    type Future = RouteFuture<Infallible>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Both axum's router and its method routers are always ready.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        match self.fixed.get(request.uri().path()) {
            // A method router is called by `&mut`, so a clone of it serves
            // (a few reference-counted boxes: cheaper than the extensions).
            Some(route) => route.clone().call(request),
            None => self.router.call(request),
        }
    }
}
