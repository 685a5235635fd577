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

#[test]
fn markers_are_stored_as_before() {
    let mut markers = Markers::default();
    markers.remember("alice", "a1".into());
    markers.remember("b\"ob", "b1".into());
    // The format serde wrote for `names: Vec<(String, String)>`.
    assert_eq!(
        markers.to_json(),
        r#"{"names":[["b\"ob","b1"],["alice","a1"]]}"#
    );
    assert_eq!(Markers::from_json(&markers.to_json()), Some(markers));
    assert_eq!(
        Markers::from_json(r#"{"names":[]}"#),
        Some(Markers::default())
    );
    for foreign in [
        "",
        "{}",
        r#"{"names":[["a"]]}"#,
        r#"{"names":[["a",1]]}"#,
        r#"{"names":{}}"#,
    ] {
        assert_eq!(Markers::from_json(foreign), None, "{foreign}");
    }
}
