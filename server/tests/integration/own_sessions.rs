//! Self-service through the real server on both engines: a person sees their
//! sessions (device, address, times, which one is theirs), ends one or all
//! the others, changes their password; ended sessions' tokens are refused at
//! once, here and on another instance; someone else's session is a 404.

use serde_json::Value;

use crate::support::http::request;
use crate::support::{
    on_both_engines, spawn_app_with, spawn_instance, Engine, Reply, TempDir, TestApp,
};

const FIREFOX_LINUX: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const SAFARI_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";
const NOT_FOUND: &str = r#"{"detail":"Not found."}"#;

/// A device: one login's tokens.
struct Device {
    access: String,
    refresh: String,
}

async fn log_in(app: &TestApp, user: &str, password: &str, user_agent: &str) -> Device {
    let body = serde_json::json!({ "username": user, "password": password }).to_string();
    let reply = app
        .send(request(
            "POST",
            "/api/token/",
            &[
                ("Content-Type", "application/json"),
                ("User-Agent", user_agent),
            ],
            body.as_bytes(),
        ))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let json = reply.json();
    Device {
        access: json["access"].as_str().unwrap().to_owned(),
        refresh: json["refresh"].as_str().unwrap().to_owned(),
    }
}

fn bearer(access: &str) -> String {
    format!("Bearer {access}")
}

async fn call(app: &TestApp, method: &str, path: &str, access: &str, body: Option<Value>) -> Reply {
    let bearer = bearer(access);
    let mut headers = vec![("Authorization", bearer.as_str())];
    let body = body.map(|body| body.to_string()).unwrap_or_default();
    if !body.is_empty() {
        headers.push(("Content-Type", "application/json"));
    }
    app.send(request(method, path, &headers, body.as_bytes()))
        .await
}

async fn sessions(app: &TestApp, device: &Device) -> Vec<Value> {
    let reply = call(app, "GET", "/api/sessions/", &device.access, None).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json().as_array().unwrap().clone()
}

async fn app(engine: Engine) -> TestApp {
    let app = spawn_app_with(engine, |_| {}).await;
    app.add_user("ada", "ada-password").await;
    app.add_user("bob", "bob-password").await;
    app
}

