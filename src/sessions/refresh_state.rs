//! Where a refresh token stands, judged once: every path that reads a
//! refresh record (rotation, a replay, logout, verify) matches on this one
//! answer instead of re-reading the record's columns in its own words.

use crate::store::RefreshRecord;

/// A refresh record's state at an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RefreshStanding<'a> {
    /// May be used: not rotated, its session live.
    Current,
    /// Replaced by `successor` at `at`, its session live: a second use is
    /// a retry within the overlap window or a reuse.
    Rotated { at: i64, successor: &'a str },
    /// Its session was ended (logout, reuse, password change, an admin).
    Revoked,
    /// The token or its session has outlived its lifetime.
    Expired,
}

impl RefreshRecord {
    /// Revocation first (a logged-out session stays logged out whatever the
    /// time), then expiry, then rotation.
    pub(crate) fn standing(&self, now: i64) -> RefreshStanding<'_> {
        if self.session_revoked_at.is_some() {
            return RefreshStanding::Revoked;
        }
        if self.session_expires_at <= now || self.expires_at <= now {
            return RefreshStanding::Expired;
        }
        match (self.rotated_at, self.successor.as_deref()) {
            (Some(at), Some(successor)) => RefreshStanding::Rotated { at, successor },
            // Rotated without a successor cannot be written; if a row says
            // so, it is used up all the same.
            (Some(at), None) => RefreshStanding::Rotated { at, successor: "" },
            (None, _) => RefreshStanding::Current,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> RefreshRecord {
        RefreshRecord {
            jti: "a".into(),
            session_id: "s".into(),
            user_id: 1,
            issued_at: 100,
            expires_at: 200,
            rotated_at: None,
            successor: None,
            session_expires_at: 300,
            session_revoked_at: None,
        }
    }

    #[test]
    fn a_fresh_record_is_current_until_it_expires() {
        let record = record();
        assert_eq!(record.standing(199), RefreshStanding::Current);
        assert_eq!(record.standing(200), RefreshStanding::Expired);
    }

    #[test]
    fn the_session_s_end_caps_the_token() {
        let record = RefreshRecord {
            session_expires_at: 150,
            ..record()
        };
        assert_eq!(record.standing(149), RefreshStanding::Current);
        assert_eq!(record.standing(150), RefreshStanding::Expired);
    }

    #[test]
    fn a_rotated_record_names_its_successor() {
        let record = RefreshRecord {
            rotated_at: Some(120),
            successor: Some("b".into()),
            ..record()
        };
        assert_eq!(
            record.standing(130),
            RefreshStanding::Rotated {
                at: 120,
                successor: "b"
            }
        );
        assert_eq!(record.standing(250), RefreshStanding::Expired);
    }

    #[test]
    fn revocation_outranks_everything() {
        let record = RefreshRecord {
            rotated_at: Some(120),
            successor: Some("b".into()),
            session_revoked_at: Some(125),
            ..record()
        };
        assert_eq!(record.standing(130), RefreshStanding::Revoked);
        assert_eq!(record.standing(10_000), RefreshStanding::Revoked);
    }
}
