//! The browser entry point: hydrates the page the server rendered.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Panic messages in the console while developing; a release build
    // leaves the formatting code out (5 KB of the compressed bundle) and
    // reports a panic as "unreachable".
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    wasm_bindgen_futures::spawn_local(async {
        tessera_app::hydrate().await;
        // From here on every button is live. The marker lets browser tests
        // (and curious humans) know that moment.
        let _ = leptos::tachys::dom::body().set_attribute("data-hydrated", "true");
    });
}
