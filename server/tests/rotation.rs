//! Refresh-token rotation, reuse detection and the overlap window, on SQLite
//! and on PostgreSQL.

mod support;

use std::collections::HashSet;

use support::{access_refused, payload, spawn_app_with, str_field, Engine, TestApp};

/// Runs each scenario once per engine.
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

on_both_engines!(
    each_refresh_rotates_into_a_new_token,
    twenty_parallel_refreshes_of_one_token_have_one_winner,
    reusing_a_rotated_token_revokes_the_whole_family,
    within_the_overlap_window_a_retry_gets_the_same_successor,
    the_overlap_window_never_forks_a_second_branch,
    logout_on_one_instance_reaches_another_within_two_seconds,
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
    let app = spawn_app_with(engine, |config| {
        config.rotation_overlap = "10s".parse().unwrap()
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
    let app = spawn_app_with(engine, |config| {
        config.rotation_overlap = "10s".parse().unwrap()
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

async fn logout_on_one_instance_reaches_another_within_two_seconds(engine: Engine) {
    if let Engine::Sqlite = engine {
        // Two instances share one database only on PostgreSQL; the SQLite
        // case (CLI in another process) is covered in cli.rs.
        return;
    }
    let first = app(engine).await;
    let mut config = first.config.clone();
    config.database_url = first.database_url.clone();
    let store = tessera::Store::open(&config.database_url).await.unwrap();
    let second = tessera::TokenService::start(&config, store).await.unwrap();

    let (access, refresh) = first.tokens("alice", "pw").await;
    assert!(second.authenticate(&access).is_ok());

    // A user created on one instance is known to the other after a sync.
    first.add_user("bob", "pw").await;
    second.sync().await.unwrap();
    let (bobs_access, _) = first.tokens("bob", "pw").await;
    assert!(second.authenticate(&bobs_access).is_ok());
    assert_eq!(first.blacklist(&refresh).await.status, 200);
    second.sync().await.unwrap();
    assert!(
        matches!(
            second.authenticate(&access),
            Err(tessera::AuthError::Token(tessera::TokenError::Blacklisted))
        ),
        "the other instance sees the logout after one sync (the server syncs every second)"
    );
}
