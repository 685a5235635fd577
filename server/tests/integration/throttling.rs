//! Login throttling through the real server: per username (growing waits),
//! per client address, atomic under parallel guesses, on SQLite and
//! PostgreSQL, answered exactly as DRF answers a throttled request.

use crate::support;

use std::sync::Arc;

use support::{spawn_app_with, Engine, TestApp};

support::on_both_engines!(
    a_name_waits_after_five_failures_and_a_success_resets_it,
    parallel_guesses_are_all_counted,
    right_passwords_at_the_same_instant_all_log_in,
    one_address_cannot_spray_many_names,
    a_known_device_logs_in_while_its_name_and_address_are_locked,
    a_known_device_has_a_budget_of_its_own,
);

const BAD_CREDENTIALS: &str = r#"{"detail":"No active account found with the given credentials"}"#;

fn throttled(seconds: i64) -> String {
    let unit = if seconds == 1 { "second" } else { "seconds" };
    format!(r#"{{"detail":"Request was throttled. Expected available in {seconds} {unit}."}}"#)
}

async fn app(engine: Engine) -> TestApp {
    let app = spawn_app_with(engine, |_| {}).await;
    app.add_user("alice", "right").await;
    app.add_user("bob", "right").await;
    app
}

async fn a_name_waits_after_five_failures_and_a_success_resets_it(engine: Engine) {
    let app = app(engine).await;
    for _ in 0..5 {
        assert_eq!(app.login("alice", "wrong").await.text(), BAD_CREDENTIALS);
    }
    // Even the right password waits: the name is locked, not the guess.
    let refused = app.login("alice", "right").await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.text(), throttled(1));
    assert_eq!(refused.header("retry-after"), Some("1"));
    // Someone else is not affected.
    assert_eq!(app.login("bob", "right").await.status, 200);

    // The waits double: 1 s, then 2 s.
    app.advance(1);
    assert_eq!(app.login("alice", "wrong").await.status, 401);
    assert_eq!(app.login("alice", "right").await.text(), throttled(2));
    app.advance(2);
    assert_eq!(app.login("alice", "right").await.status, 200);
    // The success reset the name: five free failures again.
    for _ in 0..5 {
        assert_eq!(app.login("alice", "wrong").await.status, 401);
    }
    assert_eq!(app.login("alice", "wrong").await.status, 429);
}

async fn parallel_guesses_are_all_counted(engine: Engine) {
    let app = Arc::new(app(engine).await);
    let guesses: Vec<_> = (0..20)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { app.login("alice", "wrong").await.status })
        })
        .collect();
    let mut statuses = Vec::new();
    for guess in guesses {
        statuses.push(guess.await.unwrap());
    }
    statuses.sort_unstable();
    let checked = statuses.iter().filter(|status| **status == 401).count();
    let refused = statuses.iter().filter(|status| **status == 429).count();
    assert_eq!(
        (checked, refused),
        (5, 15),
        "exactly the five free guesses reach the password check: {statuses:?}"
    );
}

/// Twenty logins of one account with the right password at one instant (a
/// script's parallel jobs): those beyond the name's free attempts wait for
/// the ones in flight, which succeed and free the way.
async fn right_passwords_at_the_same_instant_all_log_in(engine: Engine) {
    let app = Arc::new(app(engine).await);
    let logins: Vec<_> = (0..20)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { app.login("alice", "right").await.status })
        })
        .collect();
    let mut statuses = Vec::new();
    for login in logins {
        statuses.push(login.await.unwrap());
    }
    assert_eq!(statuses, [200; 20]);
    // Nothing is left counted: five free failures, as for anyone.
    for _ in 0..5 {
        assert_eq!(app.login("alice", "wrong").await.status, 401);
    }
    assert_eq!(app.login("alice", "wrong").await.status, 429);
}

/// A login with a known-device marker (`Tessera-Device`), or without one.
async fn login_with_marker(
    app: &TestApp,
    username: &str,
    password: &str,
    marker: Option<&str>,
) -> support::http::Reply {
    let body = serde_json::json!({ "username": username, "password": password }).to_string();
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(marker) = marker {
        headers.push(("Tessera-Device", marker));
    }
    app.send(support::http::request(
        "POST",
        "/api/token/",
        &headers,
        body.as_bytes(),
    ))
    .await
}

