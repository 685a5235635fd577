//! The command line: `tessera` serves; subcommands manage users and tokens.

use std::io::BufRead;

use clap::{Args, Parser, Subcommand};
use tessera::{AuthError, Tessera};

#[derive(Parser, Debug)]
#[command(
    name = "tessera",
    version,
    about = "JSON Web Token authentication server"
)]
pub struct Cli {
    #[command(flatten)]
    pub config: crate::Config,

    #[command(flatten)]
    pub http: crate::config::HttpConfig,

    /// Log lines as text, or as one JSON object per line.
    #[arg(
        long,
        env = "TESSERA_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: crate::telemetry::LogFormat,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the web app and the API (the default).
    Serve,
    #[command(flatten)]
    Admin(AdminCommand),
}

/// The commands that change the database and exit.
#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage refresh tokens.
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// List signing keys: id, algorithm, state, when created, when it signs
    /// from, when it was replaced and until when it verifies.
    List,
    /// Add a new signing key: published at once, signing after
    /// `--key-publication-delay`; the keys it replaces keep verifying until
    /// every token they signed can have expired. Running servers pick it up
    /// within two seconds.
    Rotate {
        /// Algorithm of the new key; by default that of the newest key.
        #[arg(long, value_name = "ALGORITHM")]
        to: Option<tessera::SigningAlgorithm>,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user (ids start at 1, in creation order).
    Add {
        #[command(flatten)]
        password: PasswordArgs,
        /// Make them staff: they may use the admin API and console.
        #[arg(long)]
        staff: bool,
        /// Make them a superuser (staff who may also make or unmake staff).
        #[arg(long)]
        superuser: bool,
        /// Their email address: where password-reset links go.
        #[arg(long, value_name = "ADDRESS")]
        email: Option<String>,
    },
    /// Change a user's staff flags; the change reaches every running
    /// server at once.
    Set {
        username: String,
        /// Staff or not.
        #[arg(long, value_name = "true|false", action = clap::ArgAction::Set)]
        staff: Option<bool>,
        /// Superuser or not.
        #[arg(long, value_name = "true|false", action = clap::ArgAction::Set)]
        superuser: Option<bool>,
    },
    /// Set a user's password; all their sessions are logged out.
    Passwd(PasswordArgs),
    /// Stop a user from logging in; all their sessions are logged out.
    Deactivate { username: String },
    /// Let a deactivated user log in again.
    Activate { username: String },
    /// List users.
    List,
    /// Two-step sign-in of a user.
    #[command(subcommand)]
    Mfa(MfaCommand),
    /// Import users from Django (`manage.py dumpdata auth.user`) or a CSV of
    /// `username,password_hash[,is_active]`. Django's pbkdf2_sha256,
    /// argon2, bcrypt_sha256 and bcrypt hashes keep working (replaced by
    /// argon2id at each user's first login); other formats and unusable
    /// passwords import as accounts that cannot log in until `user passwd`.
    /// Ids are kept where free; names already present are left as they
    /// are, so importing a file twice changes nothing.
    Import {
        /// The file, or `-` for standard input.
        file: std::path::PathBuf,
        /// What the file holds.
        #[arg(long, value_enum, default_value = "json")]
        format: ImportFileFormat,
    },
}

#[derive(Subcommand, Debug)]
pub enum MfaCommand {
    /// Turn two-step sign-in off for a user who lost both the
    /// authenticator app and the recovery codes; every session of theirs
    /// is logged out. They sign in with the password alone, and may set
    /// up an app again.
    Reset { username: String },
}

/// `--format` of `user import`.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum ImportFileFormat {
    /// Django's `dumpdata` JSON.
    Json,
    /// `username,password_hash[,is_active]`, optional header line.
    Csv,
}

