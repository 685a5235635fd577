//! What a failed login costs, by path: a name nobody has, a real name with
//! a wrong password, and (for scale) a right password. The three are sent
//! in turn, one at a time on one connection, so each sees the same server;
//! a name-exists oracle would show as a ratio away from 1.
//!
//!   login_cost BASE_URL ROUNDS USERNAME PASSWORD [IMPORTED]
//!
//! USERNAME must exist with PASSWORD, and the server must allow ROUNDS
//! failures of it (`--login-free-failures`, `--login-address-failures`).
//! Prints `login_<path>_p50`/`_p90` in ms and `login_unknown_over_wrong`,
//! the ratio of the medians.
//!
//! With IMPORTED, the name of an account that still has a slower (Django)
//! hash, a fourth path sends it a wrong password, and the unknown names are
//! split at the midpoint between the two wrong-password medians: printed
//! are the share of unknown names that cost the slower check
//! (`login_unknown_slow_share`, to compare with the slower accounts' share)
//! and each half's median over its account's (`login_unknown_fast_over_wrong`,
//! `login_unknown_slow_over_imported`).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tessera_bench::{percentile_ms as percentile, Connection};

#[derive(Clone, Copy)]
enum Path {
    UnknownName,
    WrongPassword,
    RightPassword,
    ImportedWrongPassword,
}

impl Path {
    const ALL: [Self; 4] = [
        Self::UnknownName,
        Self::WrongPassword,
        Self::RightPassword,
        Self::ImportedWrongPassword,
    ];

    fn label(self) -> &'static str {
        match self {
            Self::UnknownName => "unknown_name",
            Self::WrongPassword => "wrong_password",
            Self::RightPassword => "right_password",
            Self::ImportedWrongPassword => "imported_wrong_password",
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
    if !(5..=6).contains(&args.len()) {
        eprintln!("usage: login_cost BASE_URL ROUNDS USERNAME PASSWORD [IMPORTED]");
        std::process::exit(2);
    }
    let addr: SocketAddr = args[1]
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .expect("BASE_URL is http://IP:PORT");
    let rounds: usize = args[2].parse().expect("ROUNDS is a number");
    let (username, password) = (&args[3], &args[4]);
    let imported = args.get(5);
    let paths = if imported.is_some() { 4 } else { 3 };
    let mut connection = Connection::open(addr).await.expect("connect");
    let mut latencies: [Vec<Duration>; 4] = Default::default();
    for round in 0..rounds {
        for (index, path) in Path::ALL.into_iter().take(paths).enumerate() {
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
                Path::ImportedWrongPassword => {
                    serde_json::json!({ "username": imported, "password": "not the password" })
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
    let unknown = latencies[0].clone();
    let mut medians = [0.0; 4];
    for (index, path) in Path::ALL.into_iter().take(paths).enumerate() {
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
    if imported.is_some() {
        let midpoint = (medians[1] + medians[3]) / 2.0;
        let (mut slow, mut fast): (Vec<Duration>, Vec<Duration>) = unknown
            .into_iter()
            .partition(|latency| latency.as_secs_f64() * 1000.0 > midpoint);
        println!(
            "login_unknown_slow_share {:.3}",
            slow.len() as f64 / (slow.len() + fast.len()).max(1) as f64
        );
        fast.sort();
        slow.sort();
        if !fast.is_empty() {
            println!(
                "login_unknown_fast_over_wrong {:.3}",
                percentile(&fast, 0.5) / medians[1]
            );
        }
        if !slow.is_empty() {
            println!(
                "login_unknown_slow_over_imported {:.3}",
                percentile(&slow, 0.5) / medians[3]
            );
        }
    }
}
