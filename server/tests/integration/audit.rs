//! The audit log through the real server, on both engines: a scripted
//! attack leaves exactly the events it fired (throttled attempts folded into
//! one row per address and minute), the table refuses to be changed but by
//! the retention purge, two instances write every event once, and a person
//! reads their own activity through the app's server function.

use std::sync::Arc;

use tessera::{AuditEntry, AuditKind, AuditQuery};

use crate::support::http::request;
use crate::support::{on_both_engines, spawn_app_with, spawn_instance, Engine, TempDir, TestApp};

const FIREFOX_LINUX: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

async fn login_as_firefox(app: &TestApp, username: &str, password: &str) -> crate::support::Reply {
    let body = serde_json::json!({ "username": username, "password": password }).to_string();
    app.send(request(
        "POST",
        "/api/token/",
        &[
            ("Content-Type", "application/json"),
            ("User-Agent", FIREFOX_LINUX),
        ],
        body.as_bytes(),
    ))
    .await
}

/// Every event, oldest first.
async fn all_events(app: &TestApp) -> Vec<AuditEntry> {
    let mut events = app
        .tessera
        .audit
        .events(&AuditQuery {
            limit: AuditQuery::MAX_LIMIT,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    events.reverse();
    events
}

fn kinds(events: &[AuditEntry]) -> Vec<&str> {
    events.iter().map(|event| event.kind.as_str()).collect()
}

async fn a_scripted_attack_leaves_exactly_its_events(engine: Engine) {
    let app = spawn_app_with(engine, |_| {}).await;
    let alice = app.add_user("alice", "alice-password").await;

    // Alice logs in from Firefox.
    let login = login_as_firefox(&app, "alice", "alice-password").await;
    assert_eq!(login.status, 200);
    let refresh = login.json()["refresh"].as_str().unwrap().to_owned();
    // Someone guesses: five wrong passwords lock the name, an unknown name
    // fails alike, three more attempts are refused by the throttle.
    for _ in 0..5 {
        assert_eq!(app.login("alice", "guess").await.status, 401);
    }
    assert_eq!(app.login("mallory", "guess").await.status, 401);
    for _ in 0..3 {
        assert_eq!(app.login("alice", "guess").await.status, 429);
    }
    // The refresh token is stolen and used after alice's own refresh.
    let rotated = app.refresh(&refresh).await;
    assert_eq!(rotated.status, 200);
    assert_eq!(app.refresh(&refresh).await.status, 401);

    // The server's first start made its signing key: that is an event too.
    let all = all_events(&app).await;
    assert_eq!(kinds(&all[..1]), ["signing_key_added"]);
    let events = &all[1..];
    assert_eq!(
        kinds(events),
        [
            "user_created",
            "login_succeeded",
            "login_failed",
            "login_failed",
            "login_failed",
            "login_failed",
            "login_failed",
            "login_failed",
            "login_throttled",
            "refresh_reuse",
        ]
    );
    let succeeded = &events[1];
    assert_eq!(succeeded.user_id, Some(alice));
    assert_eq!(succeeded.username.as_deref(), Some("alice"));
    assert_eq!(succeeded.device.as_deref(), Some("Firefox on Linux"));
    assert_eq!(succeeded.address.as_deref(), Some("127.0.0.1"));
    let session = succeeded.session_id.clone().unwrap();
    assert_eq!(events[2].detail.as_deref(), Some("wrong password"));
    assert_eq!(events[2].user_id, Some(alice));
    let unknown = &events[7];
    assert_eq!(
        (
            unknown.user_id,
            unknown.username.as_deref(),
            unknown.detail.as_deref()
        ),
        (None, Some("mallory"), Some("no such user"))
    );
    let throttled = &events[8];
    assert_eq!(throttled.count, 3, "one row for the address's minute");
    assert_eq!(throttled.address.as_deref(), Some("127.0.0.1"));
    let reuse = &events[9];
    assert_eq!(
        (reuse.user_id, reuse.session_id.as_deref()),
        (Some(alice), Some(session.as_str()))
    );
    // Nothing secret went in: no password, no token.
    let everything = format!("{events:?}");
    for secret in ["alice-password", "guess", refresh.as_str()] {
        assert!(!everything.contains(secret), "{secret} in the audit log");
    }

    // A minute later (the name's wait over) one more guess locks it again,
    // and the next refused attempt starts a row of its own.
    app.advance(60);
    assert_eq!(app.login("alice", "guess").await.status, 401);
    assert_eq!(app.login("alice", "guess").await.status, 429);
    let events = all_events(&app).await;
    assert_eq!(kinds(&events[11..]), ["login_failed", "login_throttled"]);
    assert_eq!(events[12].count, 1);
}

async fn a_persons_own_acts_are_recorded(engine: Engine) {
    let app = spawn_app_with(engine, |_| {}).await;
    let alice = app.add_user("alice", "alice-password").await;
    let first = login_as_firefox(&app, "alice", "alice-password")
        .await
        .json();
    let second = login_as_firefox(&app, "alice", "alice-password")
        .await
        .json();
    let third = login_as_firefox(&app, "alice", "alice-password")
        .await
        .json();
    let bearer = |access: &serde_json::Value| format!("Bearer {}", access.as_str().unwrap());

    // Ends the second session from the first, then logs the third out.
    let second_id = crate::support::payload(second["access"].as_str().unwrap())["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let ended = app
        .send(request(
            "DELETE",
            &format!("/api/sessions/{second_id}/"),
            &[("Authorization", &bearer(&first["access"]))],
            b"",
        ))
        .await;
    assert_eq!(ended.status, 204);
    assert_eq!(
        app.blacklist(third["refresh"].as_str().unwrap())
            .await
            .status,
        200
    );
    // A wrong current password, then a password change.
    let change = |old: &str| {
        serde_json::json!({ "old_password": old, "new_password": "a-new-password" }).to_string()
    };
    for (old, status) in [("wrong", 400), ("alice-password", 200)] {
        let reply = app
            .send(request(
                "POST",
                "/api/password/change/",
                &[
                    ("Authorization", &bearer(&first["access"])),
                    ("Content-Type", "application/json"),
                ],
                change(old).as_bytes(),
            ))
            .await;
        assert_eq!(reply.status, status, "{}", reply.text());
    }
    // The operator deactivates the account.
    app.tessera
        .accounts
        .set_active("alice", false)
        .await
        .unwrap();

    let mut events = app.tessera.audit.recent_of(alice, 30).await.unwrap();
    events.reverse();
    assert_eq!(
        kinds(&events),
        [
            "user_created",
            "login_succeeded",
            "login_succeeded",
            "login_succeeded",
            "session_ended",
            "logout",
            "login_failed",
            "password_changed",
            "user_deactivated",
        ]
    );
    assert_eq!(
        events[4].detail.as_deref(),
        Some("by the owner, from another session")
    );
    assert_eq!(events[4].session_id.as_deref(), Some(second_id.as_str()));
    assert_eq!(
        events[6].detail.as_deref(),
        Some("wrong current password at a password change")
    );
    // Only the first session was still live (the second ended, the third
    // logged out).
    assert_eq!(events[7].detail.as_deref(), Some("1 session ended"));
    assert_eq!(events[8].detail.as_deref(), Some("by an operator"));
}

/// Nothing but the retention purge deletes an event, and nothing changes
/// one: the database itself refuses (a trigger on each engine).
async fn the_audit_log_cannot_be_changed_but_expires(engine: Engine) {
    let app = spawn_app_with(engine, |settings| {
        settings.audit_retention = std::time::Duration::from_secs(24 * 3600);
    })
    .await;
    app.add_user("alice", "alice-password").await;
    let statements = [
        "UPDATE audit_events SET kind = 'login_succeeded'",
        "UPDATE audit_events SET detail = NULL",
        "DELETE FROM audit_events",
    ];
    for statement in statements {
        let refused = execute(&app, engine, statement).await;
        let error = refused.expect_err(statement);
        assert!(error.contains("append-only"), "{statement}: {error}");
    }
    if engine == Engine::Postgres {
        let error = execute(&app, engine, "TRUNCATE audit_events")
            .await
            .unwrap_err();
        assert!(error.contains("append-only"), "{error}");
    }
    assert_eq!(
        kinds(&all_events(&app).await),
        ["signing_key_added", "user_created"]
    );

    // A day later the upkeep task purges it.
    app.advance(24 * 3600 + 1);
    app.add_user("bob", "bob-password").await;
    app.tessera.upkeep.flush_expired().await.unwrap();
    let left = all_events(&app).await;
    assert_eq!(
        left.iter()
            .map(|event| event.username.as_deref())
            .collect::<Vec<_>>(),
        [Some("bob")]
    );
}

/// Runs one statement on the test's database, as an intruder with a
/// database connection would.
async fn execute(app: &TestApp, engine: Engine, statement: &'static str) -> Result<u64, String> {
    match engine {
        Engine::Sqlite => {
            let url = app.database_url.replace("sqlite://", "sqlite:");
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            let outcome = sqlx::query(statement).execute(&pool).await;
            pool.close().await;
            outcome
                .map(|done| done.rows_affected())
                .map_err(|error| error.to_string())
        }
        Engine::Postgres => {
            let pool = sqlx::PgPool::connect(&app.database_url).await.unwrap();
            let outcome = sqlx::query(statement).execute(&pool).await;
            pool.close().await;
            outcome
                .map(|done| done.rows_affected())
                .map_err(|error| error.to_string())
        }
    }
}

/// The app's "Recent activity": the person's own events through the server
/// function, never anyone else's.
async fn a_person_reads_their_own_activity_only(engine: Engine) {
    use leptos::server_fn::ServerFn;
    use tessera_app::api::MyActivity;

    let app = spawn_app_with(engine, |_| {}).await;
    app.add_user("alice", "alice-password").await;
    app.add_user("bob", "bob-password").await;
    let (access, _) = app.tokens("alice", "alice-password").await;
    assert_eq!(app.login("bob", "wrong").await.status, 401);
    let reply = app
        .send(request(
            "POST",
            MyActivity::PATH,
            &[
                ("Authorization", &format!("Bearer {access}")),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            b"",
        ))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let items = reply.json();
    let items: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["kind"].as_str().unwrap())
        .collect();
    assert_eq!(items, ["login_succeeded", "user_created"]);
}

on_both_engines!(
    a_scripted_attack_leaves_exactly_its_events,
    a_persons_own_acts_are_recorded,
    the_audit_log_cannot_be_changed_but_expires,
    a_person_reads_their_own_activity_only,
);

/// Two instances on one PostgreSQL database log in side by side: every
/// event is written once, whichever instance wrote it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_record_every_event_once() {
    let first = Arc::new(spawn_app_with(Engine::Postgres, |_| {}).await);
    let second =
        Arc::new(spawn_instance(&first.database_url, &first.settings, TempDir::new()).await);
    for person in 0..10 {
        first
            .add_user(&format!("person{person}"), "right-password")
            .await;
    }
    let logins: Vec<_> = (0..40)
        .map(|n| {
            let instance = if n % 2 == 0 {
                first.clone()
            } else {
                second.clone()
            };
            tokio::spawn(async move {
                let name = format!("person{}", n % 10);
                let password = if n % 4 == 3 {
                    "wrong"
                } else {
                    "right-password"
                };
                instance.login(&name, password).await.status
            })
        })
        .collect();
    let mut expected = (0, 0);
    for login in logins {
        match login.await.unwrap() {
            200 => expected.0 += 1,
            401 => expected.1 += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(expected, (30, 10));
    for instance in [&first, &second] {
        let events = all_events(instance).await;
        let count = |kind: AuditKind| events.iter().filter(|e| e.kind == kind.as_str()).count();
        assert_eq!(
            (
                count(AuditKind::LoginSucceeded),
                count(AuditKind::LoginFailed)
            ),
            expected
        );
        let mut ids: Vec<i64> = events.iter().map(|event| event.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), events.len());
    }
}