#[derive(Args, Debug)]
pub struct PasswordArgs {
    pub username: String,
    /// Read the password from the first line of standard input instead of
    /// prompting (for scripts).
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Subcommand, Debug)]
pub enum TokensCommand {
    /// Delete expired refresh tokens and sessions (the server also does
    /// this every hour).
    Flush,
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Auth(#[from] AuthError),
    #[error("could not read the password: {0}")]
    Input(#[from] std::io::Error),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Keys(#[from] tessera::KeyError),
    #[error("could not read {path}: {source}")]
    ReadFile {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}; nothing was imported")]
    Import {
        path: String,
        source: tessera::import::ImportError,
    },
}

/// Runs a user, key or token subcommand and prints its outcome.
pub async fn run_admin(tessera: &Tessera, command: AdminCommand) -> Result<(), CliError> {
    match command {
        AdminCommand::User(UserCommand::Add {
            password,
            staff,
            superuser,
            email,
        }) => add_user(tessera, &password, staff, superuser, email.as_deref()).await,
        AdminCommand::User(UserCommand::Set {
            username,
            staff,
            superuser,
        }) => set_flags(tessera, &username, staff, superuser).await,
        AdminCommand::User(UserCommand::Passwd(args)) => set_password(tessera, &args).await,
        AdminCommand::User(UserCommand::Deactivate { username }) => {
            set_active(tessera, &username, false).await
        }
        AdminCommand::User(UserCommand::Activate { username }) => {
            set_active(tessera, &username, true).await
        }
        AdminCommand::User(UserCommand::List) => list_users(tessera).await,
        AdminCommand::User(UserCommand::Mfa(MfaCommand::Reset { username })) => {
            reset_two_step(tessera, &username).await
        }
        AdminCommand::User(UserCommand::Import { file, format }) => {
            import_users(tessera, &file, format).await
        }
        AdminCommand::Keys(KeysCommand::List) => list_keys(tessera).await,
        AdminCommand::Keys(KeysCommand::Rotate { to }) => rotate_key(tessera, to).await,
        AdminCommand::Tokens(TokensCommand::Flush) => flush_tokens(tessera).await,
    }
}

/// `tessera user add NAME [--staff] [--superuser]`
async fn add_user(
    tessera: &Tessera,
    args: &PasswordArgs,
    staff: bool,
    superuser: bool,
    email: Option<&str>,
) -> Result<(), CliError> {
    let username = checked_username(&args.username)?;
    let password = read_password(args, tessera)?;
    let email = email.unwrap_or_default().trim();
    let id = tessera
        .accounts
        .create_user_with_email(username, &password, email)
        .await
        .map_err(|error| match error {
            AuthError::UsernameTaken => {
                CliError::Usage(format!("a user named {username:?} already exists"))
            }
            AuthError::InvalidEmail => {
                CliError::Usage(format!("{email:?} is not a valid email address"))
            }
            other => other.into(),
        })?;
    if staff || superuser {
        // A superuser is staff too, as `createsuperuser` makes them.
        tessera
            .accounts
            .set_staff(username, Some(true), superuser.then_some(true))
            .await?;
    }
    let role = match (staff, superuser) {
        (_, true) => " (superuser)",
        (true, false) => " (staff)",
        _ => "",
    };
    println!("created user {username:?} with id {id}{role}");
    Ok(())
}

/// `tessera user set NAME [--staff true|false] [--superuser true|false]`
async fn set_flags(
    tessera: &Tessera,
    username: &str,
    staff: Option<bool>,
    superuser: Option<bool>,
) -> Result<(), CliError> {
    if staff.is_none() && superuser.is_none() {
        return Err(CliError::Usage(
            "nothing to set: give --staff true|false and/or --superuser true|false".into(),
        ));
    }
    tessera
        .accounts
        .set_staff(username, staff, superuser)
        .await
        .map_err(|error| no_such_user(error, username))?;
    println!("{username:?} updated");
    Ok(())
}

/// `tessera user passwd NAME`
async fn set_password(tessera: &Tessera, args: &PasswordArgs) -> Result<(), CliError> {
    let password = read_password(args, tessera)?;
    tessera
        .accounts
        .set_password(&args.username, &password)
        .await
        .map_err(|error| no_such_user(error, &args.username))?;
    println!(
        "password of {:?} changed; their sessions are logged out",
        args.username
    );
    Ok(())
}

/// `tessera user activate|deactivate NAME`
async fn set_active(tessera: &Tessera, username: &str, active: bool) -> Result<(), CliError> {
    tessera
        .accounts
        .set_active(username, active)
        .await
        .map_err(|error| no_such_user(error, username))?;
    if active {
        println!("{username:?} activated");
    } else {
        println!("{username:?} deactivated; their sessions are logged out");
    }
    Ok(())
}

/// `tessera user mfa reset NAME`
async fn reset_two_step(tessera: &Tessera, username: &str) -> Result<(), CliError> {
    match tessera.two_step.reset(username).await {
        Ok(()) => {
            println!("two-step login of {username:?} turned off; their sessions are logged out");
            Ok(())
        }
        Err(AuthError::TwoStepNotOn) => Err(CliError::Usage(format!(
            "{username:?} does not have two-step login on; nothing changed"
        ))),
        Err(error) => Err(no_such_user(error, username)),
    }
}

/// `tessera user list`
async fn list_users(tessera: &Tessera) -> Result<(), CliError> {
    println!(
        "{:>6}  {:<24} {:<8} {:<10} last login",
        "id", "username", "active", "role"
    );
    for user in tessera.accounts.list_users().await? {
        let last_login = user
            .last_login
            .map_or_else(|| "never".to_owned(), |at| format!("{at} (unix)"));
        let role = match (user.is_staff, user.is_superuser) {
            (_, true) => "superuser",
            (true, false) => "staff",
            _ => "-",
        };
        println!(
            "{:>6}  {:<24} {:<8} {:<10} {}",
            user.id,
            user.username,
            if user.is_active { "yes" } else { "no" },
            role,
            last_login
        );
    }
    Ok(())
}

/// `tessera user import FILE [--format json|csv]` (`-`: standard input)
async fn import_users(
    tessera: &Tessera,
    file: &std::path::Path,
    format: ImportFileFormat,
) -> Result<(), CliError> {
    let path = file.display().to_string();
    let data = if path == "-" {
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut data).map(|_| data)
    } else {
        std::fs::read(file)
    }
    .map_err(|source| CliError::ReadFile {
        path: path.clone(),
        source,
    })?;
    let format = match format {
        ImportFileFormat::Json => tessera::import::ImportFormat::DjangoJson,
        ImportFileFormat::Csv => tessera::import::ImportFormat::Csv,
    };
    let parsed = tessera::import::parse(format, &data)
        .map_err(|source| CliError::Import { path, source })?;
    let report = tessera.accounts.import_users(&parsed.users).await?;
    println!("{report}");
    if parsed.other_records > 0 {
        println!("left {} record(s) of other models", parsed.other_records);
    }
    Ok(())
}

/// `tessera keys list`
async fn list_keys(tessera: &Tessera) -> Result<(), CliError> {
    let now = unix_now();
    println!(
        "{:<45} {:<6} {:<9} {:<14} {:<14} {:<14} verifies until",
        "kid", "alg", "state", "created", "signs from", "retired at"
    );
    let at = |time: Option<i64>| time.map_or_else(|| "-".to_owned(), |t| relative(t, now));
    for key in tessera.keys.list().await? {
        println!(
            "{:<45} {:<6} {:<9} {:<14} {:<14} {:<14} {}",
            key.kid,
            key.algorithm,
            key.state.as_str(),
            at(Some(key.created_at)),
            at(Some(key.signs_from)),
            at(key.retired_at),
            at(key.verifies_until),
        );
    }
    Ok(())
}

/// `tessera keys rotate [--to ALG]`
async fn rotate_key(
    tessera: &Tessera,
    to: Option<tessera::SigningAlgorithm>,
) -> Result<(), CliError> {
    match tessera.keys.rotate(to).await? {
        Some(key) => println!(
            "added {} key {}: published now, signing from {}",
            key.algorithm,
            key.kid,
            relative(key.signs_from, unix_now())
        ),
        None => println!("another process rotated the key at the same moment; nothing added"),
    }
    Ok(())
}

/// `tessera tokens flush`
async fn flush_tokens(tessera: &Tessera) -> Result<(), CliError> {
    let deleted = tessera
        .upkeep
        .flush_expired()
        .await
        .map_err(AuthError::from)?;
    println!("deleted {deleted} expired refresh token(s)");
    Ok(())
}

fn unix_now() -> i64 {
    use tessera::Clock as _;
    tessera::SystemClock.now()
}

/// `1733050000 (in 8s)`, `1733040000 (2h ago)`: exact and readable.
fn relative(time: i64, now: i64) -> String {
    let span = |secs: i64| match secs {
        0..=119 => format!("{secs}s"),
        120..=7199 => format!("{}m", secs / 60),
        7200..=172_799 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86_400),
    };
    if time > now {
        format!("{time} (in {})", span(time - now))
    } else if time == 0 {
        "0 (always)".to_owned()
    } else {
        format!("{time} ({} ago)", span(now - time))
    }
}

