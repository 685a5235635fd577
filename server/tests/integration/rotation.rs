//! Refresh-token rotation, reuse detection and the overlap window, on SQLite
//! and on PostgreSQL.

use crate::support;

use std::collections::HashSet;
use std::time::Duration;

use tessera::testing::Rotation;

use support::{
    access_refused, payload, spawn_app_with, spawn_instance, str_field, Engine, TempDir, TestApp,
};

support::on_both_engines!(
    each_refresh_rotates_into_a_new_token,
    twenty_parallel_refreshes_of_one_token_have_one_winner,
    reusing_a_rotated_token_revokes_the_whole_family,
    within_the_overlap_window_a_retry_gets_the_same_successor,
    the_overlap_window_never_forks_a_second_branch,
    after_the_overlap_window_a_retry_is_a_reuse,
    one_batch_settles_each_rotation_as_if_alone,
    forty_sessions_rotating_at_once_keep_their_own_chains,
    batches_naming_the_same_tokens_in_opposite_orders_rotate_each_once,
);

async fn app(engine: Engine) -> TestApp {
    let app = spawn_app_with(engine, |_| {}).await;
    app.add_user("alice", "pw").await;
    app
}

async fn each_refresh_rotates_into_a_new_token(engine: Engine) {
    let app = app(engine).await;
    let (_, mut refresh) = app.tokens("alice", "pw").await;
    let session = payload(&refresh)["sid"].clone();
    let mut seen = HashSet::new();
    for _ in 0..5 {
        let reply = app.refresh(&refresh).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        let body = reply.json();
        assert_eq!(app.hello(&str_field(&body, "access")).await.status, 200);
        refresh = str_field(&body, "refresh");
        assert_eq!(
            payload(&refresh)["sid"],
            session,
            "rotation stays in the family"
        );
        assert!(seen.insert(refresh.clone()));
    }
}

