//! The layers every request passes, outermost last in `routes::router`:
//! CORS for the API, one body limit and request timeout, the security
//! headers, compression of pages, and the request log.

pub mod body_limit;
pub mod compression;
pub mod cors;
pub mod request_log;
pub mod security_headers;
