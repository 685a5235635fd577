//! The layers every request passes, outermost last in `routes::router`:
//! CORS for the API, one body limit and request timeout, the security
//! headers, and compression of pages.

pub mod body_limit;
pub mod compression;
pub mod cors;
pub mod security_headers;
