//! Every setting, as a flag and as an environment variable (`--help` lists
//! them), turned into the core's plain [`tessera::Settings`].

use clap::Args;

use crate::comma_list::CommaList;
use crate::duration::HumanDuration;

/// The settings shared by the server and the admin commands.
#[derive(Args, Clone, Debug)]
pub struct Config {
    /// Database URL: `sqlite://path/to/file.db` (file and folder are created) or
    /// `postgres://user@host/db` (several server instances can share it).
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/tessera.db")]
    pub database_url: String,

    /// HMAC key that signs tokens (at least 32 bytes). When unset, 64 random bytes
    /// are generated on first start and kept in `data/secret.key`.
    #[arg(long, env = "TESSERA_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,

    /// Where the generated key lives when `--secret-key` is not given.
    #[arg(
        long,
        env = "TESSERA_SECRET_KEY_FILE",
        default_value = "data/secret.key"
    )]
    pub secret_key_file: std::path::PathBuf,

    /// Earlier secret keys (comma-separated): HMAC tokens they signed still
    /// verify, and keys sealed under them still open, while they are listed.
    #[arg(
        long,
        env = "TESSERA_PREVIOUS_SECRET_KEYS",
        default_value = "",
        hide_default_value = true,
        hide_env_values = true
    )]
    pub previous_secret_keys: CommaList<String>,

    /// Algorithm that signs new tokens: HS256 (simplejwt's), HS384, HS512 with
    /// the secret key; RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384 or
    /// EdDSA with a key generated and stored in the database, its public half
    /// published at `/.well-known/jwks.json`. Changing it rotates to a new key.
    #[arg(long, env = "TESSERA_ALGORITHM", default_value = "HS256")]
    pub algorithm: tessera::SigningAlgorithm,

    /// How long a new asymmetric key is published before it signs, so that
    /// verifiers caching the JWK set know it first.
    #[arg(long, env = "TESSERA_KEY_PUBLICATION_DELAY", default_value = "10s")]
    pub key_publication_delay: HumanDuration,

    /// Rotate the signing key automatically this often (e.g. `30d`); off when unset.
    #[arg(long, env = "TESSERA_KEY_ROTATION_INTERVAL")]
    pub key_rotation_interval: Option<HumanDuration>,

    /// Lifetime of an access token.
    #[arg(long, env = "TESSERA_ACCESS_TOKEN_LIFETIME", default_value = "5m")]
    pub access_token_lifetime: HumanDuration,

    /// Lifetime of a refresh token (each rotation issues a new one, capped by the session).
    #[arg(long, env = "TESSERA_REFRESH_TOKEN_LIFETIME", default_value = "24h")]
    pub refresh_token_lifetime: HumanDuration,

    /// Absolute lifetime of one login across all its rotations.
    #[arg(long, env = "TESSERA_SESSION_LIFETIME", default_value = "7d")]
    pub session_lifetime: HumanDuration,

    /// Clock skew tolerated when checking `exp`.
    #[arg(long, env = "TESSERA_LEEWAY", default_value = "0s")]
    pub leeway: HumanDuration,

    /// `iss` claim to set and require.
    #[arg(long, env = "TESSERA_ISSUER")]
    pub issuer: Option<String>,

    /// `aud` claim to set and require.
    #[arg(long, env = "TESSERA_AUDIENCE")]
    pub audience: Option<String>,

    /// Issue a new refresh token on every refresh and retire the old one.
    #[arg(long, env = "TESSERA_ROTATE_REFRESH_TOKENS", default_value_t = true, action = clap::ArgAction::Set)]
    pub rotate_refresh_tokens: bool,

    /// Window after a rotation in which the retired refresh token may be replayed
    /// (a retry after a lost response) and yields the same successor.
    #[arg(long, env = "TESSERA_ROTATION_OVERLAP", default_value = "0s")]
    pub rotation_overlap: HumanDuration,

    /// Let anyone create an account from the UI.
    #[arg(long, env = "TESSERA_ALLOW_SIGNUP", default_value_t = false, action = clap::ArgAction::Set)]
    pub allow_signup: bool,

    /// Shortest password sign-up accepts (the CLI, run by an operator, accepts any).
    #[arg(long, env = "TESSERA_MIN_PASSWORD_LENGTH", default_value_t = 8)]
    pub min_password_length: usize,

    /// Most password hashes computed at once (each takes 19 MiB and one core).
    /// Defaults to the number of cores.
    #[arg(long, env = "TESSERA_MAX_CONCURRENT_HASHES")]
    pub max_concurrent_hashes: Option<usize>,

    /// Password hashes that may wait for a hasher; past that, logins are
    /// answered 503 with `Retry-After` at once.
    #[arg(long, env = "TESSERA_MAX_QUEUED_HASHES", default_value_t = tessera::Settings::default().max_queued_hashes)]
    pub max_queued_hashes: usize,

    /// PostgreSQL: refresh-token rotations are written in batches, this many
    /// at once, each on a connection of its own; more suit a database with
    /// more cores. SQLite always writes one batch at a time.
    #[arg(long, env = "TESSERA_POSTGRES_ROTATION_WRITERS", default_value_t = 2,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub postgres_rotation_writers: u16,

    /// Failed logins of one username before it has to wait; each further
    /// failure doubles the wait, from one second.
    #[arg(long, env = "TESSERA_LOGIN_FREE_FAILURES", default_value_t = tessera::ThrottleRules::default().free_failures)]
    pub login_free_failures: i64,

    /// The longest wait a username's failures can cause.
    #[arg(long, env = "TESSERA_LOGIN_MAX_WAIT", default_value = "15m")]
    pub login_max_wait: HumanDuration,

    /// Failed logins one client address may make per window, whatever the names.
    #[arg(long, env = "TESSERA_LOGIN_ADDRESS_FAILURES", default_value_t = tessera::ThrottleRules::default().address_failures)]
    pub login_address_failures: i64,

    /// The window of `--login-address-failures` and `--signup-address-attempts`.
    #[arg(long, env = "TESSERA_LOGIN_ADDRESS_WINDOW", default_value = "5m")]
    pub login_address_window: HumanDuration,

    /// Sign-ups (made or refused) one client address may attempt per window:
    /// each costs a password hash and tells whether a name is taken.
    #[arg(long, env = "TESSERA_SIGNUP_ADDRESS_ATTEMPTS", default_value_t = tessera::ThrottleRules::default().signup_attempts)]
    pub signup_address_attempts: i64,

    /// Proxies (comma-separated IP addresses) whose forwarding header (see
    /// --forwarded-header) names the client; from anyone else it is ignored.
    #[arg(
        long,
        env = "TESSERA_TRUSTED_PROXIES",
        default_value = "",
        hide_default_value = true
    )]
    pub trusted_proxies: CommaList<std::net::IpAddr>,

    /// The header the trusted proxies name the client in: `x-forwarded-for`
    /// (nginx, HAProxy, most load balancers) or `forwarded` (RFC 7239). The
    /// other one is ignored: a client may have written it.
    #[arg(
        long,
        env = "TESSERA_FORWARDED_HEADER",
        default_value = "x-forwarded-for"
    )]
    pub forwarded_header: tessera::ForwardedHeader,

    /// Accept access tokens without a session: those a simplejwt site signed
    /// with the same secret (or one of --previous-secret-keys), while its
    /// users move over. Off, they are "Token is invalid". Turn it off again
    /// once the old site's longest token lifetime has passed.
    #[arg(long, env = "TESSERA_ACCEPT_FOREIGN_TOKENS", default_value_t = false, action = clap::ArgAction::Set)]
    pub accept_foreign_tokens: bool,

    /// How long security events (logins, failures, session ends, password
    /// changes, …) stay in the audit log before they are purged.
    #[arg(long, env = "TESSERA_AUDIT_RETENTION", default_value = "90d")]
    pub audit_retention: HumanDuration,

    /// IPv6 clients share every per-address budget (login throttling) with
    /// their network of this many bits: one host is routinely given a /64.
    #[arg(long, env = "TESSERA_IPV6_PREFIX", default_value_t = 64,
          value_parser = clap::value_parser!(u8).range(32..=128))]
    pub ipv6_prefix: u8,

    /// Longest time without reading the change log (revocations made by other
    /// instances and the CLI) before access tokens are answered 503 and
    /// `/healthz` turns 503: never accept a token that may have been revoked.
    #[arg(long, env = "TESSERA_MAX_SYNC_LAG", default_value = "10s")]
    pub max_sync_lag: HumanDuration,

    /// The origin people reach the app at (e.g. `https://auth.example.com`):
    /// links in mails point there. Defaults to `http://` and the address
    /// the server listens on, right for `make run` only.
    #[arg(long, env = "TESSERA_PUBLIC_URL")]
    pub public_url: Option<tessera::PublicUrl>,

    /// The passkeys' relying-party id: the domain passkeys are made for,
    /// --public-url's host or a parent domain of it (`example.com` for
    /// `https://auth.example.com`). Defaults to --public-url's host;
    /// passkeys are off when that is an IP address (WebAuthn needs a
    /// domain: for local use, `--public-url http://localhost:3000`).
    /// Changing it later orphans every passkey registered.
    #[arg(long, env = "TESSERA_WEBAUTHN_RP_ID")]
    pub webauthn_rp_id: Option<String>,

    /// Sender-constrained tokens (DPoP, RFC 9449): `off` (proofs ignored),
    /// `optional` (a client that sends a `DPoP` proof gets tokens bound to
    /// its key; one that does not is answered as without DPoP) or
    /// `required` (every token bound; Bearer tokens refused).
    #[arg(long, env = "TESSERA_DPOP", default_value = "optional")]
    pub dpop: tessera::DpopMode,

    /// How far a DPoP proof's `iat` may be from the server's clock, each
    /// way; each proof is accepted once within it, on any instance.
    #[arg(long, env = "TESSERA_DPOP_PROOF_WINDOW", default_value = "60s")]
    pub dpop_proof_window: HumanDuration,

    /// Ask DPoP clients for a server nonce in their proofs (answered with
    /// `use_dpop_nonce` and a `DPoP-Nonce` header until they send it):
    /// proofs cannot be made ahead of time, and wrong client clocks stop
    /// mattering. Nonces need no shared state between instances.
    #[arg(long, env = "TESSERA_DPOP_NONCE", default_value_t = false, action = clap::ArgAction::Set)]
    pub dpop_nonce: bool,

    /// The SMTP server mail goes to: `smtp://host:25`,
    /// `smtp://user:password@host:587?tls=required` (STARTTLS) or
    /// `smtps://user:password@host:465`. Unset: each mail is written to
    /// --email-file-dir and its text logged (for development).
    #[arg(long, env = "TESSERA_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// Certificate authorities (a PEM file) to trust for the SMTP server's
    /// TLS certificate, beside the system's (a company's own CA).
    #[arg(long, env = "TESSERA_SMTP_CA_FILE")]
    pub smtp_ca_file: Option<std::path::PathBuf>,

    /// The sender of every mail: an address, or `Name <address>`.
    #[arg(
        long,
        env = "TESSERA_EMAIL_FROM",
        default_value = "Tessera <noreply@localhost>"
    )]
    pub email_from: String,

    /// Where mails are written as `.eml` files when no --smtp-url is given.
    #[arg(long, env = "TESSERA_EMAIL_FILE_DIR", default_value = "data/outbox")]
    pub email_file_dir: std::path::PathBuf,

    /// How long a password-reset link works (it also dies once used, and
    /// when the password changes).
    #[arg(long, env = "TESSERA_PASSWORD_RESET_TIMEOUT", default_value = "1h")]
    pub password_reset_timeout: HumanDuration,

    /// Password-reset requests for one email address per
    /// --password-reset-window; more are answered 429, known address or not.
    #[arg(long, env = "TESSERA_PASSWORD_RESET_EMAIL_REQUESTS", default_value_t = tessera::ThrottleRules::default().reset_email_requests)]
    pub password_reset_email_requests: i64,

    /// Password-reset requests one client address may make per
    /// --password-reset-window, whatever the email addresses.
    #[arg(long, env = "TESSERA_PASSWORD_RESET_CLIENT_REQUESTS", default_value_t = tessera::ThrottleRules::default().reset_client_requests)]
    pub password_reset_client_requests: i64,

    /// The window of the two password-reset budgets.
    #[arg(long, env = "TESSERA_PASSWORD_RESET_WINDOW", default_value = "1h")]
    pub password_reset_window: HumanDuration,

    /// Mail an account's own address when its password is changed or reset,
    /// or it signs in from a device it was not used from before (accounts
    /// without an address get nothing).
    #[arg(long, env = "TESSERA_SECURITY_NOTICES", default_value_t = true, action = clap::ArgAction::Set)]
    pub security_notices: bool,

    /// Verify addresses with a mailed link (django-allauth's modes): `none`
    /// (taken as given), `optional` (a link is sent, sign-in does not wait)
    /// or `mandatory` (sign-up needs an address, sign-in waits for its
    /// link). Reset links and notices go to verified addresses only, unless
    /// `none`.
    #[arg(long, env = "TESSERA_EMAIL_VERIFICATION", default_value = "optional")]
    pub email_verification: tessera::EmailVerification,

    /// How long a verification link works (it also dies once used, and
    /// when the address it verifies is no longer the one waiting).
    #[arg(long, env = "TESSERA_EMAIL_VERIFICATION_TIMEOUT", default_value = "3d")]
    pub email_verification_timeout: HumanDuration,

    /// Users whose state (active, revocations) is held in memory at most,
    /// the most recently seen (at most about 90 bytes each); a token of any other
    /// user costs one database read, then it is held too.
    #[arg(long, env = "TESSERA_CACHED_USERS", default_value_t = tessera::Settings::default().cached_users)]
    pub cached_users: usize,
}

