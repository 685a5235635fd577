//! Verified addresses, with django-allauth's three modes
//! (`ACCOUNT_EMAIL_VERIFICATION`): `none` (addresses are taken as given),
//! `optional` (a link is mailed; sign-in does not wait for it) and
//! `mandatory` (no session until the address is verified).
//!
//! A link proves that its reader reads the address: `/verify-email/<key>`,
//! the key `<uid>-<issued>-<mac>` (the user id as in reset links, then a
//! stamp over the id and the address, see [`LinkStamps`](super::reset_token::LinkStamps)). Nothing is
//! stored: a key works while the account still waits for that address and
//! for `--email-verification-timeout`; using it ends the wait, so it works
//! once.
//!
//! A new address does not replace a verified one until it is verified
//! itself (a typo never loses the address that works), and the old address
//! is told when it is replaced. Password-reset links and security notices
//! go to verified addresses only, unless verification is `none`.

use super::password_reset::{admit_mail_request, same_address};
use super::reset_token::decode_uid;
use super::verification_mode::EmailVerification;
use super::Accounts;
use crate::audit::{AuditEvent, AuditKind};
use crate::core::{Client, Core};
use crate::error::AuthError;
use crate::mail::compose::html_body;
use crate::mail::{notices, OutgoingMail};
use crate::store::{EmailAccount, EmailState};

/// The account a key names, and the rest of the key.
fn split_key(key: &str) -> Option<(i64, &str)> {
    let (uid, stamp) = key.split_once('-')?;
    Some((decode_uid(uid)?, stamp))
}

/// An account's address as its owner sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailStatus {
    /// `""`: none.
    pub email: String,
    pub verified: bool,
    /// A new address waiting for verification (`""`: none).
    pub pending: String,
}

impl From<EmailAccount> for EmailStatus {
    fn from(account: EmailAccount) -> Self {
        Self {
            email: account.email,
            verified: account.email_verified,
            pending: account.email_pending,
        }
    }
}

impl Core {
    /// Whether mail about the account (reset links, security notices) may
    /// go to its address: verified, or verification is off.
    pub(crate) fn may_mail(&self, email: &str, verified: bool) -> bool {
        !email.is_empty() && (verified || self.email_verification == EmailVerification::None)
    }

    /// The mail with a link that verifies `address` for the account, when
    /// verification is on.
    pub(crate) fn verification_mail(
        &self,
        id: i64,
        username: &str,
        address: &str,
        now: i64,
    ) -> Option<OutgoingMail> {
        if self.email_verification == EmailVerification::None || address.is_empty() {
            return None;
        }
        let site = self.public_url.host();
        let link = self.public_url.link(&format!(
            "/verify-email/{}",
            self.verification_keys.make(id, address, now)
        ));
        let valid_for = super::password_reset::spoken_duration(self.verification_timeout);
        let what = format!(
            "This address was given for the account {username} on {site}. \
             To confirm that it is yours, open this link within {valid_for}:"
        );
        let ignore = "If you did not ask for this, ignore this mail: nothing changes, \
                      and the link stops working on its own.";
        let text = format!("{what}\n{link}\n\n{ignore}\n");
        let html = html_body(&[&what], ("Confirm the address", &link), &[ignore]);
        Some(OutgoingMail::new(
            address,
            format!("Confirm your email address on {site}"),
            text,
            html,
            site,
        ))
    }
}

impl Accounts {
    /// `POST /api/registration/verify-email/`: the address the key names
    /// becomes the account's verified address (replacing the old one, which
    /// is told). A key that does not prove what the account waits for now is
    /// [`AuthError::InvalidVerificationKey`].
    pub async fn verify_email(&self, key: &str, client: Client<'_>) -> Result<(), AuthError> {
        let core = &*self.core;
        let (id, stamp) = split_key(key).ok_or(AuthError::InvalidVerificationKey)?;
        let account = core
            .store
            .email_account(id)
            .await?
            .ok_or(AuthError::InvalidVerificationKey)?;
        let address = account
            .address_to_verify()
            .ok_or(AuthError::InvalidVerificationKey)?;
        let now = core.now();
        if !core
            .verification_keys
            .proves(stamp, id, address, now, core.verification_timeout)
        {
            return Err(AuthError::InvalidVerificationKey);
        }
        let replaces = !account.email_pending.is_empty();
        let notice = if replaces && core.may_mail(&account.email, account.email_verified) {
            notices::address_changed(core, &account, address, client, now)
        } else {
            None
        };
        let event = AuditEvent::new(AuditKind::EmailVerified, now)
            .user(id)
            .username(&account.username)
            .seen_from(client)
            .detail(if replaces {
                "the new address replaced the old one"
            } else {
                "the account's address"
            });
        let verified = EmailState {
            email: address,
            verified: true,
            pending: "",
        };
        // `false`: the address changed, or the same link was used at the
        // same moment: the key proves nothing any more.
        if !core
            .store
            .replace_email(
                id,
                account.state(),
                verified,
                notice.as_slice(),
                std::slice::from_ref(&event),
                now,
            )
            .await?
        {
            return Err(AuthError::InvalidVerificationKey);
        }
        crate::audit::emitted(&[event]);
        if notice.is_some() {
            core.postman.wake();
        }
        Ok(())
    }

