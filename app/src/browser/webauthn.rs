//! The browser's part of a passkey ceremony: the options the server sent
//! (WebAuthn's JSON form) through `PublicKeyCredential.parse…FromJSON()`
//! into `navigator.credentials.create()` or `.get()`, and the credential
//! back as its `toJSON()`. Called through `js_sys::Reflect`, so the
//! bundle carries no WebAuthn bindings.

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// Why a ceremony did not give a credential, in words for the page.
fn explain(error: JsValue) -> String {
    let name = Reflect::get(&error, &"name".into())
        .ok()
        .and_then(|name| name.as_string())
        .unwrap_or_default();
    match name.as_str() {
        // Cancelled, timed out, or no authenticator the person could use.
        "NotAllowedError" | "AbortError" => {
            "No passkey was used: the request was cancelled or timed out.".into()
        }
        "InvalidStateError" => "This device already holds a passkey for your account.".into(),
        "SecurityError" => {
            "Passkeys do not work at this address: open the site at its name.".into()
        }
        "NotSupportedError" => "This device cannot make a passkey this site accepts.".into(),
        _ => "Passkeys are not supported in this browser.".into(),
    }
}

fn get(target: &JsValue, name: &str) -> Result<JsValue, JsValue> {
    Reflect::get(target, &name.into())
}

fn method(target: &JsValue, name: &str) -> Result<Function, JsValue> {
    get(target, name)?.dyn_into::<Function>()
}

/// Whether the page was opened at `origin` (`http://localhost:3000`).
pub fn is_page_origin(origin: &str) -> bool {
    leptos::prelude::window()
        .location()
        .origin()
        .is_ok_and(|here| here == origin)
}

/// Whether this browser has WebAuthn with its JSON helpers.
pub fn passkeys_supported() -> bool {
    let window: JsValue = leptos::prelude::window().into();
    get(&window, "PublicKeyCredential")
        .ok()
        .filter(|class| !class.is_undefined())
        .is_some_and(|class| method(&class, "parseRequestOptionsFromJSON").is_ok())
}

/// Runs `navigator.credentials.<call>({publicKey})` with the options
/// `options` (JSON text) read by `PublicKeyCredential.<parse>()`; the
/// credential as JSON text.
async fn ceremony(options: &str, parse: &str, call: &str) -> Result<String, String> {
    let unsupported = |_| "Passkeys are not supported in this browser.".to_owned();
    let window: JsValue = leptos::prelude::window().into();
    let class = get(&window, "PublicKeyCredential").map_err(unsupported)?;
    let options = js_sys::JSON::parse(options).map_err(unsupported)?;
    let public_key = method(&class, parse)
        .and_then(|parse| parse.call1(&class, &options))
        .map_err(unsupported)?;
    let request = Object::new();
    Reflect::set(&request, &"publicKey".into(), &public_key).map_err(unsupported)?;
    let credentials = get(&window, "navigator")
        .and_then(|navigator| get(&navigator, "credentials"))
        .map_err(unsupported)?;
    let promise: Promise = method(&credentials, call)
        .and_then(|call| call.call1(&credentials, &request))
        .and_then(|promise| promise.dyn_into())
        .map_err(unsupported)?;
    let credential = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(explain)?;
    let json = method(&credential, "toJSON")
        .and_then(|to_json| to_json.call0(&credential))
        .and_then(|json| js_sys::JSON::stringify(&json))
        .map_err(unsupported)?;
    Ok(String::from(json))
}

/// Makes a passkey for the registration options `options`.
pub async fn create_passkey(options: &str) -> Result<String, String> {
    ceremony(options, "parseCreationOptionsFromJSON", "create").await
}

/// Signs the sign-in options `options` with a passkey the person picks.
pub async fn use_passkey(options: &str) -> Result<String, String> {
    ceremony(options, "parseRequestOptionsFromJSON", "get").await
}
