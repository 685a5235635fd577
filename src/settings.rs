//! What the core needs to know, as plain values. Reading them from flags and
//! environment variables is the binary's job (`tessera-server`'s `config`).

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::core::caller::ForwardedHeader;
use crate::core::public_url::PublicUrl;
use crate::core::throttle::ThrottleRules;
use crate::keys::SigningAlgorithm;

/// Every setting of the core, with the defaults the command line documents.
#[derive(Clone)]
pub struct Settings {
    /// HMAC key that signs tokens; `None`: generated once into `secret_key_file`.
    pub secret_key: Option<String>,
    pub secret_key_file: PathBuf,
    /// Earlier secrets: tokens they signed still verify (HMAC), keys sealed
    /// under them still open.
    pub previous_secret_keys: Vec<String>,
    /// The algorithm that signs new tokens.
    pub algorithm: SigningAlgorithm,
    /// How long a new asymmetric key is published before it signs.
    pub key_publication_delay: Duration,
    /// Rotate the signing key automatically this often.
    pub key_rotation_interval: Option<Duration>,
    /// On start, make `algorithm` (and, for HMAC, this secret) the signing
    /// key if the newest stored key is another: what a server does. Admin
    /// commands leave the keys as they find them.
    pub adopt_signing_key: bool,
    pub access_token_lifetime: Duration,
    /// Each rotation issues a new refresh token, capped by the session.
    pub refresh_token_lifetime: Duration,
    /// Absolute lifetime of one login across all its rotations.
    pub session_lifetime: Duration,
    /// Clock skew tolerated on `exp` and `nbf`.
    pub leeway: Duration,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub rotate_refresh_tokens: bool,
    /// How long a retired refresh token may be replayed for its successor.
    pub rotation_overlap: Duration,
    pub allow_signup: bool,
    pub min_password_length: usize,
    /// Password hashes computed at once; `None`: one per core.
    pub max_concurrent_hashes: Option<usize>,
    /// Password hashes waiting beyond those; more are refused as busy.
    pub max_queued_hashes: usize,
    /// PostgreSQL: rotation batches written at once, each on a connection
    /// of its own (SQLite has one writer).
    pub postgres_rotation_writers: usize,
    /// How many password guesses a username and an address get.
    pub throttle: ThrottleRules,
    /// Proxies whose forwarding header names the client.
    pub trusted_proxies: Vec<IpAddr>,
    /// The header those proxies write (`X-Forwarded-For` or `Forwarded`).
    pub forwarded_header: ForwardedHeader,
    /// IPv6 clients share per-address budgets with their network of this
    /// many bits (a host is routinely given a whole /64).
    pub ipv6_prefix: u8,
    /// Longest time without a successful read of the change log before
    /// access tokens are refused (503): past it, revocations made elsewhere
    /// may be unseen.
    pub max_sync_lag: Duration,
    /// Users whose state is held in memory at most (the most recently
    /// seen); any other is read from the database when needed.
    pub cached_users: usize,
    /// Accept access tokens without a session (`sid`): tokens a simplejwt
    /// site signed with the same secret, during a migration. Off: they are
    /// "Token is invalid".
    pub accept_foreign_tokens: bool,
    /// How long audit events are kept before the upkeep task purges them.
    pub audit_retention: Duration,
    /// The origin people reach the app at: links in mails point there.
    pub public_url: PublicUrl,
    /// The passkeys' relying-party id; `None`: the public URL's host
    /// (passkeys are off if that is an IP address).
    pub webauthn_rp_id: Option<String>,
    /// Sender-constrained tokens (DPoP).
    pub dpop: crate::dpop::DpopSettings,
    /// Where mail goes.
    pub mail: crate::mail::settings::MailSettings,
    /// How long a password-reset link works.
    pub password_reset_timeout: Duration,
    /// Mail an account's address when its password changes.
    pub security_notices: bool,
    /// Whether addresses are verified, and whether sign-in waits for it.
    pub email_verification: crate::accounts::verification_mode::EmailVerification,
    /// How long a verification link works.
    pub email_verification_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            secret_key: None,
            secret_key_file: PathBuf::from("data/secret.key"),
            previous_secret_keys: Vec::new(),
            algorithm: SigningAlgorithm::HS256,
            key_publication_delay: Duration::from_secs(10),
            key_rotation_interval: None,
            adopt_signing_key: true,
            access_token_lifetime: Duration::from_secs(5 * 60),
            refresh_token_lifetime: Duration::from_secs(24 * 3600),
            session_lifetime: Duration::from_secs(7 * 24 * 3600),
            leeway: Duration::ZERO,
            issuer: None,
            audience: None,
            rotate_refresh_tokens: true,
            rotation_overlap: Duration::ZERO,
            allow_signup: false,
            min_password_length: 8,
            max_concurrent_hashes: None,
            max_queued_hashes: crate::password::DEFAULT_QUEUE_LIMIT,
            postgres_rotation_writers: 2,
            throttle: ThrottleRules::default(),
            cached_users: crate::core::registry::DEFAULT_CACHED_USERS,
            trusted_proxies: Vec::new(),
            forwarded_header: ForwardedHeader::XForwardedFor,
            ipv6_prefix: 64,
            max_sync_lag: DEFAULT_MAX_SYNC_LAG,
            accept_foreign_tokens: false,
            audit_retention: Duration::from_secs(crate::audit::DEFAULT_RETENTION_SECS as u64),
            public_url: PublicUrl::default(),
            webauthn_rp_id: None,
            dpop: crate::dpop::DpopSettings::default(),
            mail: crate::mail::settings::MailSettings::default(),
            password_reset_timeout: DEFAULT_PASSWORD_RESET_TIMEOUT,
            security_notices: true,
            email_verification: crate::accounts::verification_mode::EmailVerification::Optional,
            email_verification_timeout: DEFAULT_EMAIL_VERIFICATION_TIMEOUT,
        }
    }
}

