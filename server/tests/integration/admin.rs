//! The admin API through the real server, on both engines: DRF's 401 and
//! 403 for everyone but staff, users found by name a page at a time,
//! deactivation and ended sessions that hold on every instance at once,
//! staff made and unmade by superusers only, the audit log by user and type.

use std::collections::HashSet;

use serde_json::{json, Value};

use crate::support::http::request;
use crate::support::{
    on_both_engines, spawn_app_with, spawn_instance, Engine, Reply, TempDir, TestApp,
};

const FORBIDDEN: &str = r#"{"detail":"You do not have permission to perform this action."}"#;

async fn call(app: &TestApp, method: &str, path: &str, access: &str, body: Option<Value>) -> Reply {
    let bearer = format!("Bearer {access}");
    let mut headers = vec![("Authorization", bearer.as_str())];
    let body = body.map(|body| body.to_string()).unwrap_or_default();
    if !body.is_empty() {
        headers.push(("Content-Type", "application/json"));
    }
    app.send(request(method, path, &headers, body.as_bytes()))
        .await
}

/// An app with a superuser `root`, a staff member `staff` and a person `bob`;
/// returns their access tokens.
async fn app_with_staff(engine: Engine) -> (TestApp, [String; 3]) {
    let app = spawn_app_with(engine, |_| {}).await;
    for name in ["root", "staff", "bob"] {
        app.add_user(name, &format!("{name}-password")).await;
    }
    let accounts = &app.tessera.accounts;
    accounts
        .set_staff("root", Some(true), Some(true))
        .await
        .unwrap();
    accounts.set_staff("staff", Some(true), None).await.unwrap();
    let mut tokens = Vec::new();
    for name in ["root", "staff", "bob"] {
        tokens.push(app.tokens(name, &format!("{name}-password")).await.0);
    }
    (app, tokens.try_into().unwrap())
}

