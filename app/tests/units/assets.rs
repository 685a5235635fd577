//! The server's reading of cargo-leptos' hash file.

use tessera_app::ssr::assets::hash_of;

#[test]
fn the_hash_file_gives_each_kind_its_hash() {
    let hashes = "js: AAA\nwasm: BBB\ncss: CCC\nmanifest: DDD\nsplit: EEE\n";
    assert_eq!(hash_of("css", hashes).as_deref(), Some("CCC"));
    assert_eq!(hash_of("wasm", hashes).as_deref(), Some("BBB"));
    assert_eq!(hash_of("font", hashes), None);
}