/// One hour: a link sits in a mailbox, and whoever reads that mailbox
/// later (a shared inbox, a compromised account, a forwarded mail) should
/// find it dead. Django's three days suit links nobody reads at once.
pub const DEFAULT_PASSWORD_RESET_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// Three days, django-allauth's `EMAIL_CONFIRMATION_EXPIRE_DAYS`: a
/// verification link proves the address, not the password, and a person
/// signing up reads it when they get to it.
pub const DEFAULT_EMAIL_VERIFICATION_TIMEOUT: Duration = Duration::from_secs(3 * 24 * 60 * 60);

/// Ten syncs missed in a row (one a second).
pub const DEFAULT_MAX_SYNC_LAG: Duration = Duration::from_secs(10);

/// Never prints the key.
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("secret_key", &self.secret_key.as_ref().map(|_| "<hidden>"))
            .field("secret_key_file", &self.secret_key_file)
            .field("previous_secret_keys", &self.previous_secret_keys.len())
            .field("algorithm", &self.algorithm)
            .field("key_publication_delay", &self.key_publication_delay)
            .field("key_rotation_interval", &self.key_rotation_interval)
            .field("policy", &self.policy())
            .field("leeway", &self.leeway)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("max_concurrent_hashes", &self.max_concurrent_hashes)
            .field("max_queued_hashes", &self.max_queued_hashes)
            .field("postgres_rotation_writers", &self.postgres_rotation_writers)
            .field("throttle", &self.throttle)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("forwarded_header", &self.forwarded_header)
            .field("ipv6_prefix", &self.ipv6_prefix)
            .field("max_sync_lag", &self.max_sync_lag)
            .field("accept_foreign_tokens", &self.accept_foreign_tokens)
            .field("audit_retention", &self.audit_retention)
            .field("public_url", &self.public_url)
            .field("webauthn_rp_id", &self.webauthn_rp_id)
            .field("dpop", &self.dpop)
            .field("mail", &self.mail)
            .field("password_reset_timeout", &self.password_reset_timeout)
            .field("security_notices", &self.security_notices)
            .field("email_verification", &self.email_verification)
            .field(
                "email_verification_timeout",
                &self.email_verification_timeout,
            )
            .finish()
    }
}

/// Token lifetimes and account rules, in whole seconds: what every
/// operation consults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    pub access_lifetime: i64,
    pub refresh_lifetime: i64,
    pub session_lifetime: i64,
    pub rotate_refresh_tokens: bool,
    pub rotation_overlap: i64,
    pub allow_signup: bool,
    pub min_password_length: usize,
}

impl Policy {
    /// The one password rule, for every way a password is chosen (sign-up,
    /// a password change, the CLI, the app's hint): at most
    /// [`crate::MAX_PASSWORD_BYTES`] bytes, at least `min_password_length`
    /// characters (characters, not bytes: `pässwörd` is eight).
    pub fn check_new_password(&self, password: &str) -> Result<(), crate::AuthError> {
        if password.len() > crate::password::MAX_PASSWORD_BYTES {
            return Err(crate::AuthError::PasswordTooLong);
        }
        if password.chars().count() < self.min_password_length {
            return Err(crate::AuthError::PasswordTooShort(self.min_password_length));
        }
        Ok(())
    }

    /// [`Self::check_new_password`], then Django's other default rules
    /// against the account's `attributes` (verbose name and value, e.g.
    /// `("username", "ada")`): not too like one of them, not digits only.
    pub fn check_password_of(
        &self,
        password: &str,
        attributes: &[(&'static str, &str)],
    ) -> Result<(), crate::AuthError> {
        self.check_new_password(password)?;
        crate::password::rules::check(password, attributes)
    }
}

impl Settings {
    pub fn policy(&self) -> Policy {
        let secs = |duration: Duration| i64::try_from(duration.as_secs()).unwrap_or(i64::MAX);
        Policy {
            access_lifetime: secs(self.access_token_lifetime),
            refresh_lifetime: secs(self.refresh_token_lifetime),
            session_lifetime: secs(self.session_lifetime),
            rotate_refresh_tokens: self.rotate_refresh_tokens,
            rotation_overlap: secs(self.rotation_overlap),
            allow_signup: self.allow_signup,
            min_password_length: self.min_password_length,
        }
    }

    /// How signing keys are chosen and rotated. A replaced key verifies for
    /// as long as a token it signed can live (no token outlives its session),
    /// plus the leeway and a minute of clock skew between instances.
    pub fn key_policy(&self) -> crate::keys::KeyPolicy {
        let secs = |duration: Duration| i64::try_from(duration.as_secs()).unwrap_or(i64::MAX);
        let policy = self.policy();
        let longest_token = policy
            .access_lifetime
            .max(policy.refresh_lifetime)
            .min(policy.session_lifetime);
        crate::keys::KeyPolicy {
            algorithm: self.algorithm,
            publication_delay: secs(self.key_publication_delay),
            rotation_interval: self.key_rotation_interval.map(secs),
            adopt_on_start: self.adopt_signing_key,
            verify_after_retirement: longest_token
                .saturating_add(secs(self.leeway))
                .saturating_add(crate::tokens::ISSUED_AT_SKEW_SECS)
                .saturating_add(60),
        }
    }
}