fn no_such_user(error: AuthError, username: &str) -> CliError {
    match error {
        AuthError::NoSuchUser => CliError::Usage(format!("no user named {username:?}")),
        other => other.into(),
    }
}

fn checked_username(username: &str) -> Result<&str, CliError> {
    let trimmed = username.trim();
    if !tessera::is_valid_username(trimmed) {
        return Err(CliError::Usage(AuthError::InvalidUsername.to_string()));
    }
    Ok(trimmed)
}

fn read_password(args: &PasswordArgs, tessera: &Tessera) -> Result<String, CliError> {
    let password = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\n', '\r']).to_owned()
    } else {
        let first = rpassword::prompt_password(format!("Password for {}: ", args.username))?;
        let again = rpassword::prompt_password("Password (again): ")?;
        if first != again {
            return Err(CliError::Usage("the passwords do not match".into()));
        }
        first
    };
    if password.is_empty() {
        return Err(CliError::Usage("the password may not be empty".into()));
    }
    // Django's createsuperuser warns about a weak password and goes on; so
    // do we. Over the byte cap is refused below, by the core.
    if let Err(AuthError::PasswordTooShort(length)) = tessera.policy().check_new_password(&password)
    {
        eprintln!("warning: this password is shorter than {length} characters");
    }
    Ok(password)
}
