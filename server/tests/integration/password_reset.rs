//! "Forgot password?" as dj-rest-auth speaks it, with mail going through a
//! real SMTP server on loopback: the link arrives, sets a new password once,
//! and ends every session; unknown addresses get the same answer and no
//! mail; mail waits out an SMTP server that is down or refusing, and two
//! instances never send one mail twice.

use crate::support;

use serde_json::json;
use support::smtp::{free_port, Mailbox};
use support::{
    on_both_engines, spawn_app_with, spawn_instance, str_field, Engine, TempDir, TestApp,
};

const SENT: &str = r#"{"detail":"Password reset e-mail has been sent."}"#;
const RESET: &str = r#"{"detail":"Password has been reset with the new password."}"#;

async fn app_mailing_to(engine: Engine, smtp_url: String) -> TestApp {
    spawn_app_with(engine, |settings| {
        settings.mail.smtp_url = Some(smtp_url);
        settings.mail.from = "Tessera <noreply@tessera.test>".into();
        settings.public_url = "https://auth.tessera.test".parse().unwrap();
    })
    .await
}

async fn add_user_with_email(app: &TestApp, username: &str, password: &str, email: &str) -> i64 {
    app.tessera
        .accounts
        .create_user_with_email(username, password, email)
        .await
        .expect("user created")
}

async fn ask_reset(app: &TestApp, email: &str) -> support::Reply {
    app.post_json(
        "/api/password/reset/",
        &json!({ "email": email }).to_string(),
    )
    .await
}

async fn confirm(app: &TestApp, uid: &str, token: &str, one: &str, two: &str) -> support::Reply {
    app.post_json(
        "/api/password/reset/confirm/",
        &json!({ "new_password1": one, "new_password2": two, "uid": uid, "token": token })
            .to_string(),
    )
    .await
}

/// The SQLite pools of a test app, to arrange or read rows the API does not.
fn sqlite_writes(app: &TestApp) -> &sqlx::SqlitePool {
    match app.tessera.store() {
        tessera::Store::Sqlite { writes, .. } => writes,
        tessera::Store::Postgres(_) => unreachable!("a SQLite test"),
    }
}

fn sqlite_reads(app: &TestApp) -> &sqlx::SqlitePool {
    match app.tessera.store() {
        tessera::Store::Sqlite { reads, .. } => reads,
        tessera::Store::Postgres(_) => unreachable!("a SQLite test"),
    }
}

async fn outbox(app: &TestApp) -> tessera::OutboxCounts {
    app.tessera.mail.outbox().await.unwrap()
}

on_both_engines!(
    a_mailed_link_sets_the_password_once_and_ends_every_session,
    mail_waits_for_an_smtp_server_that_is_down,
    a_sign_in_from_a_new_device_is_announced_but_not_the_first_one,
);

