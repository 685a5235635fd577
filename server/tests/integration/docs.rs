//! The guide for developers shows real code: every Rust block of
//! `docs/extending.md` that names its file (`<!-- from: path -->`) must
//! appear in that file, character for character.

use std::path::Path;

#[test]
fn docs_are_true() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let guide = std::fs::read_to_string(root.join("docs/extending.md")).unwrap();
    let mut checked = 0;
    let mut rest = guide.as_str();
    while let Some(at) = rest.find("<!-- from: ") {
        rest = &rest[at + "<!-- from: ".len()..];
        let (path, after) = rest.split_once(" -->").expect("a closed marker");
        let block = after
            .trim_start()
            .strip_prefix("```rust\n")
            .unwrap_or_else(|| panic!("a Rust block follows the marker for {path}"));
        let (code, _) = block.split_once("\n```").expect("a closed block");
        let source = std::fs::read_to_string(root.join(path))
            .unwrap_or_else(|error| panic!("{path}: {error}"));
        assert!(
            source.contains(code),
            "docs/extending.md shows code that {path} no longer has:\n{code}"
        );
        checked += 1;
        rest = after;
    }
    assert!(checked >= 6, "only {checked} snippets were checked");
}
