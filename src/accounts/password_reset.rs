//! "Forgot password?": a request names an address, and every active
//! account with a usable password at that address gets a mail with a link
//! (see [`super::reset_token`]); the link sets a new password and ends every
//! session of the account, on every instance.
//!
//! The answer to a request never tells whether the address belongs to
//! anyone: the same words, and the same work (a throttle count and one
//! write: the mails, or only the audit event), either way. Mails are only
//! queued in the request; the sender delivers them.

use sha2::{Digest, Sha256};

use super::reset_token::{decode_uid, encode_uid};
use super::Accounts;
use crate::audit::{AuditEvent, AuditKind};
use crate::core::caller::address_block;
use crate::core::throttle::ThrottleKey;
use crate::core::{Client, Core};
use crate::error::AuthError;
use crate::mail::compose::html_body;
use crate::mail::notices::{self, PasswordEvent};
use crate::mail::OutgoingMail;
use crate::store::{PasswordAccount, PasswordSwap};

/// A new password, typed twice (dj-rest-auth's `new_password1` and
/// `new_password2`).
#[derive(Clone, Copy, Debug)]
pub struct NewPassword<'a> {
    pub password: &'a str,
    pub confirmation: &'a str,
}

impl Accounts {
    /// Queues a reset mail for each active account with a usable password
    /// whose address is `email` (in any case). Refused only for an address
    /// that cannot be one, or when throttled: per address, and per client.
    pub async fn request_password_reset(
        &self,
        email: &str,
        client: Client<'_>,
    ) -> Result<(), AuthError> {
        let core = &*self.core;
        let now = core.now();
        admit_mail_request(core, email, client, now).await?;
        let accounts: Vec<PasswordAccount> = core
            .store
            .active_accounts_with_email(email)
            .await?
            .into_iter()
            // Django's rules: the address in any case (Unicode's, which
            // SQLite's LOWER does not know), and no mail for an account
            // that has no password to reset ("!…", e.g. SSO-only). And
            // allauth's: only to an address its owner verified.
            .filter(|account| same_address(&account.email, email))
            .filter(|account| !account.password_hash.starts_with('!'))
            .filter(|account| core.may_mail(&account.email, account.email_verified))
            .collect();
        let requested = AuditEvent::new(AuditKind::PasswordResetRequested, now).seen_from(client);
        if accounts.is_empty() {
            // Recorded too: the same write as for a known address, and
            // staff see someone trying addresses (never which ones).
            let event = requested.detail("no account to send a link to");
            core.store
                .queue_mail(&[], std::slice::from_ref(&event), now)
                .await?;
            crate::audit::emitted(&[event]);
            return Ok(());
        }
        let links = accounts
            .into_iter()
            .map(|account| {
                let event = requested.clone().detail("link sent by mail");
                (account, event)
            })
            .collect::<Vec<_>>();
        mail_reset_links(core, &links, now).await
    }

    /// Sets the password of the account a reset link names, checked in
    /// dj-rest-auth's order: the uid, the two passwords (equal, and
    /// following the password rules), then the token. Every session of the
    /// account ends, here and on every other instance. Returns the account's
    /// username.
    pub async fn confirm_password_reset(
        &self,
        uid: &str,
        token: &str,
        new: NewPassword<'_>,
        client: Client<'_>,
    ) -> Result<String, AuthError> {
        let core = &*self.core;
        let account = match decode_uid(uid) {
            Some(id) => core.store.password_account(id).await?,
            None => None,
        }
        .ok_or(AuthError::InvalidResetUid)?;
        if new.password != new.confirmation {
            return Err(AuthError::PasswordsDiffer);
        }
        core.policy.check_password_of(
            new.confirmation,
            &[
                ("username", &account.username),
                ("email address", &account.email),
            ],
        )?;
        let now = core.now();
        if !core
            .reset_tokens
            .check(token, &account, now, core.reset_timeout)
        {
            return Err(AuthError::InvalidResetToken);
        }
        let new_hash = core.hasher.hash(new.password).await?;
        let event = AuditEvent::new(AuditKind::PasswordReset, now)
            .user(account.id)
            .username(&account.username)
            .seen_from(client);
        let notice = notices::password_changed(core, &account, PasswordEvent::Reset, client, now);
        let swap = PasswordSwap {
            verified_hash: &account.password_hash,
            new_hash: &new_hash,
            notices: notice.as_slice(),
        };
        // `None`: the password changed since the token was checked (the
        // same link used twice at once, another change): the token is dead.
        core.swap_password(account.id, swap, event, now)
            .await?
            .ok_or(AuthError::InvalidResetToken)?;
        Ok(account.username)
    }

