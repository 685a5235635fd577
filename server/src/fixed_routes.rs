//! The routes whose path is a fixed string (`/hello/`, `/api/token/`,
//! `/livez`, …), found by one hash-map lookup in front of axum's router.
//!
//! Why: for a matched route, axum's router inserts three request extensions
//! (`OriginalUri`, which `server_fn`'s axum feature turns on, `MatchedPath`
//! and the URL parameters) into a hash map it allocates, and drops them with
//! the request: with the tree lookup, about 2 000 instructions of every
//! request (callgrind, `bench/http-stack.sh`), a fifth of what Tessera's
//! stack cost beyond plain hyper. A fixed path needs none of them.
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
pub struct FixedRoutes {
    fixed: Arc<FxHashMap<&'static str, MethodRouter>>,
    /// The routes this copy has served, its own: a method router is called
    /// by `&mut`, and copying one for each request (a few boxed services
    /// and its `Allow` header) costs 700 instructions. The server keeps one
    /// copy of the app per connection (`serve::InPlace`).
    own: FxHashMap<&'static str, MethodRouter>,
    router: Router,
}

impl Clone for FixedRoutes {
    fn clone(&self) -> Self {
        Self {
            fixed: Arc::clone(&self.fixed),
            own: FxHashMap::default(),
            router: self.router.clone(),
        }
    }
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
            own: FxHashMap::default(),
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
        let path = request.uri().path();
        if let Some(route) = self.own.get_mut(path) {
            return route.call(request);
        }
        match self.fixed.get_key_value(path) {
            Some((&path, route)) => self
                .own
                .entry(path)
                .or_insert_with(|| route.clone())
                .call(request),
            None => self.router.call(request),
        }
    }
}
