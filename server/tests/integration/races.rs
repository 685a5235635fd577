//! No race outlives a change: logins whose password check is in flight while
//! `passwd` or `deactivate` commits never leave a working token behind, and a
//! rehash never replaces a newer hash. Real concurrency, both engines.

use crate::support;

use std::sync::Arc;

use support::{spawn_app_with, str_field, Engine, TestApp};

support::on_both_engines!(
    no_login_in_flight_outlives_a_password_change,
    no_login_in_flight_outlives_a_deactivation,
    a_rehash_in_flight_never_replaces_a_new_password,
);

const LOGINS: usize = 24;
/// When the change commits: once this many of the logins' password checks
/// have finished (0: before any), so it lands before, among and after them.
const DELAYS_MS: [u64; 4] = [0, 1, 4, 12];

async fn app(engine: Engine) -> Arc<TestApp> {
    let app = spawn_app_with(engine, |settings| {
        // Many logins of one user at once are not an attack here.
        settings.throttle.free_failures = 100_000;
        settings.throttle.address_failures = 100_000;
        settings.max_queued_hashes = 256;
    })
    .await;
    app.add_user("alice", "old password").await;
    Arc::new(app)
}

/// Starts `LOGINS` logins, runs `change` once `delay` of their password
/// checks are done (the hasher's count: an event, not a wait), and returns
/// the token pairs the logins got.
async fn logins_around<F, Fut>(
    app: &Arc<TestApp>,
    password: &str,
    delay: u64,
    change: F,
) -> Vec<(String, String)>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let checked_before = app.tessera.upkeep.hasher_stats().computed;
    let logins: Vec<_> = (0..LOGINS)
        .map(|_| {
            let (app, password) = (app.clone(), password.to_owned());
            tokio::spawn(async move { app.login("alice", &password).await })
        })
        .collect();
    support::eventually("the logins' password checks", || async {
        app.tessera.upkeep.hasher_stats().computed >= checked_before + delay
    })
    .await;
    change().await;
    let mut issued = Vec::new();
    for login in logins {
        let reply = login.await.unwrap();
        match reply.status {
            200 => {
                let body = reply.json();
                issued.push((str_field(&body, "access"), str_field(&body, "refresh")));
            }
            401 => {}
            other => panic!("unexpected {other}: {}", reply.text()),
        }
    }
    issued
}

async fn assert_all_dead(app: &TestApp, issued: &[(String, String)]) {
    for (access, refresh) in issued {
        assert_eq!(
            app.hello(access).await.status,
            401,
            "an access token survived"
        );
        assert_eq!(
            app.refresh(refresh).await.status,
            401,
            "a refresh token survived"
        );
    }
}

async fn no_login_in_flight_outlives_a_password_change(engine: Engine) {
    let app = app(engine).await;
    let mut issued_in_all = 0;
    for (round, delay) in DELAYS_MS.into_iter().enumerate() {
        let old = if round == 0 {
            "old password".to_owned()
        } else {
            format!("password {}", round - 1)
        };
        let new = format!("password {round}");
        let issued = logins_around(&app, &old, delay, || async {
            app.tessera
                .accounts
                .set_password("alice", &new)
                .await
                .unwrap();
        })
        .await;
        issued_in_all += issued.len();
        assert_all_dead(&app, &issued).await;
        assert_eq!(app.login("alice", &old).await.status, 401);
        assert_eq!(app.login("alice", &new).await.status, 200);
    }
    eprintln!("{issued_in_all} pairs were issued around the changes; none survived");
}

async fn no_login_in_flight_outlives_a_deactivation(engine: Engine) {
    let app = app(engine).await;
    for delay in DELAYS_MS {
        let issued = logins_around(&app, "old password", delay, || async {
            app.tessera
                .accounts
                .set_active("alice", false)
                .await
                .unwrap();
        })
        .await;
        assert_all_dead(&app, &issued).await;
        assert_eq!(app.login("alice", "old password").await.status, 401);
        app.tessera
            .accounts
            .set_active("alice", true)
            .await
            .unwrap();
    }
}

async fn a_rehash_in_flight_never_replaces_a_new_password(engine: Engine) {
    let app = app(engine).await;
    for (round, delay) in DELAYS_MS.into_iter().enumerate() {
        // An outdated hash: every successful login rehashes it.
        let old = format!("old {round}");
        let outdated = crate::support::outdated_hash(&old);
        app.tessera
            .accounts
            .set_password("alice", "placeholder")
            .await
            .unwrap();
        set_stored_hash(&app, &outdated).await;
        let new = format!("new {round}");
        let issued = logins_around(&app, &old, delay, || async {
            app.tessera
                .accounts
                .set_password("alice", &new)
                .await
                .unwrap();
        })
        .await;
        assert_all_dead(&app, &issued).await;
        assert_eq!(
            app.login("alice", &new).await.status,
            200,
            "the new password holds"
        );
        assert_eq!(app.login("alice", &old).await.status, 401);
    }
}

/// Puts a hash in place directly, as an older version would have left it.
async fn set_stored_hash(app: &TestApp, hash: &str) {
    match app.tessera.store() {
        tessera::Store::Sqlite { writes, .. } => {
            sqlx::query("UPDATE users SET password_hash = $1 WHERE username = 'alice'")
                .bind(hash)
                .execute(writes)
                .await
                .unwrap();
        }
        tessera::Store::Postgres(pool) => {
            sqlx::query("UPDATE users SET password_hash = $1 WHERE username = 'alice'")
                .bind(hash)
                .execute(pool)
                .await
                .unwrap();
        }
    }
}
