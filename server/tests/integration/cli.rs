//! The `tessera` command line, run as a separate process against the
//! database of a running server.

use crate::support;

use std::io::Write;
use std::process::{Command, Stdio};

use support::cli::{run, stdout};
use support::{access_refused, spawn_app, TempDir};

#[tokio::test]
async fn user_add_works_on_a_fresh_checkout_and_ids_start_at_one() {
    let dir = TempDir::new();
    let url = format!("sqlite://{}/nested/folder/tessera.db", dir.0.display());
    let secret = dir.0.join("secret.key");
    let added = run(
        &url,
        &secret,
        &["user", "add", "vitor", "--password-stdin"],
        "123\n",
    )
    .await;
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert!(stdout(&added).contains("with id 1"), "{}", stdout(&added));
    assert!(String::from_utf8_lossy(&added.stderr).contains("shorter than 8"));
    let second = run(
        &url,
        &secret,
        &["user", "add", "wanda", "--password-stdin"],
        "a longer one\n",
    )
    .await;
    assert!(stdout(&second).contains("with id 2"));

    let duplicate = run(
        &url,
        &secret,
        &["user", "add", "vitor", "--password-stdin"],
        "x\n",
    )
    .await;
    assert!(!duplicate.status.success());
    assert!(String::from_utf8_lossy(&duplicate.stderr).contains("already exists"));

    let empty = run(
        &url,
        &secret,
        &["user", "add", "xena", "--password-stdin"],
        "\n",
    )
    .await;
    assert!(!empty.status.success());

    let list = run(&url, &secret, &["user", "list"], "").await;
    let text = stdout(&list);
    assert!(text.contains("vitor") && text.contains("wanda"), "{text}");

    // Staff and superusers, as Django's `createsuperuser` and the admin make them.
    let boss = run(
        &url,
        &secret,
        &["user", "add", "boss", "--superuser", "--password-stdin"],
        "the boss password\n",
    )
    .await;
    assert!(
        stdout(&boss).contains("with id 3 (superuser)"),
        "{}",
        stdout(&boss)
    );
    let set = run(
        &url,
        &secret,
        &["user", "set", "wanda", "--staff", "true"],
        "",
    )
    .await;
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    let list = stdout(&run(&url, &secret, &["user", "list"], "").await);
    let role_of = |name: &str| {
        list.lines()
            .find(|line| line.split_whitespace().nth(1) == Some(name))
            .and_then(|line| line.split_whitespace().nth(3))
            .map(str::to_owned)
    };
    assert_eq!(role_of("boss").as_deref(), Some("superuser"), "{list}");
    assert_eq!(role_of("wanda").as_deref(), Some("staff"), "{list}");
    assert_eq!(role_of("vitor").as_deref(), Some("-"), "{list}");
    let nothing = run(&url, &secret, &["user", "set", "wanda"], "").await;
    assert!(!nothing.status.success());
    let nobody = run(
        &url,
        &secret,
        &["user", "set", "nobody", "--staff", "true"],
        "",
    )
    .await;
    assert!(!nobody.status.success());

    let flush = run(&url, &secret, &["tokens", "flush"], "").await;
    assert!(flush.status.success());
}

