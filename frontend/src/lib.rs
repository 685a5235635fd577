//! The browser entry point: hydrates the page the server rendered.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(tessera_app::App);
    // Hydration above is synchronous: from here on every button is live. The
    // marker lets browser tests (and curious humans) know that moment.
    let _ = leptos::tachys::dom::body().set_attribute("data-hydrated", "true");
}
