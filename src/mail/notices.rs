//! Security notices: a mail to the account's own address when something
//! happens that only its owner should do, so that a stranger's doing does
//! not go unnoticed. Queued in the transaction of the change itself (a
//! password changed is never left unannounced), and only when the account
//! has an address it may be mailed at (verified, or verification off) and
//! `--security-notices` is on: the password changed or reset, a login from
//! a device the account was not used from before, the address replaced,
//! two-step login turned on or off, a recovery code used.

use super::compose::html_body;
use super::OutgoingMail;
use crate::core::{Client, Core};
use crate::error::AuthError;
use crate::store::{EmailAccount, PasswordAccount, User};

/// How a password came to change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PasswordEvent {
    /// From a signed-in session (the current password given).
    Changed,
    /// With a link from a reset mail.
    Reset,
}

/// The notice of a login from a device (browser and system, as the
/// session list names it) that the account has not logged in from before,
/// as far as the audit log remembers; none for an account's first login.
pub(crate) async fn new_device(
    core: &Core,
    user: &User,
    client: Client<'_>,
    now: i64,
) -> Result<Option<OutgoingMail>, AuthError> {
    if !core.security_notices || !core.may_mail(&user.email, user.email_verified) {
        return Ok(None);
    }
    let device = crate::sessions::device::label(client.user_agent);
    if core.store.signed_in_from(user.id, &device).await? != Some(false) {
        return Ok(None);
    }
    let site = core.public_url.host();
    let from = match client.address {
        Some(address) => format!("{device}, address {address}"),
        None => device,
    };
    let what = format!(
        "Someone logged in to the account {} on {site}, on {}, from a device it was \
         not used from before: {from}.",
        user.username,
        spoken_time(now)
    );
    let if_you = "If it was you, there is nothing to do.";
    let not_you = "If it was not you, someone knows your password: choose a new one \
                   with this link at once (every session is then logged out).";
    let link = core.public_url.link("/forgot-password");
    let text = format!("{what}\n\n{if_you}\n\n{not_you}\n{link}\n");
    let html = html_body(
        &[&what, if_you, not_you],
        ("Reset the password", &link),
        &[],
    );
    Ok(Some(OutgoingMail::new(
        &user.email,
        format!("New login to your account on {site}"),
        text,
        html,
        site,
    )))
}

/// Whom a notice goes to.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Recipient<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub verified: bool,
}

impl<'a> Recipient<'a> {
    pub fn of(user: &'a User) -> Self {
        Self {
            username: &user.username,
            email: &user.email,
            verified: user.email_verified,
        }
    }
}

/// What happened to two-step login.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TwoStepEvent {
    TurnedOn,
    TurnedOff,
    /// Turned off by an operator (`tessera user mfa reset`).
    Reset,
    RecoveryCodeUsed,
}

/// The notice of a change to two-step login, if one is to be sent.
pub(crate) fn two_step_changed(
    core: &Core,
    to: Recipient<'_>,
    what: TwoStepEvent,
    client: Client<'_>,
    now: i64,
) -> Option<OutgoingMail> {
    if !core.security_notices || !core.may_mail(to.email, to.verified) {
        return None;
    }
    let site = core.public_url.host();
    let when = spoken_time(now);
    let from = seen_from(client);
    let account = to.username;
    let (subject, what) = match what {
        TwoStepEvent::TurnedOn => (
            format!("Two-step login was turned on for your account on {site}"),
            format!(
                "Two-step login was turned on for the account {account} on {site}, on \
                 {when} ({from}): logging in now takes a code from an authenticator app \
                 after the password. Every other session was logged out."
            ),
        ),
        TwoStepEvent::TurnedOff => (
            format!("Two-step login was turned off for your account on {site}"),
            format!(
                "Two-step login was turned off for the account {account} on {site}, on \
                 {when} ({from}): the password alone logs in now. Every other session \
                 was logged out."
            ),
        ),
        TwoStepEvent::Reset => (
            format!("Two-step login was turned off for your account on {site}"),
            format!(
                "An administrator turned two-step login off for the account {account} \
                 on {site}, on {when}: the password alone logs in now. Every session was \
                 logged out."
            ),
        ),
        TwoStepEvent::RecoveryCodeUsed => (
            format!("A recovery code was used to log in to your account on {site}"),
            format!(
                "Someone logged in to the account {account} on {site} with a recovery \
                 code instead of the authenticator app's code, on {when} ({from}). That \
                 code no longer works. Every other session was logged out."
            ),
        ),
    };
    let not_you = "If it was not you, someone knows your password and can pass the second \
                   step: choose a new password with this link at once, and tell the site's \
                   administrators.";
    let link = core.public_url.link("/forgot-password");
    let text = format!("{what}\n\n{not_you}\n{link}\n");
    let html = html_body(&[&what, not_you], ("Reset the password", &link), &[]);
    Some(OutgoingMail::new(to.email, subject, text, html, site))
}

