//! Never fail open: an instance that cannot read the change log for longer
//! than `--max-sync-lag` (database unreachable, sync stalled) answers access
//! tokens 503 and `/healthz` 503, instead of accepting tokens that may have
//! been revoked elsewhere; once it catches up, it refuses the revoked ones.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

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

    // No sync loop runs in this test server: the registry goes stale.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let refused = app.hello(&access).await;
    assert_eq!((refused.status, refused.text()), (503, OUT_OF_SYNC.into()));
    assert_eq!(refused.header("retry-after"), Some("1"));
    let verify = app.verify(&access).await;
    assert_eq!((verify.status, verify.text()), (503, OUT_OF_SYNC.into()));
    let health = app.get("/healthz", &[]).await;
    assert_eq!(health.status, 503);
    assert_eq!(health.json()["sync"], "behind");
    assert!(health.json()["sync_lag_ms"].as_u64().unwrap() >= 800);
    // A forged or expired token is still what it is (401), not 503.
    assert_eq!(app.hello("not.a.token").await.status, 401);

    app.tessera.sync().await.unwrap();
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
/// instance A logs a session out: B never accepts the revoked token.
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
    // Both run their sync loop, as `tessera serve` does (faster, for the test).
    let every = Duration::from_millis(100);
    let _a_sync = tessera_server::maintenance::spawn(a.tessera.clone(), every);
    let _b_sync = tessera_server::maintenance::spawn(b.tessera.clone(), every);

    a.add_user("vitor", "vitor-password").await;
    let login = b.login("vitor", "vitor-password").await;
    assert_eq!(login.status, 200);
    let access = str_field(&login.json(), "access");
    let refresh = str_field(&login.json(), "refresh");
    assert_eq!(b.hello(&access).await.status, 200);

    proxy.cut();
    let cut_at = Instant::now();
    assert_eq!(a.blacklist(&refresh).await.status, 200);
    // B may serve what it knew until its bound passes, never after.
    let mut last_accepted = None;
    let mut refused = false;
    while cut_at.elapsed() < max_lag + Duration::from_secs(2) {
        // When the request left: B checked it later than that, so a 200 for
        // a request sent past the bound would be a fail-open.
        let sent = cut_at.elapsed();
        let reply = b.hello(&access).await;
        match reply.status {
            200 => last_accepted = Some(sent),
            503 => refused = true,
            other => panic!("unexpected {other}: {}", reply.text()),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(refused, "B never noticed it was cut off");
    if let Some(last) = last_accepted {
        assert!(
            last <= max_lag + Duration::from_millis(250),
            "B accepted a request sent {last:?} after it lost its database"
        );
    }
    let health = b.get("/healthz", &[]).await;
    assert_eq!(
        (health.status, &health.json()["sync"]),
        (503, &"behind".into())
    );
    // A, in sync, refuses the revoked token as usual.
    assert_eq!(a.hello(&access).await.status, 401);

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let reply = b.hello(&access).await;
        if reply.status == 401 {
            assert_eq!(
                reply.text(),
                support::access_refused("Token is blacklisted")
            );
            break;
        }
        assert_eq!(reply.status, 503, "{}", reply.text());
        assert!(Instant::now() < deadline, "B never caught up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(b.get("/healthz", &[]).await.status, 200);
}
