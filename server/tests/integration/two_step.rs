//! Two-step sign-in over HTTP on both engines: an authenticator app set up
//! from the secret the API hands out (codes computed as the app computes
//! them, at the server's manual clock), the login's `otp` field, recovery
//! codes, each code accepted once (also when twenty requests race for it,
//! and across two instances on one PostgreSQL database), wrong codes
//! throttled like wrong passwords, and the operator's reset.

use serde_json::{json, Value};
use tessera::testing::totp_code;

use crate::support::cli::{run, stdout};
use crate::support::http::request;
use crate::support::smtp::Mailbox;
use crate::support::{
    on_both_engines, spawn_app_with, spawn_instance, str_field, Engine, Reply, TempDir, TestApp,
};

const PASSWORD: &str = "correct horse battery";

fn bearer(access: &str) -> String {
    format!("Bearer {access}")
}

async fn call(app: &TestApp, method: &str, path: &str, access: &str, body: Value) -> Reply {
    let auth = bearer(access);
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    app.send(request(
        method,
        path,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        body.as_bytes(),
    ))
    .await
}

async fn login_with(app: &TestApp, username: &str, otp: &str) -> Reply {
    let body = json!({ "username": username, "password": PASSWORD, "otp": otp }).to_string();
    app.post_json("/api/token/", &body).await
}

/// Sets up the app and turns two-step sign-in on; returns the secret and
/// the recovery codes. The code used is that of the current step.
async fn turn_on(app: &TestApp, access: &str) -> (String, Vec<String>) {
    let setup = call(app, "POST", "/api/totp/setup/", access, Value::Null).await;
    assert_eq!(setup.status, 200, "{}", setup.text());
    assert_eq!(setup.header("cache-control"), Some("no-store"));
    let secret = str_field(&setup.json(), "secret");
    let code = totp_code(&secret, app.now());
    let confirmed = call(
        app,
        "POST",
        "/api/totp/confirm/",
        access,
        json!({ "code": code }),
    )
    .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text());
    let codes = confirmed.json()["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|code| code.as_str().unwrap().to_owned())
        .collect();
    (secret, codes)
}

fn relaxed_throttle(settings: &mut tessera::Settings) {
    settings.throttle.free_failures = 1_000;
    settings.throttle.address_failures = 1_000;
}