/// What happened to an account's passkeys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PasskeyEvent {
    Added,
    Removed,
}

/// The notice that a passkey named `name` was added or removed, if one
/// is to be sent.
pub(crate) fn passkeys_changed(
    core: &Core,
    to: Recipient<'_>,
    what: PasskeyEvent,
    name: &str,
    client: Client<'_>,
    now: i64,
) -> Option<OutgoingMail> {
    if !core.security_notices || !core.may_mail(to.email, to.verified) {
        return None;
    }
    let site = core.public_url.host();
    let when = spoken_time(now);
    let from = seen_from(client);
    let account = to.username;
    let (subject, what, not_you) = match what {
        PasskeyEvent::Added => (
            format!("A passkey was added to your account on {site}"),
            format!(
                "A passkey named \u{201c}{name}\u{201d} was added to the account {account} \
                 on {site}, on {when} ({from}): it logs in without the password. Every \
                 other session was logged out."
            ),
            "If it was not you, someone was logged in to your account and can now log \
             in with that passkey: remove it on your account page, choose a new password \
             with this link, and tell the site's administrators.",
        ),
        PasskeyEvent::Removed => (
            format!("A passkey was removed from your account on {site}"),
            format!(
                "The passkey named \u{201c}{name}\u{201d} was removed from the account \
                 {account} on {site}, on {when} ({from}): it no longer logs in. Every \
                 other session was logged out."
            ),
            "If it was not you, someone was logged in to your account: choose a new \
             password with this link at once, and tell the site's administrators.",
        ),
    };
    let link = core.public_url.link("/forgot-password");
    let text = format!("{what}\n\n{not_you}\n{link}\n");
    let html = html_body(&[&what, not_you], ("Reset the password", &link), &[]);
    Some(OutgoingMail::new(to.email, subject, text, html, site))
}

/// The device and address of a client, as notices name them.
fn seen_from(client: Client<'_>) -> String {
    let device = crate::sessions::device::label(client.user_agent);
    match client.address {
        Some(address) => format!("{device}, address {address}"),
        None => device,
    }
}

/// `2026-12-03 09:05:04 UTC`.
fn spoken_time(now: i64) -> String {
    crate::core::iso8601::format_utc(now)
        .replace('T', " ")
        .replace('Z', " UTC")
}

/// The notice that `account`'s password changed, if one is to be sent.
pub(crate) fn password_changed(
    core: &Core,
    account: &PasswordAccount,
    how: PasswordEvent,
    client: Client<'_>,
    now: i64,
) -> Option<OutgoingMail> {
    if !core.security_notices || !core.may_mail(&account.email, account.email_verified) {
        return None;
    }
    let site = core.public_url.host();
    let when = spoken_time(now);
    let from = seen_from(client);
    let how = match how {
        PasswordEvent::Changed => "was changed",
        PasswordEvent::Reset => "was reset with a link sent to this address",
    };
    let what = format!(
        "The password of the account {} on {site} {how}, on {when} ({from}).",
        account.username
    );
    let ended = "Every session of the account was logged out.";
    let not_you = "If it was not you, someone else knows how to log in as you: \
                   choose a new password with this link at once, and tell the \
                   site's administrators.";
    let link = core.public_url.link("/forgot-password");
    let text = format!("{what}\n\n{ended}\n\n{not_you}\n{link}\n");
    let html = html_body(&[&what, ended, not_you], ("Reset the password", &link), &[]);
    Some(OutgoingMail::new(
        &account.email,
        format!("Your password on {site} was changed"),
        text,
        html,
        site,
    ))
}

/// The notice to an account's old address that `new_address` replaced it
/// (the caller checked that the old one may be mailed). The new address is
/// shown masked: whoever reads the old mailbox learns that it changed, not
/// where to.
pub(crate) fn address_changed(
    core: &Core,
    account: &EmailAccount,
    new_address: &str,
    client: Client<'_>,
    now: i64,
) -> Option<OutgoingMail> {
    if !core.security_notices {
        return None;
    }
    let site = core.public_url.host();
    let from = seen_from(client);
    let to = if new_address.is_empty() {
        "no address".to_owned()
    } else {
        masked(new_address)
    };
    let what = format!(
        "The email address of the account {} on {site} was changed from this one to {to}, \
         on {} ({from}). Mail about the account no longer comes here.",
        account.username,
        spoken_time(now)
    );
    let not_you = "If it was not you, someone else can log in as you: choose a new \
                   password with this link at once, and tell the site's administrators.";
    let link = core.public_url.link("/forgot-password");
    let text = format!("{what}\n\n{not_you}\n{link}\n");
    let html = html_body(&[&what, not_you], ("Reset the password", &link), &[]);
    Some(OutgoingMail::new(
        &account.email,
        format!("Your email address on {site} was changed"),
        text,
        html,
        site,
    ))
}

/// `ana@example.com` → `a***@example.com` (ASCII: it reads the same in
/// every mail client).
fn masked(address: &str) -> String {
    match address.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}
