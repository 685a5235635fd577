//! On-the-fly compression of the responses that were not compressed at
//! build time: pages, the OpenAPI document, Swagger UI's bundle, large JSON.
//!
//! Brotli at quality 4 (tower-http's default for on-the-fly work, nginx's
//! too: quality 11 would cost more time than it saves on the wire) or gzip,
//! whichever the client prefers. Left alone:
//! - bodies under 1 KiB: the frame overhead eats the gain (`/hello/`,
//!   token pairs, errors);
//! - anything already encoded (the precompressed static files);
//! - images other than SVG (already compressed);
//! - every response marked `Cache-Control: no-store`, i.e. every response
//!   that carries a token. Compressing a secret next to text an attacker
//!   chooses leaks the secret through the size (BREACH); token responses
//!   reflect nothing today, but this keeps it so whatever they grow into.

use axum::http::{header, Response};
use tower_http::compression::predicate::{And, NotForContentType, Predicate, SizeAbove};
use tower_http::compression::{Compression, CompressionLayer};

/// Below this, a response goes out as it is.
const MIN_SIZE: u16 = 1024;

/// What decides whether a response is compressed (see the module's doc).
pub type WorthCompressing =
    And<And<And<SizeAbove, NotForContentType>, NotForContentType>, CarriesNoSecret>;

/// A service wrapped in the layer.
pub type Compressed<S> = Compression<S, WorthCompressing>;

/// The layer, outermost in the router.
pub fn layer() -> CompressionLayer<WorthCompressing> {
    let worth_it = SizeAbove::new(MIN_SIZE)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::SSE)
        .and(CarriesNoSecret);
    CompressionLayer::new()
        .br(true)
        .gzip(true)
        .compress_when(worth_it)
}

/// False for responses that must not be stored, the ones that carry tokens.
#[derive(Clone, Copy, Debug)]
pub struct CarriesNoSecret;

impl Predicate for CarriesNoSecret {
    fn should_compress<B>(&self, response: &Response<B>) -> bool
    where
        B: axum::body::HttpBody,
    {
        response
            .headers()
            .get_all(header::CACHE_CONTROL)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .all(|directive| !directive.trim().eq_ignore_ascii_case("no-store"))
    }
}
