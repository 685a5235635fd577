//! The known-device markers this browser holds, one per username it has
//! logged in as (see `tessera::TokenPair::known_device`): shown at the next
//! login of that name, so that other people's failures (guesses on the
//! name from elsewhere, colleagues behind the same NAT address) never lock
//! this browser out. They survive logging out: they are not credentials,
//! only "this browser has logged in as this name before".

use crate::json::{self, Json};

/// The localStorage key of the markers (apart from the tokens', so that
/// logging out, which clears those, keeps these).
pub const STORAGE_KEY: &str = "tessera.known-devices";
/// The most names one browser keeps markers for; the least recently used go.
pub const MOST_NAMES: usize = 8;

/// The markers as kept in localStorage: `{"names":[[username, marker], …]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Markers {
    /// (username, marker), the most recently used first.
    names: Vec<(String, String)>,
}

impl Markers {
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"names\":[");
        for (index, (name, marker)) in self.names.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            out.push('[');
            json::write_string(&mut out, name);
            out.push(',');
            json::write_string(&mut out, marker);
            out.push(']');
        }
        out.push_str("]}");
        out
    }

    /// Reads what [`Markers::to_json`] wrote; `None` for anything else.
    pub fn from_json(text: &str) -> Option<Self> {
        let object = json::parse(text)?;
        let Some(Json::Array(entries)) = object.get("names") else {
            return None;
        };
        let names = entries
            .iter()
            .map(|entry| match entry {
                Json::Array(pair) => match pair.as_slice() {
                    [name, marker] => {
                        Some((name.as_str()?.to_owned(), marker.as_str()?.to_owned()))
                    }
                    _ => None,
                },
                _ => None,
            })
            .collect::<Option<_>>()?;
        Some(Self { names })
    }

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
    stored()?.marker_for(username)
}

/// Keeps the marker a login or sign-up answered with.
pub fn remember(username: &str, marker: Option<String>) {
    let Some(marker) = marker.filter(|marker| !marker.is_empty()) else {
        return;
    };
    let mut markers = stored().unwrap_or_default();
    markers.remember(username, marker);
    crate::browser::store(STORAGE_KEY, &markers.to_json());
}

fn stored() -> Option<Markers> {
    Markers::from_json(&crate::browser::stored(STORAGE_KEY)?)
}