#[tokio::test]
async fn a_cli_change_reaches_the_running_server() {
    let app = spawn_app().await;
    // The server's own upkeep, as `tessera serve` runs it.
    let _maintenance = app
        .tessera
        .upkeep
        .spawn(tessera_server::maintenance::SYNC_EVERY);
    let secret = app.settings.secret_key_file.clone();
    let added = run(
        &app.database_url,
        &secret,
        &["user", "add", "vitor", "--password-stdin"],
        "123\n",
    )
    .await;
    assert!(added.status.success());

    // The server did not create this user, yet it can log in at once (the
    // login reads the database) and use its token once the sync has run.
    let (access, refresh) = app.tokens("vitor", "123").await;
    app.hello_until(&access, 200, "the new user becoming known")
        .await;

    let deactivated = run(
        &app.database_url,
        &secret,
        &["user", "deactivate", "vitor"],
        "",
    )
    .await;
    assert!(deactivated.status.success());
    app.hello_until(&access, 401, "the deactivation arriving")
        .await;
    assert_eq!(
        app.hello(&access).await.text(),
        r#"{"detail":"User is inactive","code":"user_inactive"}"#
    );
    assert_eq!(app.refresh(&refresh).await.status, 401);

    let activated = run(
        &app.database_url,
        &secret,
        &["user", "activate", "vitor"],
        "",
    )
    .await;
    assert!(activated.status.success());
    let changed = run(
        &app.database_url,
        &secret,
        &["user", "passwd", "vitor", "--password-stdin"],
        "new password\n",
    )
    .await;
    assert!(changed.status.success());
    let (access, _) = app.tokens("vitor", "new password").await;
    assert_eq!(app.hello(&access).await.status, 200);
    let again = run(
        &app.database_url,
        &secret,
        &["user", "passwd", "vitor", "--password-stdin"],
        "newer password\n",
    )
    .await;
    assert!(again.status.success());
    support::eventually("the password change arriving", || async {
        app.hello(&access).await.text() == access_refused("Token is blacklisted")
    })
    .await;
}

#[tokio::test]
async fn the_database_file_is_private_and_url_passwords_are_never_printed() {
    use std::os::unix::fs::PermissionsExt;

    let dir = TempDir::new();
    let secret = dir.0.join("secret.key");
    let url = format!("sqlite://{}/tessera.db", dir.0.display());
    assert!(run(&url, &secret, &["user", "list"], "")
        .await
        .status
        .success());
    let mode = std::fs::metadata(dir.0.join("tessera.db"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the database holds password hashes");

    let refused = run(
        "mysql://app:hunter2@db.example/tessera",
        &secret,
        &["user", "list"],
        "",
    )
    .await;
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("mysql://app:***@db.example/tessera"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[tokio::test]
async fn a_key_file_others_can_read_stops_the_start() {
    use std::os::unix::fs::PermissionsExt;

    let dir = TempDir::new();
    let key_file = dir.0.join("secret.key");
    std::fs::write(&key_file, "ab".repeat(32)).unwrap();
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let url = format!("sqlite://{}/tessera.db", dir.0.display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["user", "list"])
        .env("DATABASE_URL", &url)
        .env_remove("TESSERA_SECRET_KEY")
        .env("TESSERA_SECRET_KEY_FILE", &key_file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take();
    let output = child.wait_with_output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("chmod 600"), "{stderr}");
}

/// `keys list` and `keys rotate` against a running ES256 server's database;
/// an admin command run with other settings never changes the key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_list_and_rotate_reach_a_running_server() {
    let app = support::spawn_app_with(support::Engine::Sqlite, |settings| {
        settings.algorithm = tessera::SigningAlgorithm::ES256;
    })
    .await;
    let secret = app.settings.secret_key_file.clone();
    // Run with the default algorithm (HS256): lists, does not rotate.
    let listed = run(&app.database_url, &secret, &["keys", "list"], "").await;
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let listing = stdout(&listed);
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines.len(), 2, "{listing}");
    assert!(lines[0].starts_with("kid"));
    assert!(
        lines[1].contains(" ES256 ") && lines[1].contains(" current "),
        "{listing}"
    );

    let rotated = run(&app.database_url, &secret, &["keys", "rotate"], "").await;
    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    let said = stdout(&rotated);
    assert!(said.starts_with("added ES256 key "), "{said}");
    assert!(said.contains("published now, signing from"), "{said}");
    let new_kid = said
        .split_whitespace()
        .nth(3)
        .unwrap()
        .trim_end_matches(':');

    app.tessera.upkeep.sync().await.unwrap();
    let published = app.get("/.well-known/jwks.json", &[]).await.text();
    assert!(published.contains(new_kid), "{published}");
    let listing = stdout(&run(&app.database_url, &secret, &["keys", "list"], "").await);
    assert!(
        listing.contains(" retiring ") || listing.contains(" current "),
        "{listing}"
    );
    assert!(listing.contains(" pending "), "{listing}");

    let switched = run(
        &app.database_url,
        &secret,
        &["keys", "rotate", "--to", "EdDSA"],
        "",
    )
    .await;
    assert!(
        stdout(&switched).starts_with("added EdDSA key "),
        "{}",
        stdout(&switched)
    );
    let bad = run(
        &app.database_url,
        &secret,
        &["keys", "rotate", "--to", "none"],
        "",
    )
    .await;
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown signing algorithm"));
    assert_eq!(app.tessera.keys.list().await.unwrap().len(), 3);
}

/// An HMAC key comes from the secret: `keys rotate` says how to rotate a
/// secret instead of pretending another process won a race.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_rotate_refuses_to_rotate_a_secret_in_place() {
    let app = support::spawn_app_with(support::Engine::Sqlite, |_| {}).await;
    let secret = app.settings.secret_key_file.clone();
    let refused = run(&app.database_url, &secret, &["keys", "rotate"], "").await;
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("this server signs with its secret key (HS256)")
            && said.contains("--previous-secret-keys"),
        "{said}"
    );
    assert_eq!(app.tessera.keys.list().await.unwrap().len(), 1);
}