/// The shared-address lockout (a NAT, a CGNAT) and a stranger guessing the
/// name both leave a browser that has logged in as the name before alone.
async fn a_known_device_logs_in_while_its_name_and_address_are_locked(engine: Engine) {
    let app = spawn_app_with(engine, |settings| settings.throttle.address_failures = 8).await;
    app.add_user("alice", "right").await;
    app.add_user("bob", "right").await;
    let first = login_with_marker(&app, "alice", "right", None).await;
    assert_eq!(first.status, 200);
    let marker = first.header("tessera-device").unwrap().to_owned();
    // simplejwt's body is unchanged: the marker rides in a header.
    assert!(first.text().starts_with(r#"{"refresh":""#));
    assert_eq!(first.json().as_object().unwrap().len(), 2);

    // Someone guesses alice's password; others behind the same address
    // fail too: the name and the address are both locked.
    for _ in 0..5 {
        assert_eq!(app.login("alice", "guess").await.status, 401);
    }
    for name in ["carol", "dave", "erin"] {
        assert_eq!(app.login(name, "guess").await.status, 401);
    }
    assert_eq!(app.login("alice", "right").await.status, 429);
    assert_eq!(app.login("bob", "right").await.status, 429);

    // Alice's browser shows its marker and is let through.
    let known = login_with_marker(&app, "alice", "right", Some(&marker)).await;
    assert_eq!(known.status, 200, "{}", known.text());
    let renewed = known.header("tessera-device").unwrap();
    assert_eq!(
        renewed.split('.').next(),
        marker.split('.').next(),
        "same device"
    );
    // The marker is alice's, for alice only; a forged one counts for nothing.
    assert_eq!(
        login_with_marker(&app, "bob", "right", Some(&marker))
            .await
            .status,
        429
    );
    // The last hex digit of the MAC changed (to another digit, always).
    let last = if marker.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &marker[..marker.len() - 1]);
    assert_eq!(
        login_with_marker(&app, "alice", "right", Some(&forged))
            .await
            .status,
        429
    );
}

/// A stolen marker is no key: the device gets the name's own budget of
/// guesses, then waits, and the name's counter is untouched by it.
async fn a_known_device_has_a_budget_of_its_own(engine: Engine) {
    let app = app(engine).await;
    let first = login_with_marker(&app, "alice", "right", None).await;
    let marker = first.header("tessera-device").unwrap().to_owned();
    for _ in 0..5 {
        let reply = login_with_marker(&app, "alice", "guess", Some(&marker)).await;
        assert_eq!(reply.status, 401);
    }
    let refused = login_with_marker(&app, "alice", "right", Some(&marker)).await;
    assert_eq!(refused.text(), throttled(1));
    // Without the marker, the name was never counted against.
    assert_eq!(app.login("alice", "right").await.status, 200);
}

async fn one_address_cannot_spray_many_names(engine: Engine) {
    let app = spawn_app_with(engine, |settings| {
        settings.throttle.address_failures = 3;
    })
    .await;
    app.add_user("alice", "right").await;
    for name in ["carol", "dave", "erin"] {
        assert_eq!(app.login(name, "password1").await.status, 401);
    }
    let refused = app.login("frank", "password1").await;
    assert_eq!(refused.status, 429);
    assert!(refused
        .text()
        .starts_with(r#"{"detail":"Request was throttled. Expected available in "#));
    // The window passes.
    app.advance(5 * 60);
    assert_eq!(app.login("alice", "right").await.status, 200);
}

/// Behind a trusted proxy each forwarded client has its own budget; from
/// an untrusted peer the header changes nothing.
#[tokio::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    let login_from = |app: &TestApp, forwarded: &'static str| {
        let body = r#"{"username":"nobody","password":"x"}"#;
        let raw = support::http::request(
            "POST",
            "/api/token/",
            &[
                ("Content-Type", "application/json"),
                ("X-Forwarded-For", forwarded),
            ],
            body.as_bytes(),
        );
        let addr = app.addr;
        async move { support::http::send(addr, &raw).await.status }
    };
    let trusting = spawn_app_with(Engine::Sqlite, |settings| {
        settings.throttle.address_failures = 1;
        settings.throttle.free_failures = 100;
        settings.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    assert_eq!(login_from(&trusting, "203.0.113.1").await, 401);
    assert_eq!(login_from(&trusting, "203.0.113.1").await, 429);
    assert_eq!(login_from(&trusting, "203.0.113.2").await, 401);

    let untrusting = spawn_app_with(Engine::Sqlite, |settings| {
        settings.throttle.address_failures = 1;
        settings.throttle.free_failures = 100;
    })
    .await;
    assert_eq!(login_from(&untrusting, "203.0.113.1").await, 401);
    assert_eq!(login_from(&untrusting, "203.0.113.2").await, 429);
}

/// A failed login through a trusted proxy, with these forwarding headers;
/// `path` is the REST endpoint or the login server function.
async fn failed_login_via(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> u16 {
    let (content_type, body) = if path == "/api/token/" {
        (
            "application/json",
            r#"{"username":"nobody","password":"x"}"#,
        )
    } else {
        (
            "application/x-www-form-urlencoded",
            "username=nobody&password=x",
        )
    };
    let mut all = vec![("Content-Type", content_type)];
    all.extend_from_slice(headers);
    let raw = support::http::request("POST", path, &all, body.as_bytes());
    support::http::send(app.addr, &raw).await.status
}

/// One failure per address, behind a proxy at 127.0.0.1 writing `header`.
async fn behind_a_proxy(header: tessera::ForwardedHeader) -> TestApp {
    spawn_app_with(Engine::Sqlite, |settings| {
        settings.throttle.address_failures = 1;
        settings.throttle.free_failures = 100;
        settings.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        settings.forwarded_header = header;
    })
    .await
}

/// A proxy that adds a line of its own (HAProxy's `option forwardfor`)
/// leaves the client's forged line first: the lines are one list, read from
/// the right, so forging changes neither whose budget is spent nor whose
/// address is locked out. Through the REST API and the server function alike.
#[tokio::test]
async fn a_forged_first_forwarding_line_changes_nothing() {
    use leptos::server_fn::ServerFn;
    use tessera_app::api::Login;

    for path in ["/api/token/", Login::PATH] {
        let app = behind_a_proxy(tessera::ForwardedHeader::XForwardedFor).await;
        let forged = |first: &'static str| {
            [
                ("X-Forwarded-For", first),
                ("X-Forwarded-For", "203.0.113.1"),
            ]
        };
        assert_eq!(
            failed_login_via(&app, path, &forged("6.6.6.1")).await,
            401,
            "{path}"
        );
        assert_eq!(
            failed_login_via(&app, path, &forged("6.6.6.2")).await,
            429,
            "{path}"
        );
        // The forged address was never charged.
        let honest = [("X-Forwarded-For", "6.6.6.1")];
        assert_eq!(failed_login_via(&app, path, &honest).await, 401, "{path}");
    }
}

/// With `--forwarded-header forwarded` the proxies' RFC 7239 header names
/// the client, and an `X-Forwarded-For` (the client's own) is ignored.
#[tokio::test]
async fn the_forwarded_header_is_read_when_chosen() {
    let app = behind_a_proxy(tessera::ForwardedHeader::Forwarded).await;
    let from = |client: &'static str, spoof: &'static str| {
        [("Forwarded", client), ("X-Forwarded-For", spoof)]
    };
    let path = "/api/token/";
    assert_eq!(
        failed_login_via(&app, path, &from("for=203.0.113.1;proto=https", "6.6.6.1")).await,
        401
    );
    assert_eq!(
        failed_login_via(&app, path, &from("for=\"203.0.113.1:4711\"", "6.6.6.2")).await,
        429
    );
    assert_eq!(
        failed_login_via(&app, path, &from("for=\"[2001:db8::7]:80\"", "6.6.6.3")).await,
        401
    );
}

/// One host with a /64 has one budget, not 2^64; its neighbour network
/// has its own.
#[tokio::test]
async fn ipv6_clients_share_their_network_s_budget() {
    let app = behind_a_proxy(tessera::ForwardedHeader::XForwardedFor).await;
    let from = |address: &'static str| [("X-Forwarded-For", address)];
    let path = "/api/token/";
    assert_eq!(
        failed_login_via(&app, path, &from("2001:db8:1:2::1")).await,
        401
    );
    assert_eq!(
        failed_login_via(&app, path, &from("2001:db8:1:2:ffff::9")).await,
        429
    );
    assert_eq!(
        failed_login_via(&app, path, &from("2001:db8:1:3::1")).await,
        401
    );
}

/// The UI's login server function is throttled by the same counters and
/// says how long to wait.
#[tokio::test]
async fn the_login_server_function_is_throttled_alike() {
    use leptos::server_fn::ServerFn;
    use tessera_app::api::Login;

    let app = app(Engine::Sqlite).await;
    for _ in 0..5 {
        assert_eq!(app.login("alice", "wrong").await.status, 401);
    }
    let reply = app
        .post_form(Login::PATH, "username=alice&password=right")
        .await;
    assert_eq!(reply.status, 429);
    assert_eq!(
        reply.json(),
        serde_json::json!({"Throttled": {"retry_after": 1}})
    );
    assert_eq!(reply.header("retry-after"), Some("1"));
}

/// The login server function takes the marker as an argument and answers a
/// renewed one beside the tokens.
#[tokio::test]
async fn the_login_server_function_knows_devices_too() {
    use leptos::server_fn::ServerFn;
    use tessera_app::api::Login;

    let app = app(Engine::Sqlite).await;
    let first = app
        .post_form(Login::PATH, "username=alice&password=right")
        .await;
    assert_eq!(first.status, 200);
    let marker = first.json()["known_device"].as_str().unwrap().to_owned();
    for _ in 0..5 {
        assert_eq!(app.login("alice", "wrong").await.status, 401);
    }
    let refused = app
        .post_form(Login::PATH, "username=alice&password=right")
        .await;
    assert_eq!(refused.status, 429);
    let known = app
        .post_form(
            Login::PATH,
            &format!("username=alice&password=right&known_device={marker}"),
        )
        .await;
    assert_eq!(known.status, 200, "{}", known.text());
    assert!(known.json()["known_device"].as_str().is_some());
}

/// Forty people behind one address log in at once: only failures count
/// against an address, so nobody waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_correct_logins_from_one_address_are_never_throttled() {
    let app =
        Arc::new(spawn_app_with(Engine::Sqlite, |settings| settings.max_queued_hashes = 64).await);
    for person in 0..40 {
        app.add_user(&format!("person{person}"), "right").await;
    }
    let logins: Vec<_> = (0..40)
        .map(|person| {
            let app = app.clone();
            tokio::spawn(async move { app.login(&format!("person{person}"), "right").await.status })
        })
        .collect();
    for login in logins {
        assert_eq!(login.await.unwrap(), 200);
    }
}

/// Two instances on one PostgreSQL database share the counters: parallel
/// guesses spread over both reach the password check exactly five times.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_on_one_database_share_the_counters() {
    let first = Arc::new(app(Engine::Postgres).await);
    let second = Arc::new(
        support::spawn_instance(
            &first.database_url,
            &first.settings,
            support::TempDir::new(),
        )
        .await,
    );
    // One instant on both (their clocks start a moment apart).
    second.clock.set(first.now());
    let guesses: Vec<_> = (0..20)
        .map(|guess| {
            let instance = if guess % 2 == 0 {
                first.clone()
            } else {
                second.clone()
            };
            tokio::spawn(async move { instance.login("alice", "wrong").await.status })
        })
        .collect();
    let mut checked = 0;
    for guess in guesses {
        match guess.await.unwrap() {
            401 => checked += 1,
            429 => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(checked, 5, "the five free guesses, across both instances");
    assert_eq!(second.login("alice", "right").await.status, 429);
}
