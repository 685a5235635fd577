//! The names of the bundle's files. With `hash-files` (Cargo.toml) the
//! release build names each file after a hash of its content
//! (`tessera.<hash>.css`) and writes the hashes to `hash.txt` beside the
//! server binary; leptos' `HydrationScripts` reads them for the JavaScript
//! and the wasm, this module for the stylesheet, which the shell and the
//! browsable API's pages link themselves.

use std::path::PathBuf;
use std::sync::OnceLock;

use leptos::prelude::LeptosOptions;

/// Where the build leaves the hashes: beside the running binary, as
/// leptos looks for them.
pub fn hash_file(options: &LeptosOptions) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.join(options.hash_file.as_ref()))
}

/// Whether the bundle's names carry hashes: `LEPTOS_HASH_FILES` when set
/// (cargo-leptos sets it when it runs the server), else whether the build
/// left a hash file beside the binary, so that the binary started on its
/// own (a service manager, a container) finds its files too.
pub fn files_are_hashed(options: &LeptosOptions) -> bool {
    match std::env::var("LEPTOS_HASH_FILES") {
        Ok(value) => value.trim().eq_ignore_ascii_case("true"),
        Err(_) => hash_file(options).is_some_and(|path| path.is_file()),
    }
}

/// The stylesheet's URL: `/pkg/tessera.<hash>.css`, or `/pkg/tessera.css`
/// for an unhashed build. Read once: the files do not change under a
/// running server.
pub fn stylesheet_href(options: &LeptosOptions) -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| {
        let hash = options
            .hash_files
            .then(|| hash_file(options))
            .flatten()
            .and_then(|path| std::fs::read_to_string(path).ok())
            .and_then(|hashes| hash_of("css", &hashes));
        let name = &options.output_name;
        let pkg = &options.site_pkg_dir;
        match hash {
            Some(hash) => format!("/{pkg}/{name}.{hash}.css"),
            None => format!("/{pkg}/{name}.css"),
        }
    })
}

/// The hash recorded for `kind` in the hash file's `kind: hash` lines.
pub fn hash_of(kind: &str, hashes: &str) -> Option<String> {
    hashes.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == kind).then(|| value.trim().to_owned())
    })
}