async fn a_mailed_link_sets_the_password_once_and_ends_every_session(engine: Engine) {
    let mailbox = Mailbox::start();
    let app = app_mailing_to(engine, mailbox.url()).await;
    let _sender = app.tessera.mail.spawn_sender();
    add_user_with_email(&app, "ana", "old password 1", "Ana.Lima@Example.com").await;
    let (access_one, refresh_one) = app.tokens("ana", "old password 1").await;
    let (access_two, refresh_two) = app.tokens("ana", "old password 1").await;

    // Addresses match in any case, as Django's reset form matches them.
    let reply = ask_reset(&app, "ana.lima@example.COM").await;
    assert_eq!((reply.status, reply.text()), (200, SENT.to_owned()));
    let mails = mailbox.wait_for(1).await;
    let mail = &mails[0];
    assert_eq!(mail.recipients, ["Ana.Lima@Example.com"]);
    assert_eq!(
        mail.header("From").as_deref(),
        Some("Tessera <noreply@tessera.test>")
    );
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Reset your password on auth.tessera.test")
    );
    let message_id = mail.header("Message-ID").expect("a Message-ID");
    assert!(
        message_id.starts_with('<') && message_id.ends_with("@auth.tessera.test>"),
        "{message_id}"
    );
    assert!(mail.header("Date").is_some());
    assert!(mail.text.contains("multipart/alternative"));
    assert!(mail.text.contains("text/plain") && mail.text.contains("text/html"));
    assert!(mail
        .link("/reset-password/")
        .starts_with("https://auth.tessera.test/reset-password/"));
    let (uid, token) = mail.reset_link();
    assert_eq!(uid, "MQ", "user 1, as Django encodes it");

    let reply = confirm(&app, &uid, &token, "new password 22", "new password 22").await;
    assert_eq!((reply.status, reply.text()), (200, RESET.to_owned()));
    // A security notice follows, to the same address.
    let notice = &mailbox.wait_for(2).await[1];
    assert_eq!(notice.recipients, ["Ana.Lima@Example.com"]);
    assert_eq!(
        notice.header("Subject").as_deref(),
        Some("Your password on auth.tessera.test was changed")
    );
    assert!(notice
        .text
        .contains("was reset with a link sent to this address"));
    assert!(notice
        .link("/forgot-password")
        .starts_with("https://auth.tessera.test/forgot-password"));

    // Every session is over: refresh and access tokens alike.
    for refresh in [&refresh_one, &refresh_two] {
        assert_eq!(app.refresh(refresh).await.status, 401);
    }
    for access in [&access_one, &access_two] {
        assert_eq!(app.hello(access).await.status, 401);
    }
    assert_eq!(app.login("ana", "old password 1").await.status, 401);
    assert_eq!(app.login("ana", "new password 22").await.status, 200);

    // The link worked once.
    let again = confirm(&app, &uid, &token, "third password 3", "third password 3").await;
    assert_eq!(
        (again.status, again.text()),
        (400, r#"{"token":["Invalid value"]}"#.to_owned())
    );
    assert_eq!(app.login("ana", "new password 22").await.status, 200);
    assert_eq!(outbox(&app).await, tessera::OutboxCounts::default());
}

