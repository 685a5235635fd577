//! The browser's DPoP key, through `dpop.js`, which the page shell inlines
//! as `window.tesseraDpop` (WebCrypto and IndexedDB are reached from a few
//! lines of JavaScript: far smaller in the bundle than the same calls bound
//! one by one from Rust).

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Calls `window.tesseraDpop[name](...args)` and awaits its promise;
/// `undefined` if the script is missing or fails.
async fn call(name: &str, args: &[JsValue]) -> JsValue {
    let outcome = async {
        let window = web_sys::window()?;
        let functions = Reflect::get(&window, &JsValue::from_str("tesseraDpop")).ok()?;
        let function: Function = Reflect::get(&functions, &JsValue::from_str(name))
            .ok()?
            .dyn_into()
            .ok()?;
        let args: js_sys::Array = args.iter().collect();
        let promise: Promise = function.apply(&functions, &args).ok()?.dyn_into().ok()?;
        JsFuture::from(promise).await.ok()
    };
    outcome.await.unwrap_or(JsValue::UNDEFINED)
}

/// A DPoP proof for `method` on `url`, naming `access_token` and carrying
/// the server's `nonce` if given; `None` where this browser cannot keep a
/// key (the app then uses bearer tokens).
pub async fn dpop_proof(
    method: &str,
    url: &str,
    access_token: Option<&str>,
    nonce: Option<&str>,
) -> Option<String> {
    let optional = |text: Option<&str>| text.map_or(JsValue::UNDEFINED, JsValue::from_str);
    call(
        "proof",
        &[
            JsValue::from_str(method),
            JsValue::from_str(url),
            optional(access_token),
            optional(nonce),
        ],
    )
    .await
    .as_string()
}

/// The thumbprint of this browser's DPoP key, if it holds one.
pub async fn dpop_thumbprint() -> Option<String> {
    call("thumbprint", &[]).await.as_string()
}

/// Deletes this browser's DPoP key (at logout).
pub async fn forget_dpop_key() {
    call("forget", &[]).await;
}
