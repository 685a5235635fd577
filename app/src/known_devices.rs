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
pub const MOST_NAMES: usize = 8;

/// The markers as kept in localStorage.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Markers {
    /// (username, marker), the most recently used first.
    names: Vec<(String, String)>,
}

impl Markers {
    pub fn marker_for(&self, username: &str) -> Option<String> {
        self.names
            .iter()
            .find(|(name, _)| name == username)
            .map(|(_, marker)| marker.clone())
    }

    /// Keeps `marker` for `username`, first; the least recently used name
    /// beyond [`MOST_NAMES`] goes.
    pub fn remember(&mut self, username: &str, marker: String) {
        self.names.retain(|(name, _)| name != username);
        self.names.insert(0, (username.to_owned(), marker));
        self.names.truncate(MOST_NAMES);
    }

    /// How many names have a marker.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
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
