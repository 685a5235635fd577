//! `--cached-users`: a server holds the users it saw recently, not every
//! user; any other is read from the database when one of its tokens comes.
//! Whatever is or is not held, no token is accepted that the database's
//! state refuses: changes made elsewhere reach users held and users not
//! held alike, even while reads of missing users race with the change log.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tessera::import::ImportedUser;
use tessera::UpkeepTasks;

use crate::support::{
    self, forge, spawn_app_with, spawn_instance, Engine, TempDir, TestApp, SECRET,
};

support::on_both_engines!(users_beyond_the_cache_are_read_when_needed);

/// The instances here never poll in time: what arrives, was pushed.
const POLL_RARELY: Duration = Duration::from_secs(3600);

async fn until_status(app: &TestApp, access: &str, status: u16, what: &str) {
    app.hello_until(access, status, what).await;
}

/// `count` users made on `app`, and an access token of each.
async fn users_with_tokens(app: &TestApp, count: usize) -> Vec<String> {
    let mut tokens = Vec::new();
    for i in 0..count {
        let name = format!("user{i}");
        app.add_user(&name, "their-password").await;
        tokens.push(app.tokens(&name, "their-password").await.0);
    }
    tokens
}

async fn users_beyond_the_cache_are_read_when_needed(engine: Engine) {
    let app = spawn_app_with(engine, |settings| settings.cached_users = 4).await;
    let tokens = users_with_tokens(&app, 12).await;
    // Twice round: every user has left the cache at least once by the second.
    for _ in 0..2 {
        for access in &tokens {
            assert_eq!(app.hello(access).await.status, 200);
        }
    }
    app.tessera
        .accounts
        .set_active("user0", false)
        .await
        .unwrap();
    let refused = app.hello(&tokens[0]).await;
    assert_eq!(refused.status, 401, "{}", refused.text());
    for access in &tokens[1..] {
        assert_eq!(app.hello(access).await.status, 200);
    }
}

async fn two_instances(cached_users: usize) -> (Arc<TestApp>, Arc<TestApp>, Vec<UpkeepTasks>) {
    // Tokens forged for a user not made yet are the point of one test here.
    let a = spawn_app_with(Engine::Postgres, |settings| {
        settings.accept_foreign_tokens = true;
    })
    .await;
    let mut settings = a.settings.clone();
    settings.cached_users = cached_users;
    let b = spawn_instance(&a.database_url, &settings, TempDir::new()).await;
    let upkeep = vec![
        a.tessera.upkeep.spawn(POLL_RARELY),
        b.tessera.upkeep.spawn(POLL_RARELY),
    ];
    (Arc::new(a), Arc::new(b), upkeep)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_user_changed_elsewhere_is_refused_whether_held_or_not() {
    let (a, b, _upkeep) = two_instances(2).await;
    let tokens = users_with_tokens(&a, 6).await;
    // b reads each user once; only the last two stay held.
    for access in &tokens {
        assert_eq!(b.hello(access).await.status, 200);
    }
    for (i, access) in tokens.iter().enumerate() {
        a.tessera
            .accounts
            .set_active(&format!("user{i}"), false)
            .await
            .unwrap();
        until_status(&b, access, 401, &format!("user{i}, deactivated on a")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reads_of_missing_users_racing_changes_never_keep_a_stale_user() {
    // Eight places for thirty users: nearly every request of b is a read.
    let (a, b, _upkeep) = two_instances(8).await;
    let tokens = Arc::new(users_with_tokens(&a, 30).await);
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicUsize::new(0));
    let readers: Vec<_> = (0..4)
        .map(|reader| {
            let (b, tokens, stop, reads) = (b.clone(), tokens.clone(), stop.clone(), reads.clone());
            tokio::spawn(async move {
                let mut i = reader;
                while !stop.load(Ordering::Relaxed) {
                    b.hello(&tokens[i % tokens.len()]).await;
                    reads.fetch_add(1, Ordering::Relaxed);
                    i += 7;
                }
            })
        })
        .collect();
    // Every user deactivated on a while b keeps reading them: a few reads
    // between two changes, so reads and syncs interleave.
    for i in 0..30 {
        a.tessera
            .accounts
            .set_active(&format!("user{i}"), false)
            .await
            .unwrap();
        let after = reads.load(Ordering::Relaxed) + 4;
        support::eventually("b's readers reading", || async {
            reads.load(Ordering::Relaxed) >= after
        })
        .await;
    }
    // b has caught up with the last change while its readers still run.
    until_status(&b, &tokens[29], 401, "the last deactivation").await;
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.await.unwrap();
    }
    // Whatever b held or read meanwhile, every token is refused now.
    for (i, access) in tokens.iter().enumerate() {
        let reply = b.hello(access).await;
        assert_eq!(reply.status, 401, "user{i}: {}", reply.text());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unknown_user_held_as_such_is_known_once_imported_elsewhere() {
    let (a, b, _upkeep) = two_instances(100).await;
    let now = b.now();
    let access = forge(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        &format!(
            r#"{{"token_type":"access","exp":{},"iat":{now},"jti":"forged-for-a-future-user","user_id":424242}}"#,
            now + 600
        ),
        SECRET.as_bytes(),
    );
    // Unknown, twice: the second answer comes from memory.
    for _ in 0..2 {
        let reply = b.hello(&access).await;
        assert_eq!(reply.status, 401);
        assert!(reply.text().contains("user_not_found"), "{}", reply.text());
    }
    // Imported on a with that id (as from a Django site): b learns of it.
    let report = a
        .tessera
        .accounts
        .import_users(&[ImportedUser {
            id: Some(424242),
            username: "imported".into(),
            password_hash: "pbkdf2_sha256$1000000$salt$hash".into(),
            is_active: true,
            ..ImportedUser::default()
        }])
        .await
        .unwrap();
    assert_eq!(report.kept_ids, 1, "{report:?}");
    until_status(&b, &access, 200, "the imported user's token").await;
}