#[test]
fn version_prints_the_package_version() {
    let output = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!("tessera {}", env!("CARGO_PKG_VERSION"))
    );
}

/// `--log-format json`: every line a JSON object, the request log included.
#[test]
fn json_logs_are_one_object_per_line() {
    use std::io::{BufRead, BufReader, Read};
    let dir = TempDir::new();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["--log-format", "json"])
        .env("DATABASE_URL", format!("sqlite://{}/t.db", dir.0.display()))
        .env("TESSERA_SECRET_KEY", support::SECRET)
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("LEPTOS_SITE_ROOT", &dir.0)
        .env("LEPTOS_OUTPUT_NAME", "tessera")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut next_line = || -> serde_json::Value {
        let line = lines.next().expect("a log line").unwrap();
        serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"))
    };
    let address = loop {
        let line = next_line();
        assert!(
            line["timestamp"].is_string() && line["level"].is_string(),
            "{line}"
        );
        let message = line["fields"]["message"].as_str().unwrap_or_default();
        if let Some(address) = message.strip_prefix("listening on http://") {
            break address.to_owned();
        }
    };
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    stream
        .write_all(b"GET /livez HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let logged = loop {
        let line = next_line();
        if line["fields"]["message"] == "response" {
            break line;
        }
    };
    assert_eq!(logged["fields"]["status"], 200, "{logged}");
    assert_eq!(logged["level"], "INFO");
    // Inside the request's span: its method and path.
    assert_eq!(logged["span"]["name"], "request", "{logged}");
    assert_eq!(
        (&logged["span"]["method"], &logged["span"]["path"]),
        (&serde_json::json!("GET"), &serde_json::json!("/livez")),
        "{logged}"
    );

    // A failed login is an audit event: one JSON line, target `audit`, for
    // a SIEM; the password it tried is nowhere.
    let body = r#"{"username":"nobody","password":"a-guessed-secret"}"#;
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    write!(
        stream,
        "POST /api/token/ HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    let audit = loop {
        let line = next_line();
        assert!(!line.to_string().contains("a-guessed-secret"), "{line}");
        if line["target"] == "audit" && line["fields"]["type"] == "login_failed" {
            break line;
        }
    };
    assert_eq!(audit["fields"]["username"], "nobody", "{audit}");
    assert_eq!(audit["fields"]["detail"], "no such user", "{audit}");
    assert_eq!(audit["fields"]["address"], "127.0.0.1", "{audit}");
    child.kill().unwrap();
    child.wait().unwrap();
}

/// A wildcard or a URL with a path is refused before the server starts,
/// with a message that says what an origin is.
#[test]
fn cors_origins_that_are_not_origins_stop_the_start() {
    for value in [
        "*",
        "https://app.example.com/",
        "http://127.0.0.1:5173,app.example.com",
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .env("TESSERA_CORS_ALLOWED_ORIGINS", value)
            .env("DATABASE_URL", "sqlite://never-created/t.db")
            .output()
            .unwrap();
        assert!(!output.status.success(), "{value:?} started");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("is not an origin: write scheme://host[:port]"),
            "{value:?}: {stderr}"
        );
    }
    assert!(!std::path::Path::new("never-created").exists());
}
