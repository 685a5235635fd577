//! Load client for refresh-token rotation: each connection logs in once, then
//! refreshes in a loop with the refresh token of its previous response, so
//! every request is a real rotation (a database write).
//! wrk cannot do this: its Lua state is shared by the connections of a thread.
//!
//!   refresh_chain BASE_URL CONNECTIONS SECONDS USERNAME PASSWORD
//!
//! Prints `refresh_rotate_c<N>_rps`, `_p50`, `_p99` and `_errors` lines.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tessera_bench::Connection;

fn field(body: &[u8], name: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value[name].as_str().map(str::to_owned)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 6 {
        eprintln!("usage: refresh_chain BASE_URL CONNECTIONS SECONDS USERNAME PASSWORD");
        std::process::exit(2);
    }
    let addr: SocketAddr = args[1]
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .expect("BASE_URL is http://IP:PORT");
    let connections: usize = args[2].parse().expect("CONNECTIONS is a number");
    let seconds: u64 = args[3].parse().expect("SECONDS is a number");
    let login = serde_json::json!({ "username": args[4], "password": args[5] }).to_string();

    // Log every connection in first (logins are slow by design), then start
    // all chains at once.
    let mut chains = Vec::new();
    for _ in 0..connections {
        let mut connection = Connection::open(addr).await.expect("connect");
        let (status, body) = connection.post("/api/token/", &login).await.expect("login");
        assert_eq!(
            status,
            200,
            "login failed: {}",
            String::from_utf8_lossy(&body)
        );
        chains.push((
            connection,
            field(&body, "refresh").expect("a refresh token"),
        ));
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = chains
        .into_iter()
        .map(|(mut connection, mut refresh)| {
            tokio::spawn(async move {
                let (mut latencies, errors) = (Vec::new(), 0u64);
                while Instant::now() < deadline {
                    let body = format!(r#"{{"refresh":"{refresh}"}}"#);
                    let sent = Instant::now();
                    match connection.post("/api/token/refresh/", &body).await {
                        Ok((200, reply)) => {
                            latencies.push(sent.elapsed());
                            match field(&reply, "refresh") {
                                Some(next) => refresh = next,
                                None => return (latencies, errors + 1),
                            }
                        }
                        _ => return (latencies, errors + 1),
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for task in tasks {
        let (mut own, own_errors) = task.await.expect("chain task");
        latencies.append(&mut own);
        errors += own_errors;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let percentile = |p: f64| tessera_bench::percentile_ms(&latencies, p);
    let name = format!("refresh_rotate_c{connections}");
    println!("{name}_rps {:.2}", latencies.len() as f64 / elapsed);
    println!("{name}_p50 {:.2}ms", percentile(0.50));
    println!("{name}_p99 {:.2}ms", percentile(0.99));
    println!("{name}_errors {errors}");
}