async fn the_whole_life_of_an_authenticator_app(engine: Engine) {
    let app = spawn_app_with(engine, relaxed_throttle).await;
    app.add_user("ana", PASSWORD).await;
    let (access, _) = app.tokens("ana", PASSWORD).await;
    let (_, other_refresh) = app.tokens("ana", PASSWORD).await;

    let status = call(&app, "GET", "/api/totp/", &access, Value::Null).await;
    assert_eq!(status.text(), r#"{"totp":false,"recovery_codes_left":0}"#);

    // The setup: a secret for the app, its address and its QR code.
    let setup = call(&app, "POST", "/api/totp/setup/", &access, Value::Null).await;
    assert_eq!(setup.status, 200, "{}", setup.text());
    let body = setup.json();
    let secret = str_field(&body, "secret");
    assert_eq!(secret.len(), 32, "160 bits in base32");
    let url = str_field(&body, "otpauth_url");
    assert!(url.starts_with("otpauth://totp/"), "{url}");
    assert!(url.contains(&format!("secret={secret}")), "{url}");
    assert!(url.contains("%3Aana?"), "{url}");
    assert!(str_field(&body, "qr_svg").starts_with("<svg"));
    // Nothing is on yet: the password alone still signs in.
    assert_eq!(app.login("ana", PASSWORD).await.status, 200);

    // Bad codes change nothing.
    let now = app.now();
    let right = totp_code(&secret, now);
    let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 1) % 1_000_000);
    for (code, message) in [
        (wrong.as_str(), "The code is wrong or was already used."),
        (
            "1234567",
            "Enter the 6-digit code from your authenticator app, or a recovery code.",
        ),
        (
            "١٢٣٤٥٦",
            "Enter the 6-digit code from your authenticator app, or a recovery code.",
        ),
        (
            &totp_code(&secret, now - 90),
            "The code is wrong or was already used.",
        ),
    ] {
        let refused = call(
            &app,
            "POST",
            "/api/totp/confirm/",
            &access,
            json!({ "code": code }),
        )
        .await;
        assert_eq!(refused.status, 400, "{code}");
        assert_eq!(refused.json(), json!({ "code": [message] }), "{code}");
    }
    let missing = call(&app, "POST", "/api/totp/confirm/", &access, json!({})).await;
    assert_eq!(missing.text(), r#"{"code":["This field is required."]}"#);
    assert_eq!(app.login("ana", PASSWORD).await.status, 200);

    // A code from the step before still counts (a phone's clock a little behind).
    let confirmed = call(
        &app,
        "POST",
        "/api/totp/confirm/",
        &access,
        json!({ "code": totp_code(&secret, now - 30) }),
    )
    .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text());
    let codes: Vec<String> =
        serde_json::from_value(confirmed.json()["recovery_codes"].clone()).unwrap();
    assert_eq!(codes.len(), 10);
    // Every other session ended; this one goes on.
    assert_eq!(app.refresh(&other_refresh).await.status, 401);
    assert_eq!(app.hello(&access).await.status, 200);
    let status = call(&app, "GET", "/api/totp/", &access, Value::Null).await;
    assert_eq!(status.text(), r#"{"totp":true,"recovery_codes_left":10}"#);
    let again = call(&app, "POST", "/api/totp/setup/", &access, Value::Null).await;
    assert_eq!(again.status, 409);
    assert_eq!(
        again.text(),
        r#"{"detail":"Two-step login is already on."}"#
    );

    // The password alone is not enough now.
    let asked = app.login("ana", PASSWORD).await;
    assert_eq!(asked.status, 401);
    assert_eq!(
        asked.text(),
        r#"{"detail":"Enter the code from your authenticator app.","code":"otp_required"}"#
    );
    assert_eq!(
        asked.header("www-authenticate"),
        Some(r#"Bearer realm="api""#)
    );
    // A null code is no code.
    let body = json!({ "username": "ana", "password": PASSWORD, "otp": null }).to_string();
    let null_code = app.post_json("/api/token/", &body).await;
    assert_eq!(null_code.json()["code"], "otp_required");
    // A wrong password says nothing about the second step.
    let body = json!({ "username": "ana", "password": "wrong", "otp": right }).to_string();
    let wrong_password = app.post_json("/api/token/", &body).await;
    assert_eq!(
        wrong_password.text(),
        r#"{"detail":"No active account found with the given credentials"}"#
    );
    // The current step's code is later than the one that turned it on.
    let signed_in = login_with(&app, "ana", &right).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.text());
    // The same code twice: once.
    let replayed = login_with(&app, "ana", &right).await;
    assert_eq!(
        replayed.text(),
        r#"{"detail":"The code is wrong or was already used.","code":"otp_invalid"}"#
    );
    let malformed = login_with(&app, "ana", "12345").await;
    assert_eq!(malformed.status, 400);
    assert_eq!(
        malformed.text(),
        r#"{"otp":["Enter the 6-digit code from your authenticator app, or a recovery code."]}"#
    );
    // Thirty seconds on, the next code works, with the spaces apps show.
    app.advance(30);
    let next = totp_code(&secret, app.now());
    let spaced = format!("{} {}", &next[..3], &next[3..]);
    assert_eq!(login_with(&app, "ana", &spaced).await.status, 200);

    // A recovery code works once, typed in any case, and ends the other sessions.
    let (_, refresh_before) = {
        app.advance(30);
        let reply = login_with(&app, "ana", &totp_code(&secret, app.now())).await;
        let body = reply.json();
        (str_field(&body, "access"), str_field(&body, "refresh"))
    };
    let recovery = codes[3].to_uppercase();
    let rescued = login_with(&app, "ana", &recovery).await;
    assert_eq!(rescued.status, 200, "{}", rescued.text());
    assert_eq!(app.refresh(&refresh_before).await.status, 401);
    assert_eq!(app.hello(&access).await.status, 401, "every session ended");
    let access = str_field(&rescued.json(), "access");
    assert_eq!(
        login_with(&app, "ana", &recovery).await.json()["code"],
        "otp_invalid"
    );
    let status = call(&app, "GET", "/api/totp/", &access, Value::Null).await;
    assert_eq!(status.text(), r#"{"totp":true,"recovery_codes_left":9}"#);

    // Off, with a code (a used one does not do).
    let (_, kept_refresh) = {
        app.advance(30);
        let reply = login_with(&app, "ana", &totp_code(&secret, app.now())).await;
        let body = reply.json();
        (str_field(&body, "access"), str_field(&body, "refresh"))
    };
    let stale = call(
        &app,
        "DELETE",
        "/api/totp/",
        &access,
        json!({ "code": totp_code(&secret, app.now()) }),
    )
    .await;
    assert_eq!(stale.status, 400, "that step was used by the login");
    app.advance(30);
    let off = call(
        &app,
        "DELETE",
        "/api/totp/",
        &access,
        json!({ "code": totp_code(&secret, app.now()) }),
    )
    .await;
    assert_eq!(off.status, 204, "{}", off.text());
    assert_eq!(
        app.refresh(&kept_refresh).await.status,
        401,
        "the other sessions ended"
    );
    assert_eq!(app.hello(&access).await.status, 200, "this one goes on");
    let off_again = call(
        &app,
        "DELETE",
        "/api/totp/",
        &access,
        json!({ "code": "123456" }),
    )
    .await;
    assert_eq!(
        off_again.text(),
        r#"{"detail":"Two-step login is not on."}"#
    );
    // simplejwt's answer again, whatever `otp` says.
    assert_eq!(app.login("ana", PASSWORD).await.status, 200);
    assert_eq!(login_with(&app, "ana", "000000").await.status, 200);

    // The audit log has each step.
    let kinds: Vec<String> = app
        .tessera
        .audit
        .events(&tessera::AuditQuery {
            limit: 200,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.kind)
        .collect();
    for kind in [
        "two_step_enabled",
        "recovery_code_used",
        "two_step_disabled",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }
}

async fn a_code_works_once_however_many_requests_race(engine: Engine) {
    let app = std::sync::Arc::new(spawn_app_with(engine, relaxed_throttle).await);
    app.add_user("bea", PASSWORD).await;
    let (access, _) = app.tokens("bea", PASSWORD).await;
    let (secret, _) = turn_on(&app, &access).await;
    app.advance(30);
    let code = totp_code(&secret, app.now());
    let racers: Vec<_> = (0..20)
        .map(|_| {
            let (app, code) = (app.clone(), code.clone());
            tokio::spawn(async move { login_with(&app, "bea", &code).await.status })
        })
        .collect();
    let mut statuses = Vec::new();
    for racer in racers {
        statuses.push(racer.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        19,
        "{statuses:?}"
    );
}

async fn wrong_codes_are_throttled_like_wrong_passwords(engine: Engine) {
    let app = spawn_app_with(engine, |settings| {
        settings.throttle.free_failures = 3;
        settings.throttle.address_failures = 1_000;
    })
    .await;
    app.add_user("cid", PASSWORD).await;
    let (access, _) = app.tokens("cid", PASSWORD).await;
    let (secret, _) = turn_on(&app, &access).await;
    app.advance(30);
    let right = totp_code(&secret, app.now());
    let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 7) % 1_000_000);
    // Wrong codes to turn it off (a stolen access token guessing) and at
    // login count against the same name.
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let body = json!({ "code": wrong });
        statuses.push(
            call(&app, "DELETE", "/api/totp/", &access, body)
                .await
                .status,
        );
    }
    for _ in 0..3 {
        statuses.push(login_with(&app, "cid", &wrong).await.status);
    }
    assert_eq!(&statuses[..2], [400, 400]);
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    // The right code waits for the lock to pass like the right password.
    let refused = login_with(&app, "cid", &right).await;
    assert_eq!(refused.status, 429, "{}", refused.text());
    // Asking without a code does not reset what the wrong ones counted.
    assert_eq!(app.login("cid", PASSWORD).await.status, 429);
    let body = json!({ "code": right });
    let off = call(&app, "DELETE", "/api/totp/", &access, body).await;
    assert_eq!(off.status, 429, "{}", off.text());
}

