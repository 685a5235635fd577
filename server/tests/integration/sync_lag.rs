//! Never fail open: an instance that cannot read the change log for longer
//! than `--max-sync-lag` (database unreachable, sync stalled) answers access
//! tokens 503 and `/healthz` 503, instead of accepting tokens that may have
//! been revoked elsewhere; once it catches up, it refuses the revoked ones.

use std::net::SocketAddr;
use std::time::Duration;

use crate::support::proxy::Proxy;
use crate::support::{
    self, on_both_engines, spawn_app_with, spawn_instance, str_field, Engine, TempDir,
};

const OUT_OF_SYNC: &str =
    r#"{"detail":"The server cannot confirm revocations right now. Try again in 1 second."}"#;

async fn a_stalled_instance_refuses_access_tokens_until_it_catches_up(engine: Engine) {
    let app = spawn_app_with(engine, |settings| {
        settings.max_sync_lag = Duration::from_millis(800);
    })
    .await;
    app.add_user("vitor", "vitor-password").await;
    let (access, _) = app.tokens("vitor", "vitor-password").await;
    assert_eq!(app.hello(&access).await.status, 200);
    assert_eq!(app.get("/healthz", &[]).await.status, 200);

    // No sync loop runs in this test server: the registry goes stale as
    // the server's clock moves past the bound.
    app.clock.advance(Duration::from_millis(801));
    let refused = app.hello(&access).await;
    assert_eq!((refused.status, refused.text()), (503, OUT_OF_SYNC.into()));
    assert_eq!(refused.header("retry-after"), Some("1"));
    let verify = app.verify(&access).await;
    assert_eq!((verify.status, verify.text()), (503, OUT_OF_SYNC.into()));
    let health = app.get("/healthz", &[]).await;
    assert_eq!(health.status, 503);
    assert_eq!(health.json()["sync"], "behind");
    assert_eq!(health.json()["sync_lag_ms"], 801);
    // A forged or expired token is still what it is (401), not 503.
    assert_eq!(app.hello("not.a.token").await.status, 401);

    app.tessera.upkeep.sync().await.unwrap();
    assert_eq!(app.hello(&access).await.status, 200);
    assert_eq!(app.get("/healthz", &[]).await.status, 200);
}

on_both_engines!(a_stalled_instance_refuses_access_tokens_until_it_catches_up);

/// The host and port of a PostgreSQL URL.
fn server_of(url: &str) -> SocketAddr {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let host_port = if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:5432")
    };
    host_port.replace("localhost", "127.0.0.1").parse().unwrap()
}

/// Instance B loses its database (its connections cut at a proxy) while
/// instance A logs a session out: B never accepts the revoked token. B's
/// clock is moved past `--max-sync-lag` instead of waiting for it to pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_instance_cut_from_the_database_never_accepts_a_token_revoked_elsewhere() {
    let max_lag = Duration::from_millis(1000);
    let a = spawn_app_with(Engine::Postgres, |settings| {
        settings.max_sync_lag = max_lag;
    })
    .await;
    let server = server_of(&a.database_url);
    let proxy = Proxy::start(server).await;
    let b = spawn_instance(
        &proxy.route(&a.database_url, server),
        &a.settings,
        TempDir::new(),
    )
    .await;
    // Both run their upkeep, as `tessera serve` does (faster, for the test).
    let every = Duration::from_millis(100);
    let _a_upkeep = a.tessera.upkeep.spawn(every);
    let _b_upkeep = b.tessera.upkeep.spawn(every);

    a.add_user("vitor", "vitor-password").await;
    let login = b.login("vitor", "vitor-password").await;
    assert_eq!(login.status, 200);
    let access = str_field(&login.json(), "access");
    let refresh = str_field(&login.json(), "refresh");
    assert_eq!(b.hello(&access).await.status, 200);

    proxy.cut();
    assert_eq!(a.blacklist(&refresh).await.status, 200);
    // Within the bound B may serve what it knew; past it, never. Its reads
    // fail while cut, so moving its clock is all it takes to pass the bound.
    b.clock.advance(max_lag + Duration::from_millis(1));
    for _ in 0..5 {
        let reply = b.hello(&access).await;
        assert_eq!(reply.status, 503, "past the bound: {}", reply.text());
    }
    let health = b.get("/healthz", &[]).await;
    assert_eq!(
        (health.status, &health.json()["sync"]),
        (503, &"behind".into())
    );
    // A, in sync, refuses the revoked token as usual.
    assert_eq!(a.hello(&access).await.status, 401);

    proxy.restore();
    support::eventually("B catching up once its database is back", || async {
        let reply = b.hello(&access).await;
        assert!(matches!(reply.status, 401 | 503), "{}", reply.text());
        reply.status == 401
    })
    .await;
    assert_eq!(
        b.hello(&access).await.text(),
        support::access_refused("Token is blacklisted")
    );
    assert_eq!(b.get("/healthz", &[]).await.status, 200);
}
