//! Signing keys: every algorithm, the published JWK set checked by a
//! verifier that is not ours (`jose` from npm), rotation with nothing
//! refused, algorithm confusion, several instances on one database.

use crate::support;

mod algorithms;
mod rotation;

use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;
use support::{spawn_app_with, Engine};
use tessera::keys::SigningAlgorithm;

pub(super) const ASYMMETRIC: [&str; 9] = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
];

pub(super) fn b64_json(part: &str) -> Value {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

pub(super) fn header(token: &str) -> Value {
    b64_json(token.split('.').next().unwrap())
}

pub(super) fn kid(token: &str) -> String {
    header(token)["kid"].as_str().expect("a kid").to_owned()
}

pub(super) fn algorithm(name: &str) -> SigningAlgorithm {
    name.parse().unwrap()
}

pub(super) async fn jwks(app: &support::TestApp) -> (Value, Option<String>) {
    let reply = app.get("/.well-known/jwks.json", &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let cache = reply.header("cache-control").map(str::to_owned);
    (reply.json(), cache)
}

pub(super) fn published_kids(set: &Value) -> Vec<String> {
    set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["kid"].as_str().unwrap().to_owned())
        .collect()
}

/// Verifies `tokens` with `jose`, fetching only the JWK set over HTTP.
pub(super) async fn jose_verify(app: &support::TestApp, alg: &str, tokens: &[&str]) -> Vec<String> {
    let end2end = concat!(env!("CARGO_MANIFEST_DIR"), "/../end2end");
    assert!(
        std::path::Path::new(end2end)
            .join("node_modules/jose")
            .exists(),
        "npm package jose missing: run scripts/setup.sh --test"
    );
    let mut command = std::process::Command::new("node");
    command
        .current_dir(end2end)
        .arg("verifiers/jose-verify.mjs")
        .arg(format!("http://{}/.well-known/jwks.json", app.addr))
        .arg(alg)
        .args(tokens);
    // The server answers jose's fetch on this runtime's other threads.
    let output = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::task::spawn_blocking(move || command.output()),
    )
    .await
    .expect("node answers within 30 s")
    .unwrap()
    .expect("node runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

pub(super) async fn app_signing_with(engine: Engine, alg: &str) -> support::TestApp {
    let app = spawn_app_with(engine, |settings| settings.algorithm = algorithm(alg)).await;
    app.add_user("alice", "correct horse").await;
    app
}