async fn an_operator_resets_a_lost_phone(engine: Engine) {
    let app = spawn_app_with(engine, relaxed_throttle).await;
    app.add_user("dia", PASSWORD).await;
    let (access, refresh) = app.tokens("dia", PASSWORD).await;
    turn_on(&app, &access).await;
    assert_eq!(app.login("dia", PASSWORD).await.status, 401);

    let secret_file = app.settings.secret_key_file.clone();
    let reset = run(
        &app.database_url,
        &secret_file,
        &["user", "mfa", "reset", "dia"],
        "",
    )
    .await;
    assert!(
        reset.status.success(),
        "{}",
        String::from_utf8_lossy(&reset.stderr)
    );
    assert!(stdout(&reset).contains("turned off"), "{}", stdout(&reset));
    assert_eq!(app.login("dia", PASSWORD).await.status, 200);
    assert_eq!(
        app.refresh(&refresh).await.status,
        401,
        "every session ended"
    );

    let again = run(
        &app.database_url,
        &secret_file,
        &["user", "mfa", "reset", "dia"],
        "",
    )
    .await;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("does not have two-step login on"));
    let nobody = run(
        &app.database_url,
        &secret_file,
        &["user", "mfa", "reset", "nobody"],
        "",
    )
    .await;
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("no user named"));
}