/// Settings of the HTTP server itself (not the core's).
#[derive(Args, Clone, Debug)]
pub struct HttpConfig {
    /// The site is served over HTTPS (directly or behind a TLS proxy): send
    /// `Strict-Transport-Security` so browsers never use plain HTTP again.
    #[arg(long, env = "TESSERA_HSTS", default_value_t = false, action = clap::ArgAction::Set)]
    pub hsts: bool,

    /// Largest request body any route accepts, in bytes (server functions
    /// included); larger ones are answered 413 before they are read.
    #[arg(long, env = "TESSERA_MAX_BODY_BYTES", default_value_t = 64 * 1024)]
    pub max_body_bytes: usize,

    /// A client must send a request's headers within this time, and an idle
    /// keep-alive connection is closed after it.
    #[arg(long, env = "TESSERA_HEADER_READ_TIMEOUT", default_value = "10s")]
    pub header_read_timeout: HumanDuration,

    /// Longest a request with a body may take to be read and answered
    /// (408 after it); requests without a body cannot trickle and carry no timer.
    #[arg(long, env = "TESSERA_REQUEST_TIMEOUT", default_value = "30s")]
    pub request_timeout: HumanDuration,

    /// Origins (comma-separated, e.g. `https://app.example.com`) whose
    /// browser apps may call the API: CORS answers for exactly these, without
    /// credentials. Empty (the default): no CORS headers at all.
    #[arg(
        long,
        env = "TESSERA_CORS_ALLOWED_ORIGINS",
        default_value = "",
        hide_default_value = true
    )]
    pub cors_allowed_origins: CommaList<crate::middleware::cors::AllowedOrigin>,

    /// Serve Prometheus metrics at `http://ADDR/metrics` (e.g.
    /// `127.0.0.1:9100`), apart from the API; off when unset.
    #[arg(long, env = "TESSERA_METRICS_ADDR")]
    pub metrics_addr: Option<std::net::SocketAddr>,

    /// Serve HTTPS (HTTP/2 and HTTP/1.1) with this PEM certificate chain,
    /// leaf first; needs `--tls-key`. Unset: plain HTTP.
    #[arg(
        long,
        env = "TESSERA_TLS_CERT",
        requires = "tls_key",
        value_name = "PEM"
    )]
    pub tls_cert: Option<std::path::PathBuf>,

    /// The PEM private key (PKCS#8, PKCS#1 or SEC1) of `--tls-cert`.
    #[arg(
        long,
        env = "TESSERA_TLS_KEY",
        requires = "tls_cert",
        value_name = "PEM"
    )]
    pub tls_key: Option<std::path::PathBuf>,

    /// How often the certificate and key files are checked for a change
    /// (then reloaded; SIGHUP reloads at once). `0s`: on SIGHUP only.
    #[arg(long, env = "TESSERA_TLS_WATCH_INTERVAL", default_value = "5s")]
    pub tls_watch_interval: HumanDuration,
}