async fn only_staff_may_use_the_admin_api(engine: Engine) {
    let (app, [_, staff, bob]) = app_with_staff(engine).await;
    let bob_id = crate::support::payload(&bob)["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let endpoints = [
        ("GET", "/api/admin/users/".to_owned(), None),
        ("GET", format!("/api/admin/users/{bob_id}/"), None),
        (
            "PATCH",
            format!("/api/admin/users/{bob_id}/"),
            Some(json!({"is_active": false})),
        ),
        ("GET", format!("/api/admin/users/{bob_id}/sessions/"), None),
        (
            "POST",
            format!("/api/admin/users/{bob_id}/end-sessions/"),
            None,
        ),
        ("GET", "/api/admin/events/".to_owned(), None),
        ("GET", "/api/admin/users/?is_active=maybe".to_owned(), None),
        ("GET", "/api/admin/users/not-a-number/".to_owned(), None),
    ];
    for (method, path, body) in &endpoints {
        let refused = call(&app, method, path, &bob, body.clone()).await;
        assert_eq!(
            (refused.status, refused.text().as_str()),
            (403, FORBIDDEN),
            "{method} {path}"
        );
        let anonymous = app
            .send(request(
                method,
                path,
                &[("Content-Type", "application/json")],
                b"{}",
            ))
            .await;
        assert_eq!(anonymous.status, 401, "{method} {path}");
    }
    // Bob is still active: nothing a refused call asked for happened.
    assert_eq!(app.hello(&bob).await.status, 200);
    // Staff get through.
    assert_eq!(
        call(&app, "GET", "/api/admin/users/", &staff, None)
            .await
            .status,
        200
    );
    // Bad input from staff is a 400 or 404, as DRF answers it.
    let bad = call(
        &app,
        "GET",
        "/api/admin/users/?is_active=maybe",
        &staff,
        None,
    )
    .await;
    assert_eq!(
        (bad.status, bad.text().as_str()),
        (
            400,
            r#"{"is_active":["Select a valid choice. maybe is not one of the available choices."]}"#
        )
    );
    let cursor = call(&app, "GET", "/api/admin/users/?cursor=x", &staff, None).await;
    assert_eq!(
        (cursor.status, cursor.text().as_str()),
        (404, r#"{"detail":"Invalid cursor"}"#)
    );
    let nobody = call(&app, "GET", "/api/admin/users/999999/", &staff, None).await;
    assert_eq!(
        (nobody.status, nobody.text().as_str()),
        (404, r#"{"detail":"Not found."}"#)
    );
    let kind = call(
        &app,
        "GET",
        "/api/admin/events/?type=nonsense",
        &staff,
        None,
    )
    .await;
    assert_eq!(kind.status, 400);
}

async fn staff_find_users_by_name_a_page_at_a_time(engine: Engine) {
    let (app, [_, staff, _]) = app_with_staff(engine).await;
    for n in 0..120 {
        app.tessera
            .accounts
            .create_user(&format!("Member{n:03}"), "member-password")
            .await
            .unwrap();
    }
    // Every member once, in id order, following `next`.
    let mut path = "/api/admin/users/?search=member".to_owned();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = call(&app, "GET", &path, &staff, None).await;
        assert_eq!(page.status, 200, "{}", page.text());
        let page = page.json();
        pages += 1;
        for user in page["results"].as_array().unwrap() {
            seen.push(user["username"].as_str().unwrap().to_owned());
        }
        match page["next"].as_str() {
            Some(next) => path = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..120).map(|n| format!("Member{n:03}")).collect();
    assert_eq!(seen, expected);

    // Part of a name, any case; `%` and `_` are literal.
    let found = call(&app, "GET", "/api/admin/users/?search=MBER11", &staff, None)
        .await
        .json();
    let names: HashSet<&str> = found["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["username"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 10);
    assert!(names.contains("Member110"));
    let none = call(&app, "GET", "/api/admin/users/?search=m_mber", &staff, None)
        .await
        .json();
    assert_eq!(none["results"], json!([]));

    // Flags.
    let staff_only = call(&app, "GET", "/api/admin/users/?is_staff=true", &staff, None)
        .await
        .json();
    let names: Vec<&str> = staff_only["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["root", "staff"]);
    let first = &staff_only["results"][0];
    assert_eq!(
        (
            first["is_superuser"].as_bool(),
            first["is_active"].as_bool()
        ),
        (Some(true), Some(true))
    );
    assert!(first.get("password").is_none() && first.get("password_hash").is_none());
}

async fn staff_deactivate_a_user_and_end_their_sessions(engine: Engine) {
    let (app, [_, staff, bob]) = app_with_staff(engine).await;
    let bob_id: i64 = crate::support::payload(&bob)["user_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let (second, _) = app.tokens("bob", "bob-password").await;
    let sessions = call(
        &app,
        "GET",
        &format!("/api/admin/users/{bob_id}/sessions/"),
        &staff,
        None,
    )
    .await;
    assert_eq!(sessions.json().as_array().unwrap().len(), 2);

    let ended = call(
        &app,
        "POST",
        &format!("/api/admin/users/{bob_id}/end-sessions/"),
        &staff,
        None,
    )
    .await;
    assert_eq!(ended.text(), r#"{"ended":2}"#);
    assert_eq!(app.hello(&bob).await.status, 401);
    assert_eq!(app.hello(&second).await.status, 401);

    let (third, _) = app.tokens("bob", "bob-password").await;
    let changed = call(
        &app,
        "PATCH",
        &format!("/api/admin/users/{bob_id}/"),
        &staff,
        Some(json!({"is_active": false})),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    assert_eq!(changed.json()["is_active"], false);
    assert_eq!(app.hello(&third).await.status, 401);
    assert_eq!(app.login("bob", "bob-password").await.status, 401);

    // The audit log names the staff member and the target.
    let staff_id: i64 = crate::support::payload(&staff)["user_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let events = call(
        &app,
        "GET",
        &format!("/api/admin/events/?user={bob_id}&type=user_deactivated"),
        &staff,
        None,
    )
    .await
    .json();
    let events = events["results"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["actor"], staff_id);
    assert_eq!(events[0]["username"], "bob");
    let ended = call(
        &app,
        "GET",
        &format!("/api/admin/events/?user={bob_id}&type=session_ended"),
        &staff,
        None,
    )
    .await
    .json();
    assert_eq!(ended["results"][0]["detail"], "2 sessions ended");
}

async fn only_a_superuser_makes_or_unmakes_staff(engine: Engine) {
    let (app, [root, staff, bob]) = app_with_staff(engine).await;
    let bob_id = crate::support::payload(&bob)["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/admin/users/{bob_id}/");
    let refused = call(
        &app,
        "PATCH",
        &path,
        &staff,
        Some(json!({"is_staff": true})),
    )
    .await;
    assert_eq!((refused.status, refused.text().as_str()), (403, FORBIDDEN));
    assert_eq!(
        call(&app, "GET", "/api/admin/users/", &bob, None)
            .await
            .status,
        403
    );

    let made = call(&app, "PATCH", &path, &root, Some(json!({"is_staff": true}))).await;
    assert_eq!(made.json()["is_staff"], true);
    assert_eq!(
        call(&app, "GET", "/api/admin/users/", &bob, None)
            .await
            .status,
        200
    );
    let unmade = call(
        &app,
        "PATCH",
        &path,
        &root,
        Some(json!({"is_staff": "false"})),
    )
    .await;
    assert_eq!(unmade.json()["is_staff"], false);
    assert_eq!(
        call(&app, "GET", "/api/admin/users/", &bob, None)
            .await
            .status,
        403
    );
    let bad = call(
        &app,
        "PATCH",
        &path,
        &root,
        Some(json!({"is_staff": "perhaps"})),
    )
    .await;
    assert_eq!(
        (bad.status, bad.text().as_str()),
        (400, r#"{"is_staff":["Must be a valid boolean."]}"#)
    );
}

on_both_engines!(
    only_staff_may_use_the_admin_api,
    staff_find_users_by_name_a_page_at_a_time,
    staff_deactivate_a_user_and_end_their_sessions,
    only_a_superuser_makes_or_unmakes_staff,
);

/// Two instances on one PostgreSQL database: staff removed on one are
/// refused on the other at once; a user deactivated on one is refused on
/// the other once it has read the change log.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn staff_changes_hold_on_every_instance() {
    let (a, [root, staff, bob]) = app_with_staff(Engine::Postgres).await;
    let b = spawn_instance(&a.database_url, &a.settings, TempDir::new()).await;
    assert_eq!(
        call(&b, "GET", "/api/admin/users/", &staff, None)
            .await
            .status,
        200
    );
    let staff_id = crate::support::payload(&staff)["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let unmade = call(
        &a,
        "PATCH",
        &format!("/api/admin/users/{staff_id}/"),
        &root,
        Some(json!({"is_staff": false})),
    )
    .await;
    assert_eq!(unmade.status, 200);
    assert_eq!(
        call(&b, "GET", "/api/admin/users/", &staff, None)
            .await
            .text(),
        FORBIDDEN
    );

    let bob_id = crate::support::payload(&bob)["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(b.hello(&bob).await.status, 200);
    let deactivated = call(
        &a,
        "PATCH",
        &format!("/api/admin/users/{bob_id}/"),
        &root,
        Some(json!({"is_active": false})),
    )
    .await;
    assert_eq!(deactivated.status, 200);
    b.tessera.upkeep.sync().await.unwrap();
    assert_eq!(b.hello(&bob).await.status, 401);
}