async fn twenty_parallel_refreshes_of_one_token_have_one_winner(engine: Engine) {
    let app = std::sync::Arc::new(app(engine).await);
    let (access, refresh) = app.tokens("alice", "pw").await;
    let attempts: Vec<_> = (0..20)
        .map(|_| {
            let (app, refresh) = (app.clone(), refresh.clone());
            tokio::spawn(async move { app.refresh(&refresh).await })
        })
        .collect();
    let mut winners = Vec::new();
    for attempt in attempts {
        let reply = attempt.await.unwrap();
        match reply.status {
            200 => winners.push(reply.json()),
            401 => assert_eq!(
                reply.text(),
                r#"{"detail":"Token is blacklisted","code":"token_not_valid"}"#
            ),
            other => panic!("unexpected {other}: {}", reply.text()),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one refresh may win");
    // The losers were reuses of a rotated token: the family is revoked, the
    // winner's tokens included, and no second branch exists.
    let winner_refresh = str_field(&winners[0], "refresh");
    assert_eq!(app.refresh(&winner_refresh).await.status, 401);
    assert_eq!(
        app.hello(&access).await.text(),
        access_refused("Token is blacklisted")
    );
    let session = payload(&refresh)["sid"].as_str().unwrap().to_owned();
    assert_eq!(payload(&winner_refresh)["sid"], session.as_str());
}

async fn reusing_a_rotated_token_revokes_the_whole_family(engine: Engine) {
    let app = app(engine).await;
    let (_, first) = app.tokens("alice", "pw").await;
    let second = str_field(&app.refresh(&first).await.json(), "refresh");
    let body = app.refresh(&second).await.json();
    let (third, access) = (str_field(&body, "refresh"), str_field(&body, "access"));
    assert_eq!(app.hello(&access).await.status, 200);

    // An attacker replays the first token: everything of the family dies.
    let reply = app.refresh(&first).await;
    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.text(),
        r#"{"detail":"Token is blacklisted","code":"token_not_valid"}"#
    );
    assert_eq!(
        app.refresh(&third).await.status,
        401,
        "the current token is revoked too"
    );
    assert_eq!(
        app.hello(&access).await.text(),
        access_refused("Token is blacklisted")
    );
    assert_eq!(
        app.verify(&third).await.text(),
        r#"{"non_field_errors":["Token is blacklisted"]}"#
    );

    // The user can log in again: a new family.
    let (fresh, _) = app.tokens("alice", "pw").await;
    assert_eq!(app.hello(&fresh).await.status, 200);
}

async fn within_the_overlap_window_a_retry_gets_the_same_successor(engine: Engine) {
    let app = spawn_app_with(engine, |settings| {
        settings.rotation_overlap = Duration::from_secs(10)
    })
    .await;
    app.add_user("alice", "pw").await;
    let (_, first) = app.tokens("alice", "pw").await;
    let successor = str_field(&app.refresh(&first).await.json(), "refresh");
    // The response was lost; the client retries with the same token.
    let retry = app.refresh(&first).await;
    assert_eq!(retry.status, 200, "{}", retry.text());
    assert_eq!(str_field(&retry.json(), "refresh"), successor);
    assert_eq!(
        app.hello(&str_field(&retry.json(), "access")).await.status,
        200
    );
    // And the successor is still good.
    assert_eq!(app.refresh(&successor).await.status, 200);
}

async fn the_overlap_window_never_forks_a_second_branch(engine: Engine) {
    let app = spawn_app_with(engine, |settings| {
        settings.rotation_overlap = Duration::from_secs(10)
    })
    .await;
    app.add_user("alice", "pw").await;
    let (_, first) = app.tokens("alice", "pw").await;
    let second = str_field(&app.refresh(&first).await.json(), "refresh");
    let third = str_field(&app.refresh(&second).await.json(), "refresh");
    // `first` is two rotations behind: not a retry but a reuse.
    assert_eq!(app.refresh(&first).await.status, 401);
    assert_eq!(app.refresh(&third).await.status, 401);
}

async fn after_the_overlap_window_a_retry_is_a_reuse(engine: Engine) {
    let app = spawn_app_with(engine, |settings| {
        settings.rotation_overlap = Duration::from_secs(10)
    })
    .await;
    app.add_user("alice", "pw").await;
    let (access, first) = app.tokens("alice", "pw").await;
    assert_eq!(app.refresh(&first).await.status, 200);
    app.advance(11);
    assert_eq!(
        app.refresh(&first).await.text(),
        r#"{"detail":"Token is blacklisted","code":"token_not_valid"}"#
    );
    assert_eq!(
        app.hello(&access).await.text(),
        access_refused("Token is blacklisted")
    );
}

/// Two server instances on one PostgreSQL database, each with the upkeep
/// `tessera serve` runs: what happens on one is seen on the other, through
/// HTTP, within two seconds. (Only PostgreSQL is shared between instances;
/// SQLite's other process, the CLI, is covered in cli.rs.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logout_on_one_instance_reaches_another() {
    use tessera_server::maintenance::SYNC_EVERY;

    let first = app(Engine::Postgres).await;
    let second = spawn_instance(&first.database_url, &first.settings, TempDir::new()).await;
    let _upkeep = [
        first.tessera.upkeep.spawn(SYNC_EVERY),
        second.tessera.upkeep.spawn(SYNC_EVERY),
    ];

    // A user created on one instance logs in on the other at once (login
    // reads the database), and its token works on both.
    first.add_user("bob", "pw").await;
    let (bobs_access, _) = second.tokens("bob", "pw").await;
    assert_eq!(second.hello(&bobs_access).await.status, 200);
    support::eventually("bob's token on the first instance", || async {
        first.hello(&bobs_access).await.status == 200
    })
    .await;

    let (access, refresh) = first.tokens("alice", "pw").await;
    assert_eq!(second.hello(&access).await.status, 200);
    assert_eq!(first.blacklist(&refresh).await.status, 200);
    let took = support::eventually("the logout on the second instance", || async {
        second.hello(&access).await.text() == access_refused("Token is blacklisted")
    })
    .await;
    eprintln!("logout reached the other instance in {took:?}");
}

fn jti(token: &str) -> String {
    payload(token)["jti"].as_str().unwrap().to_owned()
}

fn rotation(jti: &str, successor: &str) -> Rotation {
    Rotation {
        jti: jti.to_owned(),
        successor: successor.to_owned(),
    }
}

