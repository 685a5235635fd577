//! What a failed login costs, by path: a name nobody has, a real name with
//! a wrong password, and (for scale) a right password. The three are sent
//! in turn, one at a time on one connection, so each sees the same server;
//! a name-exists oracle would show as a ratio away from 1.
//!
//!   login_cost BASE_URL ROUNDS USERNAME PASSWORD
//!
//! USERNAME must exist with PASSWORD, and the server must allow ROUNDS
//! failures of it (`--login-free-failures`, `--login-address-failures`).
//! Prints `login_<path>_p50`/`_p90` in ms and `login_unknown_over_wrong`,
//! the ratio of the medians.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tessera_bench::{percentile_ms as percentile, Connection};

#[derive(Clone, Copy)]
enum Path {
    UnknownName,
    WrongPassword,
    RightPassword,
}

impl Path {
    const ALL: [Self; 3] = [Self::UnknownName, Self::WrongPassword, Self::RightPassword];

    fn label(self) -> &'static str {
        match self {
            Self::UnknownName => "unknown_name",
            Self::WrongPassword => "wrong_password",
            Self::RightPassword => "right_password",
        }
    }

    fn expected_status(self) -> u16 {
        match self {
            Self::RightPassword => 200,
            _ => 401,
        }
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        eprintln!("usage: login_cost BASE_URL ROUNDS USERNAME PASSWORD");
        std::process::exit(2);
    }
    let addr: SocketAddr = args[1]
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .expect("BASE_URL is http://IP:PORT");
    let rounds: usize = args[2].parse().expect("ROUNDS is a number");
    let (username, password) = (&args[3], &args[4]);
    let mut connection = Connection::open(addr).await.expect("connect");
    let mut latencies: [Vec<Duration>; 3] = Default::default();
    for round in 0..rounds {
        for (index, path) in Path::ALL.into_iter().enumerate() {
            let body = match path {
                // A fresh name every time: an attacker probing for accounts
                // never asks twice.
                Path::UnknownName => serde_json::json!({
                    "username": format!("nobody-{round}-{}", std::process::id()),
                    "password": password,
                }),
                Path::WrongPassword => {
                    serde_json::json!({ "username": username, "password": "not the password" })
                }
                Path::RightPassword => {
                    serde_json::json!({ "username": username, "password": password })
                }
            };
            let sent = Instant::now();
            let (status, reply) = connection
                .post("/api/token/", &body.to_string())
                .await
                .expect("a reply");
            let elapsed = sent.elapsed();
            assert_eq!(
                status,
                path.expected_status(),
                "{}: {}",
                path.label(),
                String::from_utf8_lossy(&reply)
            );
            // The first round warms caches and the hasher's work area.
            if round > 0 {
                latencies[index].push(elapsed);
            }
        }
    }
    let mut medians = [0.0; 3];
    for (index, path) in Path::ALL.into_iter().enumerate() {
        latencies[index].sort();
        medians[index] = percentile(&latencies[index], 0.5);
        println!("login_{}_p50 {:.2}ms", path.label(), medians[index]);
        println!(
            "login_{}_p90 {:.2}ms",
            path.label(),
            percentile(&latencies[index], 0.9)
        );
    }
    println!("login_unknown_over_wrong {:.3}", medians[0] / medians[1]);
}
