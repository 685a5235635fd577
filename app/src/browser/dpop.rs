//! The browser's DPoP key, through `dpop.js` (WebCrypto and IndexedDB are
//! reached from a few lines of JavaScript: far smaller in the bundle than
//! the same calls bound one by one from Rust).

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/browser/dpop.js")]
extern "C" {
    #[wasm_bindgen(js_name = dpop_proof)]
    async fn proof_of(
        method: &str,
        url: &str,
        access_token: Option<String>,
        nonce: Option<String>,
    ) -> JsValue;

    #[wasm_bindgen(js_name = dpop_thumbprint)]
    async fn thumbprint() -> JsValue;

    #[wasm_bindgen(js_name = dpop_forget)]
    async fn forget();
}

/// A DPoP proof for `method` on `url`, naming `access_token` if given;
/// `None` where this browser cannot keep a key (the app then uses bearer
/// tokens).
pub async fn dpop_proof(method: &str, url: &str, access_token: Option<&str>) -> Option<String> {
    proof_of(method, url, access_token.map(str::to_owned), None)
        .await
        .as_string()
}

/// The thumbprint of this browser's DPoP key, if it holds one.
pub async fn dpop_thumbprint() -> Option<String> {
    thumbprint().await.as_string()
}

/// Deletes this browser's DPoP key (at logout).
pub async fn forget_dpop_key() {
    forget().await;
}
