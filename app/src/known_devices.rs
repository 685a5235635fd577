//! The known-device markers this browser holds, one per username it has
//! logged in as (see `tessera::TokenPair::known_device`): shown at the next
//! login of that name, so that other people's failures (guesses on the
//! name from elsewhere, colleagues behind the same NAT address) never lock
//! this browser out. They survive logging out: they are not credentials,
//! only "this browser has logged in as this name before".

use serde::{Deserialize, Serialize};

/// The localStorage key of the markers (apart from the tokens', so that
/// logging out, which clears those, keeps these).
pub const STORAGE_KEY: &str = "tessera.known-devices";
/// The most names one browser keeps markers for; the least recently used go.
const MOST_NAMES: usize = 8;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Markers {
    /// (username, marker), the most recently used first.
    names: Vec<(String, String)>,
}

impl Markers {
    fn marker_for(&self, username: &str) -> Option<String> {
        self.names
            .iter()
            .find(|(name, _)| name == username)
            .map(|(_, marker)| marker.clone())
    }

    fn remember(&mut self, username: &str, marker: String) {
        self.names.retain(|(name, _)| name != username);
        self.names.insert(0, (username.to_owned(), marker));
        self.names.truncate(MOST_NAMES);
    }
}

/// The marker to show when logging in as `username`.
pub fn marker_for(username: &str) -> Option<String> {
    crate::browser::stored::<Markers>(STORAGE_KEY)?.marker_for(username)
}

/// Keeps the marker a login or sign-up answered with.
pub fn remember(username: &str, marker: Option<String>) {
    let Some(marker) = marker.filter(|marker| !marker.is_empty()) else {
        return;
    };
    let mut markers: Markers = crate::browser::stored(STORAGE_KEY).unwrap_or_default();
    markers.remember(username, marker);
    crate::browser::store(STORAGE_KEY, &markers);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_marker_of_a_name_wins_and_old_names_go() {
        let mut markers = Markers::default();
        markers.remember("alice", "a1".into());
        markers.remember("bob", "b1".into());
        markers.remember("alice", "a2".into());
        assert_eq!(markers.marker_for("alice").as_deref(), Some("a2"));
        assert_eq!(markers.names.len(), 2);
        for n in 0..MOST_NAMES {
            markers.remember(&format!("user{n}"), "m".into());
        }
        assert_eq!(markers.names.len(), MOST_NAMES);
        assert_eq!(markers.marker_for("alice"), None);
    }
}