    /// `POST /api/registration/resend-email/`: a new link to every active
    /// account waiting for `email` to be verified. The answer never tells
    /// whether one does (the same words and work either way); throttled
    /// with password-reset requests, per address and per client.
    pub async fn resend_verification(
        &self,
        email: &str,
        client: Client<'_>,
    ) -> Result<(), AuthError> {
        let core = &*self.core;
        let now = core.now();
        admit_mail_request(core, email, client, now).await?;
        let accounts = if core.email_verification == EmailVerification::None {
            Vec::new()
        } else {
            core.store.accounts_awaiting_verification(email).await?
        };
        let sent = AuditEvent::new(AuditKind::EmailVerificationSent, now).seen_from(client);
        let (mails, mut events): (Vec<OutgoingMail>, Vec<AuditEvent>) = accounts
            .iter()
            .filter_map(|account| {
                let address = account
                    .address_to_verify()
                    .filter(|address| same_address(address, email))?;
                let mail = core.verification_mail(account.id, &account.username, address, now)?;
                let event = sent
                    .clone()
                    .user(account.id)
                    .username(&account.username)
                    .detail("sent again on request");
                Some((mail, event))
            })
            .unzip();
        if events.is_empty() {
            // The same write as for a known address; staff see someone
            // trying addresses (never which ones).
            events.push(sent.detail("no account waits for this address"));
        }
        core.store.queue_mail(&mails, &events, now).await?;
        crate::audit::emitted(&events);
        core.postman.wake();
        Ok(())
    }

    /// The caller's address and its verification.
    pub async fn email_status(&self, user_id: i64) -> Result<EmailStatus, AuthError> {
        Ok(self
            .core
            .store
            .email_account(user_id)
            .await?
            .ok_or(AuthError::UserNotFound)?
            .into())
    }

    /// The owner gives a new address (`""`: none). With verification on, a
    /// link goes to it; a verified address stays the account's until the new
    /// one is verified. Giving the current address again cancels a change
    /// that waits. Without verification the address changes at once and the
    /// old one is told.
    pub async fn change_email(
        &self,
        user_id: i64,
        email: &str,
        client: Client<'_>,
    ) -> Result<EmailStatus, AuthError> {
        let core = &*self.core;
        let mode = core.email_verification;
        if email.is_empty() && mode == EmailVerification::Mandatory {
            return Err(AuthError::EmailRequired);
        }
        if !email.is_empty() && !crate::is_valid_email(email) {
            return Err(AuthError::InvalidEmail);
        }
        // Two tries: a verification or another change may commit between
        // the read and the write (compare-and-set); the second read sees it.
        for _ in 0..2 {
            let account = core
                .store
                .email_account(user_id)
                .await?
                .ok_or(AuthError::UserNotFound)?;
            let now = core.now();
            let change = planned_change(mode, &account, email);
            let Some(after) = change.after else {
                return Ok(account.into());
            };
            let mut mails = Vec::new();
            if let Some(address) = change.to_verify {
                mails.extend(core.verification_mail(user_id, &account.username, address, now));
            }
            if change.replaces_at_once && core.may_mail(&account.email, account.email_verified) {
                mails.extend(notices::address_changed(
                    core,
                    &account,
                    after.email,
                    client,
                    now,
                ));
            }
            let event = AuditEvent::new(AuditKind::EmailChanged, now)
                .user(user_id)
                .username(&account.username)
                .seen_from(client)
                .detail(change.detail);
            if core
                .store
                .replace_email(
                    user_id,
                    account.state(),
                    after,
                    &mails,
                    std::slice::from_ref(&event),
                    now,
                )
                .await?
            {
                crate::audit::emitted(&[event]);
                if !mails.is_empty() {
                    core.postman.wake();
                }
                return Ok(EmailStatus {
                    email: after.email.to_owned(),
                    verified: after.verified,
                    pending: after.pending.to_owned(),
                });
            }
        }
        Err(AuthError::Busy)
    }
}

/// What giving `email` does to `account`'s address.
struct PlannedChange<'a> {
    /// The columns after it; `None`: nothing changes.
    after: Option<EmailState<'a>>,
    /// The address a link goes to.
    to_verify: Option<&'a str>,
    /// The address in place is replaced now (its owner is told).
    replaces_at_once: bool,
    /// For the audit log (never the addresses).
    detail: &'static str,
}