async fn mail_waits_for_an_smtp_server_that_is_down(engine: Engine) {
    let port = free_port();
    let app = app_mailing_to(engine, format!("smtp://127.0.0.1:{port}")).await;
    add_user_with_email(&app, "ben", "ben's password", "ben@example.com").await;
    assert_eq!(ask_reset(&app, "ben@example.com").await.status, 200);
    // One attempt against the stopped server: the mail stays, to retry.
    assert_eq!(app.tessera.mail.send_due().await.unwrap(), 1);
    let counts = outbox(&app).await;
    assert_eq!((counts.queued, counts.retrying), (0, 1));
    // Not due again before its wait is over.
    assert_eq!(app.tessera.mail.send_due().await.unwrap(), 0);

    let mailbox = Mailbox::start_on(port, support::TempDir::new());
    // The first retry comes 10 s after the failure.
    app.advance(9);
    assert_eq!(app.tessera.mail.send_due().await.unwrap(), 0);
    app.advance(1);
    assert_eq!(app.tessera.mail.send_due().await.unwrap(), 1);
    let mails = mailbox.wait_for(1).await;
    assert_eq!(mails[0].recipients, ["ben@example.com"]);
    assert_eq!(outbox(&app).await, tessera::OutboxCounts::default());
    let (uid, token) = mails[0].reset_link();
    let reply = confirm(
        &app,
        &uid,
        &token,
        "ben's new password",
        "ben's new password",
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unknown_inactive_and_passwordless_addresses_get_the_same_answer_and_no_mail() {
    let mailbox = Mailbox::start();
    let app = app_mailing_to(Engine::Sqlite, mailbox.url()).await;
    add_user_with_email(&app, "gone", "gone's password", "gone@example.com").await;
    app.tessera
        .accounts
        .set_active("gone", false)
        .await
        .unwrap();
    let sso = add_user_with_email(&app, "sso", "whatever it was", "sso@example.com").await;
    sqlx::query("UPDATE users SET password_hash = '!unusable' WHERE id = $1")
        .bind(sso)
        .execute(sqlite_writes(&app))
        .await
        .unwrap();
    for address in ["nobody@example.com", "gone@example.com", "sso@example.com"] {
        let reply = ask_reset(&app, address).await;
        assert_eq!(
            (reply.status, reply.text()),
            (200, SENT.to_owned()),
            "{address}"
        );
    }
    assert_eq!(outbox(&app).await, tessera::OutboxCounts::default());
    assert_eq!(app.tessera.mail.send_due().await.unwrap(), 0);
    assert!(mailbox.mails().is_empty());

    // Two accounts may share an address (as in Django): each gets a link.
    add_user_with_email(&app, "twin1", "twin password 1", "twins@example.com").await;
    add_user_with_email(&app, "twin2", "twin password 2", "TWINS@example.com").await;
    assert_eq!(ask_reset(&app, "twins@example.com").await.status, 200);
    assert_eq!(app.tessera.mail.send_due().await.unwrap(), 2);
    let mails = mailbox.wait_for(2).await;
    let mut to: Vec<String> = mails
        .iter()
        .flat_map(|mail| mail.recipients.clone())
        .collect();
    to.sort();
    assert_eq!(to, ["TWINS@example.com", "twins@example.com"]);
    assert!(mails[0].text.contains("twin1") && mails[1].text.contains("twin2"));

    // The audit log has a request for each, and one without a user for
    // each address nobody could get a link at.
    let events: Vec<(Option<i64>, String)> = sqlx::query_as(
        "SELECT user_id, detail FROM audit_events WHERE kind = 'password_reset_requested' \
         ORDER BY id",
    )
    .fetch_all(sqlite_reads(&app))
    .await
    .unwrap();
    assert_eq!(events.len(), 5);
    assert!(events[..3].iter().all(|(user, _)| user.is_none()));
    assert!(events[3..].iter().all(|(user, _)| user.is_some()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_requests_get_djrestauth_400s_and_send_nothing() {
    let mailbox = Mailbox::start();
    let app = app_mailing_to(Engine::Sqlite, mailbox.url()).await;
    add_user_with_email(&app, "cy", "cy's password", "cy@example.com").await;
    let invalid = r#"{"email":["Enter a valid email address."]}"#;
    let long = format!("{}@example.com", "a".repeat(10_000));
    for (body, expected) in [
        (json!({}), r#"{"email":["This field is required."]}"#),
        (
            json!({ "email": "" }),
            r#"{"email":["This field may not be blank."]}"#,
        ),
        (
            json!({ "email": null }),
            r#"{"email":["This field may not be null."]}"#,
        ),
        (json!({ "email": "cy" }), invalid),
        (
            json!({ "email": "cy@example.com\r\nBcc: x@evil.example" }),
            invalid,
        ),
        (
            json!({ "email": "cy@example.com\nBcc:x@evil.example" }),
            invalid,
        ),
        (
            json!({ "email": "cy@example.com, x@evil.example" }),
            invalid,
        ),
        (json!({ "email": "Cy <cy@example.com>" }), invalid),
        (json!({ "email": long }), invalid),
        (json!({ "email": "çy@example.com" }), invalid),
    ] {
        let reply = app
            .post_json("/api/password/reset/", &body.to_string())
            .await;
        assert_eq!(
            (reply.status, reply.text()),
            (400, expected.to_owned()),
            "{body}"
        );
    }
    assert_eq!(outbox(&app).await, tessera::OutboxCounts::default());

    // A real link, to try the confirmation's refusals against.
    assert_eq!(ask_reset(&app, "cy@example.com").await.status, 200);
    assert_eq!(app.tessera.mail.send_due().await.unwrap(), 1);
    let (uid, token) = mailbox.wait_for(1).await[0].reset_link();
    let altered = format!("{token}0");
    let required = r#"{"new_password1":["This field is required."],"new_password2":["This field is required."],"uid":["This field is required."],"token":["This field is required."]}"#;
    let reply = app.post_json("/api/password/reset/confirm/", "{}").await;
    assert_eq!((reply.status, reply.text()), (400, required.to_owned()));
    for (uid, token, one, two, expected) in [
        (
            "Mg",
            token.as_str(),
            "a good password",
            "a good password",
            r#"{"uid":["Invalid value"]}"#,
        ),
        (
            "!!",
            token.as_str(),
            "a good password",
            "a good password",
            r#"{"uid":["Invalid value"]}"#,
        ),
        (
            uid.as_str(),
            token.as_str(),
            "a good password",
            "another password",
            "{\"new_password2\":[\"The two password fields didn\u{2019}t match.\"]}",
        ),
        (
            uid.as_str(),
            token.as_str(),
            "short",
            "short",
            r#"{"new_password2":["This password is too short. It must contain at least 8 characters."]}"#,
        ),
        (
            uid.as_str(),
            token.as_str(),
            "27182818284",
            "27182818284",
            r#"{"new_password2":["This password is entirely numeric."]}"#,
        ),
        (
            uid.as_str(),
            token.as_str(),
            "qwertyuiop",
            "qwertyuiop",
            r#"{"new_password2":["This password is too common."]}"#,
        ),
        // Django's order: the passwords are judged before the token.
        (
            uid.as_str(),
            "bad-token",
            "a good password",
            "another password",
            "{\"new_password2\":[\"The two password fields didn\u{2019}t match.\"]}",
        ),
        (
            uid.as_str(),
            "bad-token",
            "a good password",
            "a good password",
            r#"{"token":["Invalid value"]}"#,
        ),
        (
            uid.as_str(),
            altered.as_str(),
            "a good password",
            "a good password",
            r#"{"token":["Invalid value"]}"#,
        ),
    ] {
        let reply = confirm(&app, uid, token, one, two).await;
        assert_eq!(
            (reply.status, reply.text()),
            (400, expected.to_owned()),
            "{uid} {token} {one} {two}"
        );
    }
    // None of that used the link up.
    let reply = confirm(&app, &uid, &token, "cy's new password", "cy's new password").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_link_expires_and_dies_when_the_password_changes() {
    let mailbox = Mailbox::start();
    let app = app_mailing_to(Engine::Sqlite, mailbox.url()).await;
    add_user_with_email(&app, "dee", "dee's password", "dee@example.com").await;
    for _ in 0..2 {
        assert_eq!(ask_reset(&app, "dee@example.com").await.status, 200);
    }
    assert_eq!(app.tessera.mail.send_due().await.unwrap(), 2);
    let mails = mailbox.wait_for(2).await;
    let (uid, early) = mails[0].reset_link();
    let (_, late) = mails[1].reset_link();

    // An hour later (the default timeout) the first link is dead.
    app.advance(3599);
    assert!(app
        .tessera
        .accounts
        .reset_link_is_valid(&uid, &early)
        .await
        .unwrap());
    app.advance(1);
    assert!(!app
        .tessera
        .accounts
        .reset_link_is_valid(&uid, &early)
        .await
        .unwrap());
    let reply = confirm(
        &app,
        &uid,
        &early,
        "dee's next password",
        "dee's next password",
    )
    .await;
    assert_eq!(
        (reply.status, reply.text()),
        (400, r#"{"token":["Invalid value"]}"#.to_owned())
    );

    // The second one dies with a password change made otherwise.
    let (access, _) = app.tokens("dee", "dee's password").await;
    let reply = app
        .send(support::http::request(
            "POST",
            "/api/password/change/",
            &[
                ("Content-Type", "application/json"),
                ("Authorization", &format!("Bearer {access}")),
            ],
            json!({ "old_password": "dee's password", "new_password": "dee's changed one" })
                .to_string()
                .as_bytes(),
        ))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let reply = confirm(
        &app,
        &uid,
        &late,
        "dee's next password",
        "dee's next password",
    )
    .await;
    assert_eq!(
        (reply.status, reply.text()),
        (400, r#"{"token":["Invalid value"]}"#.to_owned())
    );
    assert_eq!(app.login("dee", "dee's changed one").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn requests_are_throttled_per_address_and_per_client_known_or_not() {
    let mailbox = Mailbox::start();
    let app = spawn_app_with(Engine::Sqlite, |settings| {
        settings.mail.smtp_url = Some(mailbox.url());
        settings.throttle.reset_client_requests = 12;
    })
    .await;
    add_user_with_email(&app, "eve", "eve's password", "eve@example.com").await;
    for address in ["eve@example.com", "nobody@example.com"] {
        for _ in 0..5 {
            assert_eq!(ask_reset(&app, address).await.status, 200, "{address}");
        }
        let reply = ask_reset(&app, address).await;
        assert_eq!(reply.status, 429, "{address}");
        assert_eq!(
            reply.text(),
            r#"{"detail":"Request was throttled. Expected available in 3600 seconds."}"#
        );
        assert_eq!(reply.header("retry-after"), Some("3600"));
    }
    // Ten requests made: two more from this client, then its budget is spent,
    // for any address.
    for n in 0..2 {
        assert_eq!(
            ask_reset(&app, &format!("other{n}@example.com"))
                .await
                .status,
            200
        );
    }
    assert_eq!(ask_reset(&app, "fresh@example.com").await.status, 429);
    // An hour later both budgets are back.
    app.advance(3600);
    assert_eq!(ask_reset(&app, "eve@example.com").await.status, 200);
    assert_eq!(app.tessera.mail.send_due().await.unwrap(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_mail_is_kept_and_counted_as_failed() {
    let mailbox = Mailbox::refusing(550);
    let app = app_mailing_to(Engine::Sqlite, mailbox.url()).await;
    add_user_with_email(&app, "fay", "fay's password", "fay@example.com").await;
    assert_eq!(ask_reset(&app, "fay@example.com").await.status, 200);
    assert_eq!(app.tessera.mail.send_due().await.unwrap(), 1);
    let counts = outbox(&app).await;
    assert_eq!((counts.queued, counts.retrying, counts.refused), (0, 0, 1));
    // Retried, rarely: not again within the hour.
    app.advance(3599);
    assert_eq!(app.tessera.mail.send_due().await.unwrap(), 0);
    app.advance(1);
    assert_eq!(app.tessera.mail.send_due().await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_an_smtp_server_mails_are_written_to_files() {
    let folder = TempDir::new();
    let dir = folder.0.join("outbox");
    let app = spawn_app_with(Engine::Sqlite, |settings| {
        settings.mail.file_dir = dir.clone();
    })
    .await;
    assert!(!app.tessera.mail.uses_smtp());
    add_user_with_email(&app, "gus", "gus's password", "gus@example.com").await;
    assert_eq!(ask_reset(&app, "gus@example.com").await.status, 200);
    assert_eq!(app.tessera.mail.send_due().await.unwrap(), 1);
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].extension().is_some_and(|ext| ext == "eml"));
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(text.contains("To: gus@example.com"), "{text}");
    assert!(text.contains("/reset-password/"), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&files[0]).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "only its owner may read a mail file");
    }
}

/// Two instances on one PostgreSQL database, both sending: every mail
/// arrives exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_never_send_one_mail_twice() {
    const USERS: usize = 30;
    let mailbox = Mailbox::start();
    let first = app_mailing_to(Engine::Postgres, mailbox.url()).await;
    let second = spawn_instance(&first.database_url, &first.settings, TempDir::new()).await;
    for n in 0..USERS {
        add_user_with_email(
            &first,
            &format!("user{n}"),
            "a password",
            &format!("user{n}@example.com"),
        )
        .await;
    }
    let _senders = [
        first.tessera.mail.spawn_sender(),
        second.tessera.mail.spawn_sender(),
    ];
    for n in 0..USERS {
        let app = if n % 2 == 0 { &first } else { &second };
        assert_eq!(
            ask_reset(app, &format!("user{n}@example.com")).await.status,
            200
        );
    }
    mailbox.wait_for(USERS).await;
    // Once the outbox is empty, every delivery has ended (a mail leaves
    // it only after the server accepted it): nothing more can arrive.
    support::eventually("the outbox emptied", || async {
        outbox(&first).await == tessera::OutboxCounts::default()
    })
    .await;
    let mails = mailbox.mails();
    let mut ids: Vec<String> = mails
        .iter()
        .map(|mail| mail.header("Message-ID").unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!((mails.len(), ids.len()), (USERS, USERS));
    let mut recipients: Vec<String> = mails
        .iter()
        .flat_map(|mail| mail.recipients.clone())
        .collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), USERS);
}

/// The real binary: a reset asked for while the SMTP server is down, the
/// process restarted, the SMTP server back: the mail arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_mail_survives_a_restart_while_the_smtp_server_is_down() {
    let dir = TempDir::new();
    let smtp_port = free_port();
    let database_url = format!("sqlite://{}/tessera.db", dir.0.display());
    let start = |port: u16| {
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
            .env("DATABASE_URL", &database_url)
            .env("TESSERA_SECRET_KEY", support::SECRET)
            .env("TESSERA_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}"))
            .env("TESSERA_PUBLIC_URL", "https://auth.tessera.test")
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_SITE_ROOT", dir.0.display().to_string())
            .env("LEPTOS_OUTPUT_NAME", "tessera")
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the tessera binary starts");
        ChildGuard(child)
    };
    let port = free_port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let server = start(port);
    support::eventually("the server listening", || async {
        tokio::net::TcpStream::connect(addr).await.is_ok()
    })
    .await;
    let store = tessera::Store::open(&database_url).await.unwrap();
    let added = support::cli::run(
        &database_url,
        &dir.0.join("cli-secret.key"),
        &[
            "user",
            "add",
            "ivy",
            "--password-stdin",
            "--email",
            "ivy@example.com",
        ],
        "ivy's password\n",
    )
    .await;
    assert!(added.status.success(), "{added:?}");
    let reply = support::http::send(
        addr,
        &support::http::request(
            "POST",
            "/api/password/reset/",
            &[("Content-Type", "application/json")],
            br#"{"email":"ivy@example.com"}"#,
        ),
    )
    .await;
    assert_eq!((reply.status, reply.text()), (200, SENT.to_owned()));
    // The sender tried, and kept the mail.
    support::eventually("a failed attempt", || async {
        store.outbox_counts().await.unwrap().retrying == 1
    })
    .await;
    drop(server);

    let mailbox = Mailbox::start_on(smtp_port, TempDir::new());
    let port = free_port();
    let _server = start(port);
    // The retry comes due (10 s after the failure) on the new process.
    let mails = mailbox.wait_for(1).await;
    assert_eq!(mails[0].recipients, ["ivy@example.com"]);
    assert!(mails[0]
        .link("/reset-password/")
        .starts_with("https://auth.tessera.test/reset-password/"));
    store.close().await;
}

/// Kills the process when the test ends, however it ends.
struct ChildGuard(std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn password_change_takes_djrestauths_two_fields() {
    let app = spawn_app_with(Engine::Sqlite, |_| {}).await;
    app.add_user("hal", "hal's password").await;
    let (access, _) = app.tokens("hal", "hal's password").await;
    let change = |body: serde_json::Value| {
        let access = access.clone();
        let app = &app;
        async move {
            app.send(support::http::request(
                "POST",
                "/api/password/change/",
                &[
                    ("Content-Type", "application/json"),
                    ("Authorization", &format!("Bearer {access}")),
                ],
                body.to_string().as_bytes(),
            ))
            .await
        }
    };
    let reply = change(json!({ "old_password": "hal's password", "new_password1": "hal's new one", "new_password2": "hal's other one" })).await;
    assert_eq!(
        (reply.status, reply.text()),
        (
            400,
            "{\"new_password2\":[\"The two password fields didn\u{2019}t match.\"]}".to_owned()
        )
    );
    let reply = change(json!({ "old_password": "hal's password", "new_password1": "short", "new_password2": "short" })).await;
    assert_eq!(
        (reply.status, reply.text()),
        (400, r#"{"new_password2":["This password is too short. It must contain at least 8 characters."]}"#.to_owned())
    );
    let reply =
        change(json!({ "old_password": "hal's password", "new_password1": "hal's new one" })).await;
    assert_eq!(
        (reply.status, reply.text()),
        (
            400,
            r#"{"new_password2":["This field is required."]}"#.to_owned()
        )
    );
    let reply = change(json!({ "old_password": "hal's password", "new_password1": "hal's new one", "new_password2": "hal's new one" })).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        str_field(&reply.json(), "detail"),
        "New password has been saved."
    );
    assert_eq!(app.login("hal", "hal's new one").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn staff_mail_a_link_even_to_an_account_without_a_password() {
    let mailbox = Mailbox::start();
    let app = app_mailing_to(Engine::Sqlite, mailbox.url()).await;
    let staff = app.staff_token("boss", "boss's password").await;
    let imported = add_user_with_email(&app, "jo", "unknown", "jo@example.com").await;
    let plain = app.add_user("kim", "kim's password").await;
    let (kim, _) = app.tokens("kim", "kim's password").await;
    // As an import without a password leaves it.
    sqlx::query("UPDATE users SET password_hash = '!' WHERE id = $1")
        .bind(imported)
        .execute(sqlite_writes(&app))
        .await
        .unwrap();
    let send = |token: String, id: i64| {
        let app = &app;
        async move {
            app.send(support::http::request(
                "POST",
                &format!("/api/admin/users/{id}/password-reset/"),
                &[("Authorization", &format!("Bearer {token}"))],
                b"",
            ))
            .await
        }
    };
    let reply = send(kim.clone(), imported).await;
    assert_eq!(reply.status, 403);
    let reply = send(staff.clone(), plain).await;
    assert_eq!(
        (reply.status, reply.text()),
        (
            409,
            r#"{"detail":"The account has no email address."}"#.to_owned()
        )
    );
    let reply = send(staff.clone(), 999).await;
    assert_eq!(reply.status, 404);

    let reply = send(staff.clone(), imported).await;
    assert_eq!((reply.status, reply.text()), (200, SENT.to_owned()));
    assert_eq!(app.tessera.mail.send_due().await.unwrap(), 1);
    let mails = mailbox.wait_for(1).await;
    let (uid, token) = mails[0].reset_link();
    let reply = confirm(
        &app,
        &uid,
        &token,
        "jo's first password",
        "jo's first password",
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(app.login("jo", "jo's first password").await.status, 200);

    app.tessera.accounts.set_active("jo", false).await.unwrap();
    let reply = send(staff, imported).await;
    assert_eq!(
        (reply.status, reply.text()),
        (
            409,
            r#"{"detail":"The account is deactivated: activate it first."}"#.to_owned()
        )
    );
    // The audit log names the staff member who sent it.
    let actors: Vec<(Option<i64>,)> =
        sqlx::query_as("SELECT actor_id FROM audit_events WHERE kind = 'password_reset_requested'")
            .fetch_all(sqlite_reads(&app))
            .await
            .unwrap();
    assert_eq!(actors, [(Some(1),)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_password_change_is_announced_to_the_address_unless_notices_are_off() {
    for notices in [true, false] {
        let mailbox = Mailbox::start();
        let app = spawn_app_with(Engine::Sqlite, |settings| {
            settings.mail.smtp_url = Some(mailbox.url());
            settings.security_notices = notices;
        })
        .await;
        add_user_with_email(&app, "lou", "lou's password", "lou@example.com").await;
        app.add_user("max", "max's password").await;
        for (name, old, new) in [
            ("lou", "lou's password", "lou's new password"),
            ("max", "max's password", "max's new password"),
        ] {
            let (access, _) = app.tokens(name, old).await;
            let reply = app
                .send(support::http::request(
                    "POST",
                    "/api/password/change/",
                    &[
                        ("Content-Type", "application/json"),
                        ("Authorization", &format!("Bearer {access}")),
                        ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
                    ],
                    json!({ "old_password": old, "new_password": new }).to_string().as_bytes(),
                ))
                .await;
            assert_eq!(reply.status, 200, "{}", reply.text());
        }
        // Only lou has an address; max gets nothing, and nobody does with
        // notices off.
        let sent = app.tessera.mail.send_due().await.unwrap();
        assert_eq!(sent, usize::from(notices));
        if notices {
            let mails = mailbox.wait_for(1).await;
            assert_eq!(mails[0].recipients, ["lou@example.com"]);
            assert!(mails[0]
                .text
                .contains("The password of the account lou on 127.0.0.1 was changed"));
            assert!(mails[0]
                .text
                .contains("Firefox on Linux, address 127.0.0.1"));
        }
    }
}

/// A certificate authority of the test's own, and a certificate for
/// 127.0.0.1 it signed: `(ca.pem, key.pem, cert.pem)` in `dir`.
fn test_certificates(
    dir: &std::path::Path,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let ca = crate::support::certificates::TestCa::new();
    ca.issue(dir);
    std::fs::write(dir.join("ca.pem"), &ca.pem).unwrap();
    (
        dir.join("ca.pem"),
        dir.join("key.pem"),
        dir.join("cert.pem"),
    )
}

/// smtps:// and STARTTLS against a server whose certificate a private CA
/// signed: delivered with `--smtp-ca-file`, logged in with the URL's user
/// and password; without the CA the mail waits (the certificate is not
/// trusted), never goes out in clear.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mail_goes_over_tls_to_a_server_a_private_ca_vouches_for() {
    let certificates = TempDir::new();
    let (ca, key, cert) = test_certificates(&certificates.0);
    for (implicit, url) in [
        (true, "smtps://sender:p%40ss@127.0.0.1:{port}"),
        (false, "smtp://sender:p%40ss@127.0.0.1:{port}?tls=required"),
    ] {
        let mailbox = Mailbox::with_tls(&key, &cert, implicit);
        let url = url.replace("{port}", &mailbox.port.to_string());
        let untrusting = app_mailing_to(Engine::Sqlite, url.clone()).await;
        add_user_with_email(&untrusting, "nia", "nia's password", "nia@example.com").await;
        assert_eq!(ask_reset(&untrusting, "nia@example.com").await.status, 200);
        assert_eq!(untrusting.tessera.mail.send_due().await.unwrap(), 1);
        assert_eq!(
            outbox(&untrusting).await.retrying,
            1,
            "{url}: not trusted, kept"
        );
        assert!(mailbox.mails().is_empty());

        let ca = ca.clone();
        let app = spawn_app_with(Engine::Sqlite, |settings| {
            settings.mail.smtp_url = Some(url.clone());
            settings.mail.smtp_ca_file = Some(ca);
        })
        .await;
        add_user_with_email(&app, "nia", "nia's password", "nia@example.com").await;
        assert_eq!(ask_reset(&app, "nia@example.com").await.status, 200);
        assert_eq!(app.tessera.mail.send_due().await.unwrap(), 1);
        let mails = mailbox.wait_for(1).await;
        assert!(mails[0].secure, "{url}: over TLS");
        assert_eq!(
            mails[0].login,
            Some(json!({ "username": "sender", "password": "p@ss" })),
            "{url}"
        );
        assert_eq!(outbox(&app).await, tessera::OutboxCounts::default());
    }
}

#[tokio::test]
async fn a_wrong_mail_setting_stops_the_start_with_its_reason() {
    let dir = TempDir::new();
    let not_pem = dir.0.join("not.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    for (smtp_url, from, ca_file, expected) in [
        (
            "smtp://127.0.0.1:25",
            "not an address",
            None,
            "invalid --email-from",
        ),
        (
            "ftp://user:secret@host",
            "a@example.com",
            None,
            "invalid --smtp-url ftp://user:***@host",
        ),
        (
            "smtps://host",
            "a@example.com",
            Some(not_pem.clone()),
            "no PEM certificate",
        ),
        (
            "smtps://host",
            "a@example.com",
            Some(dir.0.join("missing.pem")),
            "--smtp-ca-file",
        ),
    ] {
        let settings = tessera::Settings {
            secret_key: Some(support::SECRET.to_owned()),
            mail: tessera::MailSettings {
                smtp_url: Some(smtp_url.to_owned()),
                from: from.to_owned(),
                smtp_ca_file: ca_file,
                ..tessera::MailSettings::default()
            },
            ..tessera::Settings::default()
        };
        let store = tessera::Store::open(&format!("sqlite://{}/t.db", dir.0.display()))
            .await
            .unwrap();
        let error = tessera::Tessera::start(&settings, store)
            .await
            .expect_err("refused");
        let message = error.to_string();
        assert!(message.contains(expected), "{message}");
        assert!(!message.contains("secret"), "{message}");
    }
}

async fn a_sign_in_from_a_new_device_is_announced_but_not_the_first_one(engine: Engine) {
    const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
    const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    let mailbox = Mailbox::start();
    let app = app_mailing_to(engine, mailbox.url()).await;
    add_user_with_email(&app, "ora", "ora's password", "ora@example.com").await;
    app.add_user("pat", "pat's password").await;
    let sign_in = |name: &'static str, password: &'static str, agent: &'static str| {
        let app = &app;
        async move {
            let reply = app
                .send(support::http::request(
                    "POST",
                    "/api/token/",
                    &[("Content-Type", "application/json"), ("User-Agent", agent)],
                    json!({ "username": name, "password": password })
                        .to_string()
                        .as_bytes(),
                ))
                .await;
            assert_eq!(reply.status, 200, "{}", reply.text());
        }
    };
    // The first sign-in ever, then the same device again: nothing to say.
    sign_in("ora", "ora's password", FIREFOX).await;
    sign_in("ora", "ora's password", FIREFOX).await;
    assert_eq!(app.tessera.mail.send_due().await.unwrap(), 0);
    // Another browser and system.
    sign_in("ora", "ora's password", CHROME).await;
    assert_eq!(app.tessera.mail.send_due().await.unwrap(), 1);
    let mails = mailbox.wait_for(1).await;
    assert_eq!(mails[0].recipients, ["ora@example.com"]);
    assert_eq!(
        mails[0].header("Subject").as_deref(),
        Some("New login to your account on auth.tessera.test")
    );
    assert!(
        mails[0]
            .text
            .contains("Chrome on Windows, address 127.0.0.1"),
        "{}",
        mails[0].text
    );
    // Known now; and an account without an address gets nothing.
    sign_in("ora", "ora's password", CHROME).await;
    sign_in("pat", "pat's password", FIREFOX).await;
    sign_in("pat", "pat's password", CHROME).await;
    assert_eq!(app.tessera.mail.send_due().await.unwrap(), 0);
    assert_eq!(mailbox.mails().len(), 1);
}
