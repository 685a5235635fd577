//! Test harness: the whole application on a real listener (port 0) against a
//! fresh database, spoken to over raw HTTP/1.1 so that tests can send exactly
//! the bytes a hostile client would.

#![allow(dead_code)]

pub mod certificates;
pub mod cli;
pub mod http;
pub mod postgres;
pub mod proxy;
pub mod schema;
pub mod smtp;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use leptos::prelude::LeptosOptions;
use serde_json::Value;
use tessera::{Clock, ManualClock, Settings, Store, Tessera};
use tessera_server::{router, AppState};

pub use http::Reply;

/// Runs each scenario (an `async fn(Engine)` of the calling file) once per
/// engine, as tests `sqlite::NAME` and `postgres::NAME`.
#[allow(unused_macros)] // not every test file runs on both engines
macro_rules! on_both_engines {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $scenario() { super::$scenario(super::Engine::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $scenario() { super::$scenario(super::Engine::Postgres).await })*
        }
    };
}
#[allow(unused_imports)]
pub(crate) use on_both_engines;

pub const SECRET: &str = "test-secret-key-that-is-long-enough-0123456789";

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub tessera: Tessera,
    pub settings: Settings,
    pub database_url: String,
    /// The server's clock: tests move it instead of sleeping.
    pub clock: Arc<ManualClock>,
    _database: Option<postgres::TempDatabase>,
    _dir: TempDir,
}

/// A folder removed when the test ends.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new() -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "tessera-test-{}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            random_name()
        ));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts the application on SQLite with default settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(Engine::Sqlite, |_| {}).await
}

/// Starts the application on `engine`, after `adjust` has changed the settings.
pub async fn spawn_app_with(engine: Engine, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = TempDir::new();
    let (database_url, database) = match engine {
        Engine::Sqlite => (format!("sqlite://{}/tessera.db", dir.0.display()), None),
        Engine::Postgres => {
            let database = postgres::TempDatabase::create().await;
            (database.url.clone(), Some(database))
        }
    };
    let mut settings = Settings {
        secret_key: Some(SECRET.to_owned()),
        secret_key_file: dir.0.join("secret.key"),
        // Test servers run no sync loop unless a test starts one (see
        // `sync_lag.rs`): never let a slow test find itself out of sync.
        max_sync_lag: Duration::from_secs(3600),
        ..Settings::default()
    };
    adjust(&mut settings);
    let mut app = spawn_instance(&database_url, &settings, dir).await;
    app._database = database;
    app
}

/// Starts the application on SQLite with the HTTP server's settings `http`.
pub async fn spawn_app_with_http(http: tessera_server::config::HttpConfig) -> TestApp {
    spawn_app_over(http, None).await
}

