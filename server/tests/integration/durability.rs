//! What the server acknowledged survives `kill -9`: the real binary under
//! load (sign-ups, rotations, logouts) is killed with SIGKILL, started again
//! on the same SQLite file, and every acknowledged write is still there.

use crate::support;

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use leptos::server_fn::ServerFn;
use tessera_app::api::SignUp;

use support::{http, str_field, TempDir};

struct Server {
    child: Child,
    addr: SocketAddr,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(dir: &TempDir, port: u16) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/tessera.db", dir.0.display()),
        )
        .env("TESSERA_SECRET_KEY", support::SECRET)
        .env("TESSERA_ALLOW_SIGNUP", "true")
        // Many sign-ups and logins from one address are the load here.
        .env("TESSERA_LOGIN_ADDRESS_FAILURES", "100000")
        .env("TESSERA_SIGNUP_ADDRESS_ATTEMPTS", "100000")
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_SITE_ROOT", dir.0.display().to_string())
        .env("LEPTOS_OUTPUT_NAME", "tessera")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the tessera binary starts");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    support::eventually("the server listening", || async {
        tokio::net::TcpStream::connect(addr).await.is_ok()
    })
    .await;
    Server { child, addr }
}

fn json_request(path: &str, body: &serde_json::Value) -> Vec<u8> {
    http::request(
        "POST",
        path,
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    )
}

async fn post_json(addr: SocketAddr, path: &str, body: serde_json::Value) -> http::Reply {
    http::send(addr, &json_request(path, &body)).await
}

/// The body of a 200 answer to `raw`; `None` when the server refused or was
/// killed mid-request (the test client then panics in a task of its own).
async fn acknowledged_answer(addr: SocketAddr, raw: Vec<u8>) -> Option<serde_json::Value> {
    let reply = tokio::spawn(async move { http::send(addr, &raw).await })
        .await
        .ok()?;
    (reply.status == 200).then(|| reply.json())
}

async fn hello(addr: SocketAddr, access: &str) -> u16 {
    let raw = http::request(
        "GET",
        "/hello/",
        &[("Authorization", &format!("Bearer {access}"))],
        b"",
    );
    http::send(addr, &raw).await.status
}

/// What the server said yes to before it was killed.
#[derive(Default)]
struct Acknowledged {
    users: Vec<String>,
    /// Refresh tokens whose rotation was acknowledged (now retired).
    rotated: Vec<String>,
    /// `(access, refresh)` of sessions whose logout was acknowledged.
    logged_out: Vec<(String, String)>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nothing_acknowledged_is_lost_to_kill_9() {
    let dir = TempDir::new();
    let port = free_port();
    let mut server = start(&dir, port).await;
    let addr = server.addr;
    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));

    let mut load = Vec::new();
    for worker in 0..4 {
        let acknowledged = acknowledged.clone();
        load.push(tokio::spawn(async move {
            for round in 0.. {
                let name = format!("user-{worker}-{round}");
                let form = format!("username={name}&password=password-{name}");
                let sign_up = http::request(
                    "POST",
                    SignUp::PATH,
                    &[("Content-Type", "application/x-www-form-urlencoded")],
                    form.as_bytes(),
                );
                let Some(tokens) = acknowledged_answer(addr, sign_up).await else {
                    return;
                };
                acknowledged.lock().unwrap().users.push(name.clone());
                let mut refresh = str_field(&tokens, "refresh");
                let access = str_field(&tokens, "access");
                for _ in 0..3 {
                    let body = serde_json::json!({ "refresh": refresh });
                    let Some(rotated) =
                        acknowledged_answer(addr, json_request("/api/token/refresh/", &body)).await
                    else {
                        return;
                    };
                    acknowledged.lock().unwrap().rotated.push(refresh);
                    refresh = str_field(&rotated, "refresh");
                }
                let body = serde_json::json!({ "refresh": refresh });
                if acknowledged_answer(addr, json_request("/api/token/blacklist/", &body))
                    .await
                    .is_none()
                {
                    return;
                }
                acknowledged
                    .lock()
                    .unwrap()
                    .logged_out
                    .push((access, refresh));
            }
        }));
    }
    // Let the load do enough to prove something, then kill the server in
    // the middle of it.
    support::eventually("the load's first acknowledged writes", || {
        let done = {
            let acknowledged = acknowledged.lock().unwrap();
            acknowledged.users.len() >= 6 && acknowledged.logged_out.len() >= 2
        };
        async move { done }
    })
    .await;
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    for task in load {
        task.abort();
        let _ = task.await;
    }
    let acknowledged = std::mem::take(&mut *acknowledged.lock().unwrap());
    assert!(
        acknowledged.users.len() >= 4 && !acknowledged.logged_out.is_empty(),
        "the load did too little to prove anything: {} users",
        acknowledged.users.len()
    );

    let mut restarted = start(&dir, port).await;
    let addr = restarted.addr;
    for name in &acknowledged.users {
        let reply = post_json(
            addr,
            "/api/token/",
            serde_json::json!({ "username": name, "password": format!("password-{name}") }),
        )
        .await;
        assert_eq!(reply.status, 200, "user {name} was lost: {}", reply.text());
    }
    for (access, refresh) in &acknowledged.logged_out {
        assert_eq!(hello(addr, access).await, 401, "a logout was lost");
        let reply = post_json(
            addr,
            "/api/token/refresh/",
            serde_json::json!({ "refresh": refresh }),
        )
        .await;
        assert_eq!(reply.status, 401, "a logout was lost");
    }
    for retired in &acknowledged.rotated {
        let reply = post_json(
            addr,
            "/api/token/refresh/",
            serde_json::json!({ "refresh": retired }),
        )
        .await;
        assert_eq!(
            reply.status, 401,
            "a rotation was lost: its retired token is current again"
        );
    }
    eprintln!(
        "after kill -9: {} users, {} rotations, {} logouts acknowledged and all kept",
        acknowledged.users.len(),
        acknowledged.rotated.len(),
        acknowledged.logged_out.len()
    );
    restarted.child.kill().unwrap();
    restarted.child.wait().unwrap();
}