on_both_engines!(
    the_whole_life_of_an_authenticator_app,
    a_code_works_once_however_many_requests_race,
    wrong_codes_are_throttled_like_wrong_passwords,
    an_operator_resets_a_lost_phone,
);

/// Each change is mailed to the account's address: on, a recovery code
/// used, off by the owner, off by an operator.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_owner_is_told_of_each_change_by_mail() {
    let mailbox = Mailbox::start();
    let app = spawn_app_with(Engine::Sqlite, |settings| {
        relaxed_throttle(settings);
        settings.mail.smtp_url = Some(mailbox.url());
        settings.mail.from = "Tessera <noreply@tessera.test>".into();
        settings.public_url = "https://auth.tessera.test".parse().unwrap();
    })
    .await;
    let _sender = app.tessera.mail.spawn_sender();
    app.tessera
        .accounts
        .create_user_with_email("fay", PASSWORD, "fay@example.com")
        .await
        .unwrap();
    let (access, _) = app.tokens("fay", PASSWORD).await;
    let (secret, codes) = turn_on(&app, &access).await;
    let rescued = login_with(&app, "fay", &codes[0]).await;
    let access = str_field(&rescued.json(), "access");
    app.advance(30);
    let body = json!({ "code": totp_code(&secret, app.now()) });
    assert_eq!(
        call(&app, "DELETE", "/api/totp/", &access, body)
            .await
            .status,
        204
    );
    turn_on(&app, &access).await;
    // What `tessera user mfa reset` runs (tested above as a command; here
    // with this server's public URL).
    app.tessera.two_step.reset("fay").await.unwrap();

    let mails = mailbox.wait_for(5).await;
    let subjects: Vec<String> = mails
        .iter()
        .map(|mail| mail.header("Subject").unwrap_or_default())
        .collect();
    let on = "Two-step login was turned on for your account on auth.tessera.test";
    let off = "Two-step login was turned off for your account on auth.tessera.test";
    let rescue = "A recovery code was used to log in to your account on auth.tessera.test";
    assert_eq!(subjects, [on, rescue, off, on, off]);
    for mail in &mails {
        assert_eq!(mail.recipients, ["fay@example.com"]);
        assert!(!mail.text.contains(&secret), "the secret is never mailed");
    }
    assert!(mails[4]
        .text
        .contains("An administrator turned two-step login off"));
}

/// Two instances on one PostgreSQL database: a setup begun on one is
/// confirmed on the other, and a code accepted by one is refused by the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_code_works_once_across_instances() {
    let first = spawn_app_with(Engine::Postgres, relaxed_throttle).await;
    let second = spawn_instance(&first.database_url, &first.settings, TempDir::new()).await;
    first.add_user("eva", PASSWORD).await;
    let (access, _) = first.tokens("eva", PASSWORD).await;

    let setup = call(&first, "POST", "/api/totp/setup/", &access, Value::Null).await;
    let secret = str_field(&setup.json(), "secret");
    let code = totp_code(&secret, second.now());
    let confirmed = call(
        &second,
        "POST",
        "/api/totp/confirm/",
        &access,
        json!({ "code": code }),
    )
    .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text());

    first.advance(30);
    second.advance(30);
    let code = totp_code(&secret, first.now());
    assert_eq!(login_with(&first, "eva", &code).await.status, 200);
    let replayed = login_with(&second, "eva", &code).await;
    assert_eq!(replayed.json()["code"], "otp_invalid");
}