    /// Whether a reset link is still good, to tell the person before they
    /// type a new password.
    pub async fn reset_link_is_valid(&self, uid: &str, token: &str) -> Result<bool, AuthError> {
        let core = &*self.core;
        let Some(id) = decode_uid(uid) else {
            return Ok(false);
        };
        Ok(match core.store.password_account(id).await? {
            Some(account) => {
                core.reset_tokens
                    .check(token, &account, core.now(), core.reset_timeout)
            }
            None => false,
        })
    }
}

/// Queues a reset mail for each account, with its audit event (the
/// account's id and name are filled in), in one transaction.
pub(crate) async fn mail_reset_links(
    core: &Core,
    links: &[(PasswordAccount, AuditEvent)],
    now: i64,
) -> Result<(), AuthError> {
    let (mails, events): (Vec<OutgoingMail>, Vec<AuditEvent>) = links
        .iter()
        .map(|(account, event)| {
            let event = event.clone().user(account.id).username(&account.username);
            (reset_mail(core, account, now), event)
        })
        .unzip();
    core.store.queue_mail(&mails, &events, now).await?;
    crate::audit::emitted(&events);
    core.postman.wake();
    Ok(())
}

/// Admits a request that mails an address (a reset link, a verification
/// link sent again): refused for an address that cannot be one, else
/// counted against that address's budget and the client's, refused when
/// either is spent.
pub(crate) async fn admit_mail_request(
    core: &Core,
    email: &str,
    client: Client<'_>,
    now: i64,
) -> Result<(), AuthError> {
    if !crate::is_valid_email(email) {
        return Err(AuthError::InvalidEmail);
    }
    let mut keys = vec![ThrottleKey::ResetEmail(address_digest(email))];
    if let Some(address) = client.address {
        keys.push(ThrottleKey::ResetClient(address_block(
            address,
            core.ipv6_prefix,
        )));
    }
    match core
        .store
        .count_login_attempt(&keys, &core.throttle, now)
        .await?
    {
        Ok(_) => Ok(()),
        Err(throttled) => Err(AuthError::Throttled {
            retry_after: throttled.retry_after,
        }),
    }
}

/// Whether two addresses are one in Django's sense: equal in any case
/// (Unicode's case folding, which SQLite's `LOWER` does not know).
pub(crate) fn same_address(stored: &str, asked: &str) -> bool {
    stored.to_lowercase() == asked.to_lowercase()
}

/// The throttle key of an address: a digest of it in lower case, so the
/// throttle table holds no addresses.
fn address_digest(email: &str) -> String {
    crate::core::hex::encode(&Sha256::digest(email.to_lowercase().as_bytes()))
}

/// The mail with the link, in the words of the site's host.
fn reset_mail(core: &Core, account: &PasswordAccount, now: i64) -> OutgoingMail {
    let site = core.public_url.host();
    let link = core.public_url.link(&format!(
        "/reset-password/{}/{}",
        encode_uid(account.id),
        core.reset_tokens.make(account, now)
    ));
    let valid_for = spoken_duration(core.reset_timeout);
    let greeting = format!(
        "Someone asked to reset the password of the account {} on {site}.",
        account.username
    );
    let instruction = format!("To choose a new password, open this link within {valid_for}:");
    let ignore = "If it was not you, ignore this mail: your password stays as it is, \
                  and the link stops working on its own.";
    let signed_in = "Setting a new password signs the account out everywhere.";
    let text = format!("{greeting}\n\n{instruction}\n{link}\n\n{signed_in}\n\n{ignore}\n");
    let html = html_body(
        &[&greeting, &instruction],
        ("Choose a new password", &link),
        &[signed_in, ignore],
    );
    OutgoingMail::new(
        &account.email,
        format!("Reset your password on {site}"),
        text,
        html,
        site,
    )
}

/// "1 hour", "3 days", "90 minutes": a whole number of the largest unit
/// that divides it.
pub(crate) fn spoken_duration(secs: i64) -> String {
    let (count, unit) = [(86_400, "day"), (3_600, "hour"), (60, "minute")]
        .into_iter()
        .find(|(unit_secs, _)| secs >= *unit_secs && secs % unit_secs == 0)
        .map_or((secs, "second"), |(unit_secs, unit)| {
            (secs / unit_secs, unit)
        });
    if count == 1 {
        format!("1 {unit}")
    } else {
        format!("{count} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_spoken_in_their_largest_whole_unit() {
        assert_eq!(spoken_duration(3600), "1 hour");
        assert_eq!(spoken_duration(3 * 86_400), "3 days");
        assert_eq!(spoken_duration(90 * 60), "90 minutes");
        assert_eq!(spoken_duration(45), "45 seconds");
    }

    #[test]
    fn address_digests_ignore_case() {
        assert_eq!(
            address_digest("Ana@Example.com"),
            address_digest("ana@example.com")
        );
        assert_ne!(
            address_digest("ana@example.com"),
            address_digest("ana@example.org")
        );
    }
}
