//! The whole HTTP surface in one place.

use std::future::Future;
use std::pin::Pin;

use axum::{
    body::Body,
    http::{Request, Response},
    routing::get,
    Router,
};
use leptos::prelude::{provide_context, LeptosOptions};
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower::Layer;

use crate::assets::StaticFiles;
use crate::fixed_routes::FixedRoutes;
use crate::middleware::body_limit::{BodyLimit, BodyLimitLayer};
use crate::middleware::compression::{CompressionOfPages, CompressionOfPagesLayer};
use crate::middleware::cors::{self, CorsPolicy};
use crate::middleware::request_log::{RequestLog, RequestLogLayer};
use crate::middleware::security_headers::{SecurityHeaders, SecurityHeadersLayer};
use crate::{api, health, metrics, AppState};

/// The application as axum serves it: the router inside the browsable-API
/// service (see `api::BrowsableLayer`), inside the security headers, inside
/// on-the-fly compression (see `compression`). Serve it with
/// [`crate::serve::serve`], which gives throttling the client's address.
pub type App =
    RequestLog<CompressionOfPages<SecurityHeaders<api::Browsable<BodyLimit<FixedRoutes>>>>>;

/// Builds the application: API, health checks, pages, server functions and
/// static files.
pub fn router(state: AppState) -> App {
    let pages = generate_route_list(tessera_app::App);
    let leptos_options = state.leptos_options.clone();
    let stylesheet = tessera_app::ssr::assets::stylesheet_href(&leptos_options);
    let http = state.http.clone();
    let tessera = tessera::Tessera::clone(&state.tessera);
    // Pages and server functions find the core in their context; the 404
    // page renders the whole app too, so it needs the same context.
    let provide_core = move || provide_context(tessera.clone());

    let mut api = api::routes();
    if let Some(policy) = CorsPolicy::new(&http.cors_allowed_origins.0) {
        let cors = axum::middleware::from_fn_with_state(policy, cors::apply);
        for (_, route) in &mut api {
            *route = std::mem::take(route).layer(cors.clone());
        }
    }
    let mut table = vec![
        ("/livez", get(health::livez)),
        ("/healthz", get(health::healthz)),
    ];
    table.extend(api);

    let mut routes = Router::new();
    for (path, route) in &table {
        routes = routes.route(path, route.clone());
    }
    let mut routes = routes
        .leptos_routes_with_context(&state, pages, provide_core.clone(), {
            let leptos_options = leptos_options.clone();
            move || tessera_app::shell(LeptosOptions::clone(&leptos_options))
        })
        .fallback(static_file_or_not_found(
            StaticFiles::new(&leptos_options.site_root),
            leptos_axum::render_app_to_stream_with_context(provide_core, move || {
                tessera_app::shell(LeptosOptions::clone(&leptos_options))
            }),
        ));
    let metrics = http.metrics_addr.is_some();
    if metrics {
        // Inside the router, where each request's route pattern is known.
        routes = routes.layer(metrics::RequestMetricsLayer::default());
    }
    let fixed = table.into_iter().map(|(path, route)| {
        // The same route layers as inside axum's router, metrics outermost.
        let route = if metrics {
            route.layer(metrics::RequestMetricsLayer::for_route(path))
        } else {
            route
        };
        (path, route.with_state(state.clone()))
    });
    let routes = FixedRoutes::new(routes.with_state(state.clone()), fixed);
    let limited = BodyLimitLayer {
        max_bytes: http.max_body_bytes,
        timeout: http.request_timeout.0,
    }
    .layer(routes);
    let browsable = api::BrowsableLayer { stylesheet };
    let secured = SecurityHeadersLayer { hsts: http.hsts }.layer(browsable.layer(limited));
    RequestLogLayer.layer(CompressionOfPagesLayer.layer(secured))
}

/// The fallback of every URL no route claims: a static file when there is
/// one, else the app's 404 page.
fn static_file_or_not_found<Page, PageFuture>(
    files: StaticFiles,
    not_found_page: Page,
) -> impl Fn(Request<Body>) -> Pin<Box<dyn Future<Output = Response<Body>> + Send>>
       + Clone
       + Send
       + Sync
       + 'static
where
    Page: Fn(Request<Body>) -> PageFuture + Clone + Send + Sync + 'static,
    PageFuture: Future<Output = Response<Body>> + Send + 'static,
{
    move |request: Request<Body>| {
        let not_found_page = not_found_page.clone();
        let file = files.serve(&request);
        Box::pin(async move {
            if let Some(file) = file {
                if let Some(response) = file.await {
                    return response;
                }
            }
            not_found_page(request).await
        })
    }
}