async fn a_person_sees_each_device_and_which_one_is_theirs(engine: Engine) {
    let app = app(engine).await;
    let laptop = log_in(&app, "ada", "ada-password", FIREFOX_LINUX).await;
    app.advance(60);
    let phone = log_in(&app, "ada", "ada-password", SAFARI_IPHONE).await;
    let _bobs = log_in(&app, "bob", "bob-password", FIREFOX_LINUX).await;

    let listed = sessions(&app, &laptop).await;
    assert_eq!(listed.len(), 2, "only ada's: {listed:?}");
    // The most recently used first: the phone.
    assert_eq!(listed[0]["device"], "Safari on iPhone");
    assert_eq!(listed[0]["current"], false);
    assert_eq!(listed[1]["device"], "Firefox on Linux");
    assert_eq!(listed[1]["current"], true);
    for session in &listed {
        assert_eq!(session["client_address"], "127.0.0.1");
        let created = session["created"].as_str().unwrap();
        assert!(created.ends_with('Z') && created.len() == 20, "{created}");
        assert!(session["expires"].as_str().unwrap() > created);
        assert_eq!(session["id"].as_str().unwrap().len(), 32);
    }

    // A refresh is a use: the laptop moves to the top.
    app.advance(60);
    let refreshed = app.refresh(&laptop.refresh).await;
    assert_eq!(refreshed.status, 200);
    let listed = sessions(&app, &phone).await;
    assert_eq!(listed[0]["device"], "Firefox on Linux");
    assert!(listed[0]["last_used"].as_str() > listed[0]["created"].as_str());
    assert_eq!(listed[1]["current"], true);

    // Not without a token.
    let anonymous = app.get("/api/sessions/", &[]).await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(
        anonymous.header("www-authenticate"),
        Some(r#"Bearer realm="api""#)
    );
}

async fn ending_a_session_refuses_its_tokens_and_others_ids_are_not_found(engine: Engine) {
    let app = app(engine).await;
    let laptop = log_in(&app, "ada", "ada-password", FIREFOX_LINUX).await;
    let phone = log_in(&app, "ada", "ada-password", SAFARI_IPHONE).await;
    let bobs = log_in(&app, "bob", "bob-password", FIREFOX_LINUX).await;
    let phone_id = sessions(&app, &phone)
        .await
        .iter()
        .find(|s| s["current"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bobs_id = sessions(&app, &bobs).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Bob's session is as unknown to ada as one that does not exist.
    for id in [bobs_id.as_str(), "0123456789abcdef0123456789abcdef"] {
        let reply = call(
            &app,
            "DELETE",
            &format!("/api/sessions/{id}/"),
            &laptop.access,
            None,
        )
        .await;
        assert_eq!((reply.status, reply.text().as_str()), (404, NOT_FOUND));
    }
    assert_eq!(app.hello(&bobs.access).await.status, 200);

    let ended = call(
        &app,
        "DELETE",
        &format!("/api/sessions/{phone_id}/"),
        &laptop.access,
        None,
    )
    .await;
    assert_eq!(ended.status, 204, "{}", ended.text());
    assert!(ended.body.is_empty());
    let refused = app.hello(&phone.access).await;
    assert_eq!(refused.status, 401);
    assert!(
        refused.text().contains("Token is blacklisted"),
        "{}",
        refused.text()
    );
    assert_eq!(app.refresh(&phone.refresh).await.status, 401);
    assert_eq!(app.hello(&laptop.access).await.status, 200);
    assert_eq!(sessions(&app, &laptop).await.len(), 1);
    // Gone is gone: a second DELETE finds nothing.
    let again = call(
        &app,
        "DELETE",
        &format!("/api/sessions/{phone_id}/"),
        &laptop.access,
        None,
    )
    .await;
    assert_eq!(again.status, 404);

    // Ending the current session through DELETE is a logout.
    let laptop_id = sessions(&app, &laptop).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = call(
        &app,
        "DELETE",
        &format!("/api/sessions/{laptop_id}/"),
        &laptop.access,
        None,
    )
    .await;
    assert_eq!(out.status, 204);
    assert_eq!(app.hello(&laptop.access).await.status, 401);
    assert_eq!(app.refresh(&laptop.refresh).await.status, 401);
}

async fn ending_the_other_sessions_keeps_this_one(engine: Engine) {
    let app = app(engine).await;
    let laptop = log_in(&app, "ada", "ada-password", FIREFOX_LINUX).await;
    let phone = log_in(&app, "ada", "ada-password", SAFARI_IPHONE).await;
    let tablet = log_in(&app, "ada", "ada-password", "curl/8.5.0").await;
    let bobs = log_in(&app, "bob", "bob-password", FIREFOX_LINUX).await;

    let reply = call(
        &app,
        "POST",
        "/api/sessions/end-others/",
        &laptop.access,
        None,
    )
    .await;
    assert_eq!(
        (reply.status, reply.text().as_str()),
        (200, r#"{"ended":2}"#)
    );
    for other in [&phone, &tablet] {
        assert_eq!(app.hello(&other.access).await.status, 401);
        assert_eq!(app.refresh(&other.refresh).await.status, 401);
    }
    assert_eq!(app.hello(&laptop.access).await.status, 200);
    assert_eq!(app.hello(&bobs.access).await.status, 200);
    let listed = sessions(&app, &laptop).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["current"], true);
    let none_left = call(
        &app,
        "POST",
        "/api/sessions/end-others/",
        &laptop.access,
        None,
    )
    .await;
    assert_eq!(none_left.text(), r#"{"ended":0}"#);
}

async fn changing_the_password_ends_every_session_and_starts_a_new_one(engine: Engine) {
    let app = app(engine).await;
    let laptop = log_in(&app, "ada", "ada-password", FIREFOX_LINUX).await;
    let phone = log_in(&app, "ada", "ada-password", SAFARI_IPHONE).await;
    let change =
        |old: &str, new: &str| serde_json::json!({ "old_password": old, "new_password": new });

    let cases = [
        (
            change("wrong-password", "brand-new-password"),
            r#"{"old_password":["Your old password was entered incorrectly. Please enter it again."]}"#,
        ),
        (
            change("ada-password", "short"),
            r#"{"new_password":["This password is too short. It must contain at least 8 characters."]}"#,
        ),
        (
            serde_json::json!({ "old_password": "ada-password" }),
            r#"{"new_password":["This field is required."]}"#,
        ),
        // Django's validators, once the current password is right.
        (
            change("ada-password", "20261205"),
            r#"{"new_password":["This password is entirely numeric."]}"#,
        ),
        (
            change("ada-password", "ada-password"),
            r#"{"new_password":["The new password must differ from the current one."]}"#,
        ),
    ];
    for (body, expected) in cases {
        let reply = call(
            &app,
            "POST",
            "/api/password/change/",
            &laptop.access,
            Some(body),
        )
        .await;
        assert_eq!((reply.status, reply.text().as_str()), (400, expected));
    }
    // Nothing changed by the failures.
    assert_eq!(app.hello(&phone.access).await.status, 200);

    let reply = call(
        &app,
        "POST",
        "/api/password/change/",
        &laptop.access,
        Some(change("ada-password", "brand-new-password")),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    // dj-rest-auth's body, and the new session's pair after it.
    let text = reply.text();
    assert!(
        text.starts_with(r#"{"detail":"New password has been saved.","refresh":""#),
        "{text}"
    );
    let json = reply.json();
    assert_eq!(json.as_object().unwrap().len(), 3, "{text}");
    let (access, refresh) = (
        json["access"].as_str().unwrap(),
        json["refresh"].as_str().unwrap(),
    );
    // Every old token is out, this device's too (a copy of them is worth
    // nothing); the laptop carries on with the new pair.
    for old in [&laptop, &phone] {
        assert_eq!(app.hello(&old.access).await.status, 401);
        assert_eq!(app.refresh(&old.refresh).await.status, 401);
    }
    assert_eq!(app.hello(access).await.status, 200);
    let sessions = call(&app, "GET", "/api/sessions/", access, None)
        .await
        .json();
    let sessions = sessions.as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_eq!(sessions[0]["current"], true);
    assert_eq!(app.refresh(refresh).await.status, 200);
    assert_eq!(app.login("ada", "ada-password").await.status, 401);
    assert_eq!(app.login("ada", "brand-new-password").await.status, 200);
}

async fn wrong_old_passwords_are_throttled_like_logins(engine: Engine) {
    let app = app(engine).await;
    let laptop = log_in(&app, "ada", "ada-password", FIREFOX_LINUX).await;
    let body = serde_json::json!({ "old_password": "guess", "new_password": "brand-new-password" });
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let reply = call(
            &app,
            "POST",
            "/api/password/change/",
            &laptop.access,
            Some(body.clone()),
        )
        .await;
        statuses.push(reply.status);
    }
    assert_eq!(&statuses[..5], [400; 5]);
    assert_eq!(statuses[6], 429, "{statuses:?}");
}

async fn a_password_change_racing_a_refresh_elsewhere_signs_that_device_out(engine: Engine) {
    let app = app(engine).await;
    for round in 0..5 {
        let password = format!("tessera-rotation-{round}");
        let old = if round == 0 {
            "ada-password".to_owned()
        } else {
            format!("tessera-rotation-{}", round - 1)
        };
        let laptop = log_in(&app, "ada", &old, FIREFOX_LINUX).await;
        let phone = log_in(&app, "ada", &old, SAFARI_IPHONE).await;
        let body = serde_json::json!({ "old_password": old, "new_password": password });
        let (changed, refreshed) = tokio::join!(
            call(
                &app,
                "POST",
                "/api/password/change/",
                &laptop.access,
                Some(body)
            ),
            app.refresh(&phone.refresh),
        );
        assert_eq!(changed.status, 200, "{}", changed.text());
        // Whichever came first, the phone holds nothing that works.
        if refreshed.status == 200 {
            let json = refreshed.json();
            assert_eq!(
                app.hello(json["access"].as_str().unwrap()).await.status,
                401
            );
            assert_eq!(
                app.refresh(json["refresh"].as_str().unwrap()).await.status,
                401
            );
        }
        assert_eq!(app.hello(&phone.access).await.status, 401);
        assert_eq!(app.hello(&laptop.access).await.status, 401);
        let new_access = changed.json()["access"].as_str().unwrap().to_owned();
        assert_eq!(app.hello(&new_access).await.status, 200);
    }
}

on_both_engines!(
    a_person_sees_each_device_and_which_one_is_theirs,
    ending_a_session_refuses_its_tokens_and_others_ids_are_not_found,
    ending_the_other_sessions_keeps_this_one,
    changing_the_password_ends_every_session_and_starts_a_new_one,
    wrong_old_passwords_are_throttled_like_logins,
    a_password_change_racing_a_refresh_elsewhere_signs_that_device_out,
);

/// Two instances on one PostgreSQL database: a session ended on one is
/// refused on the other once it has read the change log.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_ended_session_is_refused_on_another_instance() {
    let a = app(Engine::Postgres).await;
    let b = spawn_instance(&a.database_url, &a.settings, TempDir::new()).await;
    let laptop = log_in(&a, "ada", "ada-password", FIREFOX_LINUX).await;
    let phone = log_in(&b, "ada", "ada-password", SAFARI_IPHONE).await;
    assert_eq!(b.hello(&phone.access).await.status, 200);

    let reply = call(
        &a,
        "POST",
        "/api/sessions/end-others/",
        &laptop.access,
        None,
    )
    .await;
    assert_eq!(reply.text(), r#"{"ended":1}"#);
    b.tessera.upkeep.sync().await.unwrap();
    assert_eq!(b.hello(&phone.access).await.status, 401);
    assert_eq!(b.hello(&laptop.access).await.status, 200);

    // A password change made on b ends the laptop's session on a.
    let phone = log_in(&b, "ada", "ada-password", SAFARI_IPHONE).await;
    let body =
        serde_json::json!({ "old_password": "ada-password", "new_password": "brand-new-password" });
    let reply = call(
        &b,
        "POST",
        "/api/password/change/",
        &phone.access,
        Some(body),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    a.tessera.upkeep.sync().await.unwrap();
    assert_eq!(a.hello(&laptop.access).await.status, 401);
    assert_eq!(a.hello(&phone.access).await.status, 401);
    let new_access = reply.json()["access"].as_str().unwrap().to_owned();
    assert_eq!(a.hello(&new_access).await.status, 200);
}
