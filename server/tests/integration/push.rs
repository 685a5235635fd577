//! On PostgreSQL, a revocation is pushed to every instance: the change
//! log's insert trigger NOTIFYs at commit, each instance LISTENs and reads
//! the log by id from the last row it applied. These instances poll once an
//! hour, so only the push can deliver within the bounds below; a lost
//! listening connection is re-established and the instance catches up.

use std::time::Duration;

use crate::support::{spawn_app_with, spawn_instance, Engine, TempDir, TestApp};

/// No instance here polls in time: what arrives, was pushed.
const POLL_RARELY: Duration = Duration::from_secs(3600);

/// How long until `app` answers `/hello/` with `status` for `access`.
async fn until_status(app: &TestApp, access: &str, status: u16) -> Duration {
    // The figures are printed (run with `--nocapture`) and measured by
    // bench/propagation.sh.
    app.hello_until(access, status, "the pushed change").await
}

async fn two_instances() -> (TestApp, TestApp) {
    let a = spawn_app_with(Engine::Postgres, |_| {}).await;
    let b = spawn_instance(&a.database_url, &a.settings, TempDir::new()).await;
    (a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logouts_and_new_users_reach_the_other_instance_without_polling() {
    let (a, b) = two_instances().await;
    let _a_upkeep = a.tessera.upkeep.spawn(POLL_RARELY);
    let _b_upkeep = b.tessera.upkeep.spawn(POLL_RARELY);
    // Made on a after b started: b learns of the user from the log.
    a.add_user("vitor", "vitor-password").await;
    let mut delays = Vec::new();
    for _ in 0..10 {
        let (access, refresh) = a.tokens("vitor", "vitor-password").await;
        until_status(&b, &access, 200).await;
        assert_eq!(a.blacklist(&refresh).await.status, 200);
        delays.push(until_status(&b, &access, 401).await);
    }
    delays.sort();
    eprintln!(
        "logout on a → refused on b: median {:?}, worst {:?}",
        delays[delays.len() / 2],
        delays[delays.len() - 1]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_instance_that_lost_its_listener_catches_up() {
    let (a, b) = two_instances().await;
    let _b_upkeep = b.tessera.upkeep.spawn(POLL_RARELY);
    b.add_user("vitor", "vitor-password").await;
    let (access, refresh) = b.tokens("vitor", "vitor-password").await;

    // Cut every listening connection of this database (b's), then log out
    // on a while b reconnects.
    let admin = sqlx::PgPool::connect(&a.database_url).await.unwrap();
    let cut: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND query LIKE 'LISTEN%'",
    )
    .fetch_all(&admin)
    .await
    .unwrap();
    assert!(!cut.is_empty(), "b listens");
    assert_eq!(a.blacklist(&refresh).await.status, 200);
    until_status(&b, &access, 401).await;
    admin.close().await;
}
