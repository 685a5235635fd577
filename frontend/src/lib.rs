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

/// Room for `cargo leptos --split` to lay out the constant data. Its
/// wasm-split moves each page's constants (strings, vtables) into that
/// page's file, repacking the data segment per file; alignment padding and
/// constants shared by several files can make the repacked segment a few
/// hundred bytes longer than the original, and then it silently keeps *all*
/// constants in the main module (+7 KB brotli, seen twice). Nothing refers
/// to these bytes, so the split drops them: they only lengthen the segment
/// it measures against. `scripts/bundle-size.sh` reports a split that fell
/// back anyway.
#[cfg(target_arch = "wasm32")]
#[used]
static SPLIT_HEADROOM: [u8; 4096] = [0xA5; 4096];
