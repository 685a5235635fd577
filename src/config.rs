//! Every setting, as a flag and as an environment variable (`--help` lists them).

use crate::duration::HumanDuration;
use clap::Args;

/// The settings shared by the server and the command line.
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
}

impl Config {
    /// The defaults, as if no flag and no variable were given (tests start here).
    pub fn defaults_with_database(database_url: impl Into<String>) -> Self {
        #[derive(clap::Parser)]
        struct Only {
            #[command(flatten)]
            config: Config,
        }
        let mut config = <Only as clap::Parser>::parse_from(["tessera"]).config;
        config.database_url = database_url.into();
        config
    }
}
