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
    app_with_staff_signing(engine, "HS256").await
}

async fn app_with_staff_signing(engine: Engine, algorithm: &str) -> (TestApp, [String; 3]) {
    let algorithm: tessera::SigningAlgorithm = algorithm.parse().unwrap();
    let app = spawn_app_with(engine, |settings| settings.algorithm = algorithm).await;
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
        (
            "DELETE",
            format!("/api/admin/users/{bob_id}/sessions/{}/", "0".repeat(32)),
            None,
        ),
        ("GET", "/api/admin/keys/".to_owned(), None),
        ("POST", "/api/admin/keys/rotate/".to_owned(), None),
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

    // The start of a name, any case; a middle part is not a start.
    let found = call(
        &app,
        "GET",
        "/api/admin/users/?search=mEMBER11",
        &staff,
        None,
    )
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
    for nothing in ["mber11", "m_mber", "member%", "Member1100"] {
        let none = call(
            &app,
            "GET",
            &format!("/api/admin/users/?search={nothing}"),
            &staff,
            None,
        )
        .await
        .json();
        assert_eq!(none["results"], json!([]), "{nothing}");
    }

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

async fn staff_end_one_session_of_a_user(engine: Engine) {
    let (app, [_, staff, bob]) = app_with_staff(engine).await;
    let bob_id = crate::support::payload(&bob)["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (second, _) = app.tokens("bob", "bob-password").await;
    let second_sid = crate::support::payload(&second)["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/admin/users/{bob_id}/sessions/{second_sid}/");

    let ended = call(&app, "DELETE", &path, &staff, None).await;
    assert_eq!((ended.status, ended.text().as_str()), (204, ""));
    assert_eq!(app.hello(&second).await.status, 401);
    assert_eq!(app.hello(&bob).await.status, 200, "the other session lives");
    // Once ended, it is no session; nor is another user's, nor a made-up id.
    let again = call(&app, "DELETE", &path, &staff, None).await;
    assert_eq!(
        (again.status, again.text().as_str()),
        (404, r#"{"detail":"Not found."}"#)
    );
    let staff_sid = crate::support::payload(&staff)["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let foreign = format!("/api/admin/users/{bob_id}/sessions/{staff_sid}/");
    assert_eq!(
        call(&app, "DELETE", &foreign, &staff, None).await.status,
        404
    );
    assert_eq!(app.hello(&staff).await.status, 200);
    let junk = format!("/api/admin/users/{bob_id}/sessions/not-an-id/");
    assert_eq!(call(&app, "DELETE", &junk, &staff, None).await.status, 404);

    let events = call(
        &app,
        "GET",
        &format!("/api/admin/events/?user={bob_id}&type=session_ended"),
        &staff,
        None,
    )
    .await
    .json();
    let events = events["results"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["session"], second_sid.as_str());
    assert_eq!(events[0]["detail"], "by staff");
}

async fn staff_see_the_signing_keys_and_superusers_rotate_them(engine: Engine) {
    let (app, [root, staff, _]) = app_with_staff_signing(engine, "ES256").await;
    let keys = call(&app, "GET", "/api/admin/keys/", &staff, None).await;
    assert_eq!(keys.status, 200, "{}", keys.text());
    let keys = keys.json();
    let keys = keys.as_array().unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(keys[0]["algorithm"], "ES256");
    assert_eq!(keys[0]["state"], "current");
    assert!(!keys[0].to_string().contains("private"), "{keys:?}");

    let refused = call(&app, "POST", "/api/admin/keys/rotate/", &staff, None).await;
    assert_eq!((refused.status, refused.text().as_str()), (403, FORBIDDEN));
    let rotated = call(&app, "POST", "/api/admin/keys/rotate/", &root, None).await;
    assert_eq!(rotated.status, 201, "{}", rotated.text());
    let added = rotated.json();
    let listed = call(&app, "GET", "/api/admin/keys/", &staff, None)
        .await
        .json();
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    assert_eq!(listed[1]["kid"], added["kid"]);

    let root_id: i64 = crate::support::payload(&root)["user_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let events = call(
        &app,
        "GET",
        "/api/admin/events/?type=signing_key_added",
        &staff,
        None,
    )
    .await
    .json();
    let by_root: Vec<&Value> = events["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|event| event["actor"] == root_id)
        .collect();
    assert_eq!(by_root.len(), 1, "{events}");
}

/// An HMAC key is the secret itself: "rotating" it would add the same key
/// again, so the answer says how to rotate a secret instead.
async fn an_hmac_secret_is_not_rotated_by_the_api(engine: Engine) {
    let (app, [root, _, _]) = app_with_staff(engine).await;
    let refused = call(&app, "POST", "/api/admin/keys/rotate/", &root, None).await;
    assert_eq!(refused.status, 409, "{}", refused.text());
    let detail = refused.json()["detail"].as_str().unwrap().to_owned();
    assert!(
        detail.starts_with("This server signs with its secret key (HS256)")
            && detail.contains("--previous-secret-keys"),
        "{detail}"
    );
    let keys = call(&app, "GET", "/api/admin/keys/", &root, None)
        .await
        .json();
    assert_eq!(keys.as_array().unwrap().len(), 1, "{keys}");
}

/// Names and address: shown, changed by staff within Django's limits,
/// searched by the start of the address; the log names the fields only.
async fn staff_change_names_and_email_and_find_users_by_address(engine: Engine) {
    let (app, [_, staff, bob]) = app_with_staff(engine).await;
    let bob_id = crate::support::payload(&bob)["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/admin/users/{bob_id}/");
    let shown = call(&app, "GET", &path, &staff, None).await.json();
    assert_eq!(
        (&shown["first_name"], &shown["last_name"], &shown["email"]),
        (&json!(""), &json!(""), &json!(""))
    );

    let changed = call(
        &app,
        "PATCH",
        &path,
        &staff,
        Some(json!({"first_name": " Robert ", "last_name": "Tables", "email": "Bob.Tables@Example.org"})),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    let changed = changed.json();
    assert_eq!(changed["first_name"], "Robert");
    assert_eq!(
        changed["email"], "Bob.Tables@Example.org",
        "stored as given"
    );

    for (body, answer) in [
        (
            json!({"email": "not an address"}),
            r#"{"email":["Enter a valid email address."]}"#.to_owned(),
        ),
        (
            json!({"first_name": "x".repeat(151)}),
            r#"{"first_name":["Ensure this field has no more than 150 characters."]}"#.to_owned(),
        ),
        (
            json!({"last_name": null}),
            r#"{"last_name":["This field may not be null."]}"#.to_owned(),
        ),
        (
            json!({"email": ["a@b.org"]}),
            r#"{"email":["Not a valid string."]}"#.to_owned(),
        ),
    ] {
        let refused = call(&app, "PATCH", &path, &staff, Some(body.clone())).await;
        assert_eq!((refused.status, refused.text()), (400, answer), "{body}");
    }
    let unchanged = call(&app, "GET", &path, &staff, None).await.json();
    assert_eq!(unchanged["email"], "Bob.Tables@Example.org");

    // Found by the start of the address, in any case.
    let found = call(
        &app,
        "GET",
        "/api/admin/users/?search=BOB.tab",
        &staff,
        None,
    )
    .await
    .json();
    let names: Vec<&str> = found["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bob"]);

    // One event, naming the fields that changed and not their values.
    let events = call(
        &app,
        "GET",
        &format!("/api/admin/events/?user={bob_id}&type=profile_changed"),
        &staff,
        None,
    )
    .await
    .json();
    let events = events["results"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["detail"], "first_name, last_name, email");
    assert!(!events[0].to_string().contains("Tables"), "{:?}", events[0]);
    // The same values again change nothing and log nothing.
    call(
        &app,
        "PATCH",
        &path,
        &staff,
        Some(json!({"first_name": "Robert"})),
    )
    .await;
    let again = call(
        &app,
        "GET",
        &format!("/api/admin/events/?user={bob_id}&type=profile_changed"),
        &staff,
        None,
    )
    .await
    .json();
    assert_eq!(again["results"].as_array().unwrap().len(), 1);
}

on_both_engines!(
    staff_change_names_and_email_and_find_users_by_address,
    staff_end_one_session_of_a_user,
    staff_see_the_signing_keys_and_superusers_rotate_them,
    an_hmac_secret_is_not_rotated_by_the_api,
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