/// The grouped statement (what the rotation queue sends under load): in one
/// batch, a current token rotates and every other kind is left untouched.
async fn one_batch_settles_each_rotation_as_if_alone(engine: Engine) {
    let app = app(engine).await;
    let bob = app.add_user("bob", "pw").await;
    let (_, current) = app.tokens("bob", "pw").await;
    let (_, retired) = app.tokens("alice", "pw").await;
    assert_eq!(app.refresh(&retired).await.status, 200);
    let (_, logged_out) = app.tokens("alice", "pw").await;
    assert_eq!(app.blacklist(&logged_out).await.status, 200);

    let now = app.now();
    let store = app.tessera.store();
    let rotated = store
        .rotate_refresh_tokens(
            &[
                rotation("no-such-token", "s1"),
                rotation(&jti(&retired), "s2"),
                rotation(&jti(&current), "s3"),
                rotation(&jti(&logged_out), "s4"),
            ],
            now,
            3600,
        )
        .await
        .unwrap();
    assert_eq!(rotated.len(), 1, "{rotated:?}");
    let winner = &rotated[0];
    assert_eq!(winner.parent, jti(&current));
    assert_eq!(winner.user_id, bob);
    assert_eq!(
        winner.session_id,
        payload(&current)["sid"].as_str().unwrap()
    );
    assert_eq!((winner.issued_at, winner.expires_at), (now, now + 3600));

    // The parent is retired with its successor named; the others are as before.
    let parent = store
        .find_refresh_token(&jti(&current))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(parent.successor.as_deref(), Some("s3"));
    assert_eq!(parent.rotated_at, Some(now));
    let child = store.find_refresh_token("s3").await.unwrap().unwrap();
    assert_eq!((child.user_id, child.rotated_at), (bob, None));
    for absent in ["s1", "s2", "s4"] {
        assert!(store.find_refresh_token(absent).await.unwrap().is_none());
    }
    let untouched = store
        .find_refresh_token(&jti(&logged_out))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(untouched.rotated_at, None);
}

/// Two batches that name the same tokens in opposite orders, at once (two
/// batchers, or two instances, serving a client that races itself): neither
/// fails (on PostgreSQL, locking in the order given could deadlock), and
/// each token rotates exactly once.
async fn batches_naming_the_same_tokens_in_opposite_orders_rotate_each_once(engine: Engine) {
    let app = app(engine).await;
    let store = app.tessera.store();
    for round in 0..3 {
        // Long batches, so that the two overlap in the database.
        let mut jtis = Vec::new();
        for _ in 0..30 {
            let (_, refresh) = app.tokens("alice", "pw").await;
            jtis.push(jti(&refresh));
        }
        let forward: Vec<Rotation> = jtis
            .iter()
            .map(|jti| rotation(jti, &format!("forward-{round}-{jti}")))
            .collect();
        let backward: Vec<Rotation> = jtis
            .iter()
            .rev()
            .map(|jti| rotation(jti, &format!("backward-{round}-{jti}")))
            .collect();
        let now = app.now();
        let (one, other) = tokio::join!(
            store.rotate_refresh_tokens(&forward, now, 3600),
            store.rotate_refresh_tokens(&backward, now, 3600),
        );
        let mut parents: Vec<String> = one
            .expect("the forward batch")
            .into_iter()
            .chain(other.expect("the backward batch"))
            .map(|rotated| rotated.parent)
            .collect();
        parents.sort();
        jtis.sort();
        assert_eq!(parents, jtis, "round {round}: each token rotates once");
    }
}

/// Enough concurrent rotations that they share batches: each session's
/// chain stays its own and every token rotates exactly once.
async fn forty_sessions_rotating_at_once_keep_their_own_chains(engine: Engine) {
    let app = std::sync::Arc::new(app(engine).await);
    let mut chains = Vec::new();
    for _ in 0..40 {
        let app = app.clone();
        let (_, first) = app.tokens("alice", "pw").await;
        chains.push(tokio::spawn(async move {
            let session = payload(&first)["sid"].clone();
            let mut refresh = first;
            for _ in 0..5 {
                let reply = app.refresh(&refresh).await;
                assert_eq!(reply.status, 200, "{}", reply.text());
                let next = str_field(&reply.json(), "refresh");
                assert_eq!(payload(&next)["sid"], session);
                refresh = next;
            }
            refresh
        }));
    }
    for chain in chains {
        let last = chain.await.unwrap();
        assert_eq!(
            app.refresh(&last).await.status,
            200,
            "the chain's end is current"
        );
    }
}
