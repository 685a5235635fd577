//! The known-device markers a browser keeps.

use tessera_app::known_devices::*;

#[test]
fn the_latest_marker_of_a_name_wins_and_old_names_go() {
    let mut markers = Markers::default();
    markers.remember("alice", "a1".into());
    markers.remember("bob", "b1".into());
    markers.remember("alice", "a2".into());
    assert_eq!(markers.marker_for("alice").as_deref(), Some("a2"));
    assert_eq!(markers.len(), 2);
    for n in 0..MOST_NAMES {
        markers.remember(&format!("user{n}"), "m".into());
    }
    assert_eq!(markers.len(), MOST_NAMES);
    assert_eq!(markers.marker_for("alice"), None);
}