fn planned_change<'a>(
    mode: EmailVerification,
    account: &'a EmailAccount,
    email: &'a str,
) -> PlannedChange<'a> {
    let unchanged = PlannedChange {
        after: None,
        to_verify: None,
        replaces_at_once: false,
        detail: "",
    };
    if email == account.email {
        if account.email_pending.is_empty() {
            return unchanged;
        }
        // The change that waits is called off.
        return PlannedChange {
            after: Some(EmailState {
                pending: "",
                ..account.state()
            }),
            detail: "the change waiting for verification was called off",
            ..unchanged
        };
    }
    if email == account.email_pending {
        return unchanged;
    }
    let in_place = EmailState {
        email,
        verified: false,
        pending: "",
    };
    if mode == EmailVerification::None || email.is_empty() {
        return PlannedChange {
            after: Some(in_place),
            replaces_at_once: !account.email.is_empty(),
            detail: if email.is_empty() {
                "address removed"
            } else {
                "address replaced"
            },
            ..unchanged
        };
    }
    if account.email_verified && !account.email.is_empty() {
        return PlannedChange {
            after: Some(EmailState {
                pending: email,
                ..account.state()
            }),
            to_verify: Some(email),
            detail: "new address waiting for verification",
            ..unchanged
        };
    }
    // Nothing verified to keep: the new address takes the old one's place,
    // waiting for verification.
    PlannedChange {
        after: Some(in_place),
        to_verify: Some(email),
        detail: "address replaced, waiting for verification",
        ..unchanged
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::reset_token::LinkStamps;
    use crate::accounts::verification_keys::VerificationKeys;

    fn account(email: &str, verified: bool, pending: &str) -> EmailAccount {
        EmailAccount {
            id: 7,
            username: "ana".into(),
            email: email.into(),
            email_verified: verified,
            email_pending: pending.into(),
            is_active: true,
        }
    }

    #[test]
    fn a_key_proves_one_address_of_one_account_until_it_expires() {
        let keys = VerificationKeys::new(b"secret", []);
        let key = keys.make(7, "ana@example.com", 1_000_000);
        let (id, stamp) = split_key(&key).unwrap();
        assert_eq!(id, 7);
        assert!(keys.proves(stamp, 7, "ana@example.com", 1_000_000, 3600));
        assert!(!keys.proves(stamp, 7, "ana@example.com", 1_003_600, 3600));
        assert!(!keys.proves(stamp, 8, "ana@example.com", 1_000_000, 3600));
        assert!(!keys.proves(stamp, 7, "ana@example.org", 1_000_000, 3600));
        // A reset link's key never verifies an address.
        let other = VerificationKeys(LinkStamps::new(
            b"tessera password-reset link v1",
            b"secret",
            [],
        ));
        assert!(!other.proves(stamp, 7, "ana@example.com", 1_000_000, 3600));
    }

    #[test]
    fn malformed_keys_name_no_account() {
        for bad in ["", "-", "MQ", "!-1-ab", "MDE-abc"] {
            assert!(split_key(bad)
                .is_none_or(|(_, stamp)| !VerificationKeys::new(b"secret", [])
                    .proves(stamp, 1, "a@b.c", 0, 10)));
        }
    }

    #[test]
    fn a_verified_address_stays_until_the_new_one_is_verified() {
        let verified = account("old@example.com", true, "");
        let change = planned_change(EmailVerification::Optional, &verified, "new@example.com");
        let after = change.after.unwrap();
        assert_eq!(
            (after.email, after.verified, after.pending),
            ("old@example.com", true, "new@example.com")
        );
        assert_eq!(change.to_verify, Some("new@example.com"));
        assert!(!change.replaces_at_once);
    }

    #[test]
    fn an_unverified_address_is_replaced_at_once() {
        let unverified = account("typo@example.con", false, "");
        let change = planned_change(EmailVerification::Mandatory, &unverified, "ana@example.com");
        let after = change.after.unwrap();
        assert_eq!(
            (after.email, after.verified, after.pending),
            ("ana@example.com", false, "")
        );
        assert_eq!(change.to_verify, Some("ana@example.com"));
    }

    #[test]
    fn without_verification_the_address_changes_at_once_and_the_old_one_is_told() {
        let current = account("old@example.com", false, "");
        let change = planned_change(EmailVerification::None, &current, "new@example.com");
        assert_eq!(change.after.unwrap().email, "new@example.com");
        assert_eq!(change.to_verify, None);
        assert!(change.replaces_at_once);
    }

    #[test]
    fn the_same_address_again_changes_nothing_or_calls_off_the_wait() {
        let current = account("old@example.com", true, "");
        assert!(
            planned_change(EmailVerification::Optional, &current, "old@example.com")
                .after
                .is_none()
        );
        let waiting = account("old@example.com", true, "new@example.com");
        assert!(
            planned_change(EmailVerification::Optional, &waiting, "new@example.com")
                .after
                .is_none()
        );
        let called_off = planned_change(EmailVerification::Optional, &waiting, "old@example.com");
        assert_eq!(called_off.after.unwrap().pending, "");
    }

    #[test]
    fn modes_have_allauths_names() {
        for name in EmailVerification::NAMES {
            assert_eq!(name.parse::<EmailVerification>().unwrap().as_str(), name);
        }
        assert!("required".parse::<EmailVerification>().is_err());
    }
}