impl HttpConfig {
    /// The certificate files, when HTTPS is on.
    pub fn tls_files(&self) -> Option<crate::tls::TlsFiles> {
        Some(crate::tls::TlsFiles {
            cert: self.tls_cert.clone()?,
            key: self.tls_key.clone()?,
        })
    }
}

impl Default for HttpConfig {
    /// The flags' defaults.
    fn default() -> Self {
        Self {
            hsts: false,
            max_body_bytes: 64 * 1024,
            header_read_timeout: HumanDuration::from_secs(10),
            request_timeout: HumanDuration::from_secs(30),
            cors_allowed_origins: CommaList::default(),
            metrics_addr: None,
            tls_cert: None,
            tls_key: None,
            tls_watch_interval: HumanDuration::from_secs(5),
        }
    }
}

impl Config {
    /// What the core is configured with.
    pub fn settings(&self) -> tessera::Settings {
        tessera::Settings {
            secret_key: self.secret_key.clone(),
            secret_key_file: self.secret_key_file.clone(),
            previous_secret_keys: self.previous_secret_keys.0.clone(),
            algorithm: self.algorithm,
            key_publication_delay: self.key_publication_delay.0,
            key_rotation_interval: self.key_rotation_interval.map(|interval| interval.0),
            // A server adopts it; `main` turns it off for admin commands.
            adopt_signing_key: true,
            access_token_lifetime: self.access_token_lifetime.0,
            refresh_token_lifetime: self.refresh_token_lifetime.0,
            session_lifetime: self.session_lifetime.0,
            leeway: self.leeway.0,
            issuer: self.issuer.clone(),
            audience: self.audience.clone(),
            rotate_refresh_tokens: self.rotate_refresh_tokens,
            rotation_overlap: self.rotation_overlap.0,
            allow_signup: self.allow_signup,
            min_password_length: self.min_password_length,
            max_concurrent_hashes: self.max_concurrent_hashes,
            max_queued_hashes: self.max_queued_hashes,
            postgres_rotation_writers: usize::from(self.postgres_rotation_writers),
            throttle: tessera::ThrottleRules {
                free_failures: self.login_free_failures,
                max_wait: self.login_max_wait.as_secs(),
                address_failures: self.login_address_failures,
                address_window: self.login_address_window.as_secs(),
                signup_attempts: self.signup_address_attempts,
                reset_email_requests: self.password_reset_email_requests,
                reset_client_requests: self.password_reset_client_requests,
                reset_window: self.password_reset_window.as_secs(),
            },
            trusted_proxies: self.trusted_proxies.0.clone(),
            forwarded_header: self.forwarded_header,
            ipv6_prefix: self.ipv6_prefix,
            accept_foreign_tokens: self.accept_foreign_tokens,
            max_sync_lag: self.max_sync_lag.0,
            cached_users: self.cached_users,
            audit_retention: self.audit_retention.0,
            public_url: self.public_url.clone().unwrap_or_default(),
            webauthn_rp_id: self.webauthn_rp_id.clone(),
            dpop: tessera::DpopSettings {
                mode: self.dpop,
                proof_window: self.dpop_proof_window.0,
                nonce: self.dpop_nonce,
                htu_from_public_url: self.public_url.is_some(),
            },
            mail: tessera::MailSettings {
                smtp_url: self.smtp_url.clone(),
                from: self.email_from.clone(),
                file_dir: self.email_file_dir.clone(),
                smtp_ca_file: self.smtp_ca_file.clone(),
            },
            password_reset_timeout: self.password_reset_timeout.0,
            security_notices: self.security_notices,
            email_verification: self.email_verification,
            email_verification_timeout: self.email_verification_timeout.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(clap::Parser)]
    struct Only {
        #[command(flatten)]
        config: Config,
    }

    #[derive(clap::Parser)]
    struct OnlyHttp {
        #[command(flatten)]
        http: HttpConfig,
    }

    #[test]
    fn the_http_flags_defaults_are_httpconfigs_defaults() {
        let parsed = <OnlyHttp as clap::Parser>::try_parse_from(["tessera"])
            .unwrap()
            .http;
        let default = HttpConfig::default();
        assert_eq!(
            (
                parsed.hsts,
                parsed.max_body_bytes,
                parsed.header_read_timeout,
                parsed.request_timeout,
                parsed.cors_allowed_origins,
                parsed.metrics_addr
            ),
            (
                default.hsts,
                default.max_body_bytes,
                default.header_read_timeout,
                default.request_timeout,
                default.cors_allowed_origins,
                default.metrics_addr
            )
        );
    }

    #[test]
    fn an_empty_list_setting_means_none() {
        // As `TESSERA_CORS_ALLOWED_ORIGINS=` in a compose file would give it.
        let http =
            <OnlyHttp as clap::Parser>::try_parse_from(["tessera", "--cors-allowed-origins", ""])
                .unwrap()
                .http;
        assert!(http.cors_allowed_origins.0.is_empty());
        let config = <Only as clap::Parser>::try_parse_from([
            "tessera",
            "--trusted-proxies=",
            "--previous-secret-keys=",
        ])
        .unwrap()
        .config;
        assert!(config.trusted_proxies.0.is_empty() && config.previous_secret_keys.0.is_empty());
        let two = <OnlyHttp as clap::Parser>::try_parse_from([
            "tessera",
            "--cors-allowed-origins",
            "https://a.example, http://localhost:5173",
        ])
        .unwrap()
        .http;
        assert_eq!(two.cors_allowed_origins.0.len(), 2);
    }

    #[test]
    fn the_flags_defaults_are_the_cores_defaults() {
        let parsed = <Only as clap::Parser>::try_parse_from(["tessera"])
            .unwrap()
            .config
            .settings();
        let core = tessera::Settings::default();
        assert_eq!(parsed.policy(), core.policy());
        assert_eq!(parsed.secret_key_file, core.secret_key_file);
        assert_eq!(parsed.leeway, core.leeway);
        assert_eq!(
            (parsed.secret_key, parsed.issuer, parsed.audience),
            (None, None, None)
        );
        assert_eq!(parsed.max_concurrent_hashes, core.max_concurrent_hashes);
        assert_eq!(parsed.max_queued_hashes, core.max_queued_hashes);
        assert_eq!(
            parsed.postgres_rotation_writers,
            core.postgres_rotation_writers
        );
        assert_eq!(parsed.throttle, core.throttle);
        assert_eq!(parsed.trusted_proxies, core.trusted_proxies);
        assert_eq!(parsed.max_sync_lag, core.max_sync_lag);
        assert_eq!(parsed.forwarded_header, core.forwarded_header);
        assert_eq!(parsed.ipv6_prefix, core.ipv6_prefix);
        assert_eq!(parsed.cached_users, core.cached_users);
        assert_eq!(parsed.previous_secret_keys, core.previous_secret_keys);
        assert_eq!(parsed.algorithm, core.algorithm);
        assert_eq!(parsed.key_publication_delay, core.key_publication_delay);
        assert_eq!(parsed.key_rotation_interval, core.key_rotation_interval);
        assert_eq!(parsed.public_url, core.public_url);
        assert_eq!(parsed.password_reset_timeout, core.password_reset_timeout);
        assert_eq!(parsed.security_notices, core.security_notices);
        assert_eq!(parsed.dpop, core.dpop);
        assert_eq!(
            (parsed.mail.smtp_url, parsed.mail.from, parsed.mail.file_dir),
            (core.mail.smtp_url, core.mail.from, core.mail.file_dir)
        );
    }
}