/// Starts the application on SQLite, serving HTTPS with `tls` when given.
pub async fn spawn_app_over(
    http: tessera_server::config::HttpConfig,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> TestApp {
    let dir = TempDir::new();
    let database_url = format!("sqlite://{}/tessera.db", dir.0.display());
    let settings = Settings {
        secret_key: Some(SECRET.to_owned()),
        secret_key_file: dir.0.join("secret.key"),
        max_sync_lag: Duration::from_secs(3600),
        ..Settings::default()
    };
    spawn_server(&database_url, &settings, dir, http, tls).await
}

/// A clock for a new instance on `database_url`: the first one starts at
/// the machine's time; every later instance on the same database starts at
/// the first one's current time, so the instances of one test agree however
/// long the machine took to start them (a token made on one is never "issued
/// in the future" on another). Each clock then moves on its own.
fn clock_for(database_url: &str) -> Arc<ManualClock> {
    static FIRST_CLOCKS: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<String, Arc<ManualClock>>>,
    > = std::sync::OnceLock::new();
    let mut first = FIRST_CLOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    match first.get(database_url) {
        Some(clock) => {
            let now = clock.now_millis();
            let aligned = ManualClock::at(now.div_euclid(1000));
            aligned.advance(Duration::from_millis(now.rem_euclid(1000) as u64));
            Arc::new(aligned)
        }
        None => {
            let clock = Arc::new(ManualClock::starting_now());
            first.insert(database_url.to_owned(), Arc::clone(&clock));
            clock
        }
    }
}

/// Another server process on `database_url` (several instances on one
/// PostgreSQL database), with a clock of its own.
pub async fn spawn_instance(database_url: &str, settings: &Settings, dir: TempDir) -> TestApp {
    spawn_server(database_url, settings, dir, Default::default(), None).await
}

async fn spawn_server(
    database_url: &str,
    settings: &Settings,
    dir: TempDir,
    http: tessera_server::config::HttpConfig,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> TestApp {
    let clock = clock_for(database_url);
    let store = Store::open(database_url).await.expect("database opens");
    let tessera = Tessera::start_with_clock(settings, store, clock.clone())
        .await
        .expect("the core starts");
    let leptos_options = LeptosOptions::builder()
        .output_name("tessera")
        .site_root(dir.0.display().to_string())
        .build();
    let app = router(AppState {
        tessera: Arc::new(tessera.clone()),
        leptos_options: leptos_options.into(),
        http: Arc::new(http.clone()),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(tessera_server::serve::serve(
        listener,
        tls,
        app,
        http.header_read_timeout.0,
        std::future::pending(),
    ));
    TestApp {
        addr,
        tessera,
        settings: settings.clone(),
        database_url: database_url.to_owned(),
        clock,
        _database: None,
        _dir: dir,
    }
}

impl TestApp {
    /// The folder the server serves static files from (`LEPTOS_SITE_ROOT`).
    pub fn site_root(&self) -> &std::path::Path {
        &self._dir.0
    }

    pub async fn add_user(&self, username: &str, password: &str) -> i64 {
        self.tessera
            .accounts
            .create_user(username, password)
            .await
            .expect("user created")
    }

    /// Adds a staff member (made by the command line's path) and returns
    /// an access token of theirs.
    pub async fn staff_token(&self, username: &str, password: &str) -> String {
        self.add_user(username, password).await;
        self.tessera
            .accounts
            .set_staff(username, Some(true), None)
            .await
            .expect("made staff");
        self.tokens(username, password).await.0
    }

    /// The server's current instant (Unix seconds).
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Lets `seconds` pass on the server's clock.
    pub fn advance(&self, seconds: u64) {
        self.clock.advance(Duration::from_secs(seconds));
    }

    pub async fn send(&self, raw: impl AsRef<[u8]>) -> Reply {
        http::send(self.addr, raw.as_ref()).await
    }

    pub async fn post_json(&self, path: &str, body: &str) -> Reply {
        self.send(http::request(
            "POST",
            path,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        ))
        .await
    }

    pub async fn post_form(&self, path: &str, body: &str) -> Reply {
        self.send(http::request(
            "POST",
            path,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            body.as_bytes(),
        ))
        .await
    }

    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.send(http::request("GET", path, headers, b"")).await
    }

    /// Asks `/hello/` with `access` until it answers `status` (a change
    /// made elsewhere arriving); see [`eventually`]. Returns how long it took.
    pub async fn hello_until(&self, access: &str, status: u16, what: &str) -> Duration {
        eventually(what, || async { self.hello(access).await.status == status }).await
    }

    pub async fn hello(&self, access: &str) -> Reply {
        self.get("/hello/", &[("Authorization", &format!("Bearer {access}"))])
            .await
    }

    pub async fn login(&self, username: &str, password: &str) -> Reply {
        let body = serde_json::json!({ "username": username, "password": password }).to_string();
        self.post_json("/api/token/", &body).await
    }

    /// Logs in and returns `(access, refresh)`.
    pub async fn tokens(&self, username: &str, password: &str) -> (String, String) {
        let reply = self.login(username, password).await;
        assert_eq!(reply.status, 200, "login failed: {}", reply.text());
        let body = reply.json();
        (str_field(&body, "access"), str_field(&body, "refresh"))
    }

    pub async fn refresh(&self, refresh: &str) -> Reply {
        self.post_json(
            "/api/token/refresh/",
            &serde_json::json!({ "refresh": refresh }).to_string(),
        )
        .await
    }

    pub async fn verify(&self, token: &str) -> Reply {
        self.post_json(
            "/api/token/verify/",
            &serde_json::json!({ "token": token }).to_string(),
        )
        .await
    }

    pub async fn blacklist(&self, refresh: &str) -> Reply {
        self.post_json(
            "/api/token/blacklist/",
            &serde_json::json!({ "refresh": refresh }).to_string(),
        )
        .await
    }
}

/// How long [`eventually`] waits before it fails a test: a bound on a
/// failure, never a pace. A machine busy compiling may be slow; a change that
/// never arrives is a bug, and no test waits this long when it passes.
pub const EVENTUALLY: Duration = Duration::from_secs(60);

/// Waits until `condition` holds (a change made elsewhere arriving, a task
/// reaching a state), checking again whenever the runtime is idle, and fails
/// the test, naming `what`, after [`EVENTUALLY`]. Returns how long it took,
/// for tests that report it; speed is measured by benchmarks, not asserted.
pub async fn eventually<F, Fut>(what: &str, mut condition: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = std::time::Instant::now();
    // Polls briskly at first, then less often: a few milliseconds between
    // checks, so a check never competes with what it waits for.
    let mut pause = Duration::from_millis(1);
    loop {
        if condition().await {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < EVENTUALLY,
            "{what}: still not so after {EVENTUALLY:?}"
        );
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// A random name part (32 hex characters) for test databases and folders.
pub fn random_name() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    let high = hasher.finish();
    hasher.write_u64(high);
    format!("{high:016x}{:016x}", hasher.finish())
}

/// An argon2id hash of `password` with weaker parameters than the server
/// uses (8 MiB, one pass): an account imported with an outdated hash.
pub fn outdated_hash(password: &str) -> String {
    use argon2::password_hash::PasswordHasher as _;
    let params = argon2::Params::new(8 * 1024, 1, 1, None).unwrap();
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(password.as_bytes())
        .unwrap()
        .to_string()
}

pub fn str_field(body: &Value, name: &str) -> String {
    body[name]
        .as_str()
        .unwrap_or_else(|| panic!("no string {name:?} in {body}"))
        .to_owned()
}

/// The decoded payload of a JWT (no verification).
pub fn payload(token: &str) -> Value {
    use base64::Engine as _;
    let part = token.split('.').nth(1).expect("a JWT has a payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// The simplejwt body of a refused access token.
pub fn access_refused(message: &str) -> String {
    format!(
        r#"{{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{{"token_class":"AccessToken","token_type":"access","message":"{message}"}}]}}"#
    )
}

/// Signs arbitrary header and payload JSON with `key` (HS256).
pub fn forge(header: &str, payload: &str, key: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = |text: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
    let message = format!("{}.{}", b64(header), b64(payload));
    let signature = jsonwebtoken::crypto::sign(
        message.as_bytes(),
        &jsonwebtoken::EncodingKey::from_secret(key).unwrap(),
        jsonwebtoken::Algorithm::HS256,
    )
    .unwrap();
    format!("{message}.{signature}")
}

/// A user row with no address, to put in behind the core's back.
pub fn user_row<'a>(username: &'a str, password_hash: &'a str) -> tessera::NewUser<'a> {
    tessera::NewUser {
        username,
        password_hash,
        email: "",
        email_verified: false,
    }
}
