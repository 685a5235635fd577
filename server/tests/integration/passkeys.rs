//! Passkeys over HTTP on both engines, against a software authenticator
//! (`tessera::testing::SoftPasskeys`: the browser's and the device's part,
//! written from the specification): add one, sign in with it alone, each
//! ceremony finishing once (also when ten requests race, and across two
//! instances on one PostgreSQL database), forged and replayed answers, an
//! expired or someone else's ceremony, a cloned authenticator, removal,
//! and the mails and audit events that go with them.

use serde_json::{json, Value};
use tessera::testing::SoftPasskeys;

use crate::support::http::request;
use crate::support::smtp::Mailbox;
use crate::support::{
    on_both_engines, spawn_app_with, spawn_instance, str_field, Engine, Reply, TempDir, TestApp,
};

const PASSWORD: &str = "correct horse battery";
const ORIGIN: &str = "https://auth.tessera.test";

fn site(settings: &mut tessera::Settings) {
    settings.public_url = ORIGIN.parse().unwrap();
    settings.throttle.free_failures = 1_000;
    settings.throttle.address_failures = 1_000;
}

async fn call(app: &TestApp, method: &str, path: &str, access: Option<&str>, body: Value) -> Reply {
    let auth = access.map(|access| format!("Bearer {access}"));
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(auth) = &auth {
        headers.push(("Authorization", auth));
    }
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    app.send(request(method, path, &headers, body.as_bytes()))
        .await
}

/// Begins a registration: `(ceremony, options)`.
async fn register_begin(app: &TestApp, access: &str) -> (String, Value) {
    let begun = call(
        app,
        "POST",
        "/api/passkeys/register/begin/",
        Some(access),
        Value::Null,
    )
    .await;
    assert_eq!(begun.status, 200, "{}", begun.text());
    assert_eq!(begun.header("cache-control"), Some("no-store"));
    let body = begun.json();
    (str_field(&body, "ceremony"), body["publicKey"].clone())
}

async fn register_finish(
    app: &TestApp,
    access: &str,
    ceremony: &str,
    credential: &Value,
    name: &str,
) -> Reply {
    let body = json!({ "ceremony": ceremony, "credential": credential, "name": name });
    call(
        app,
        "POST",
        "/api/passkeys/register/finish/",
        Some(access),
        body,
    )
    .await
}

/// Adds a passkey made by `device`; returns its id.
async fn add_passkey(app: &TestApp, access: &str, device: &mut SoftPasskeys, name: &str) -> String {
    let (ceremony, options) = register_begin(app, access).await;
    let credential = device.create(&options);
    let added = register_finish(app, access, &ceremony, &credential, name).await;
    assert_eq!(added.status, 201, "{}", added.text());
    str_field(&added.json(), "id")
}

/// Begins a sign-in: `(ceremony, options)`.
async fn login_begin(app: &TestApp) -> (String, Value) {
    let begun = call(app, "POST", "/api/passkeys/login/begin/", None, Value::Null).await;
    assert_eq!(begun.status, 200, "{}", begun.text());
    let body = begun.json();
    (str_field(&body, "ceremony"), body["publicKey"].clone())
}

async fn login_finish(app: &TestApp, ceremony: &str, credential: &Value) -> Reply {
    let body = json!({ "ceremony": ceremony, "credential": credential });
    call(app, "POST", "/api/passkeys/login/finish/", None, body).await
}

/// Signs in with `device`'s newest passkey.
async fn sign_in(app: &TestApp, device: &mut SoftPasskeys) -> Reply {
    let (ceremony, options) = login_begin(app).await;
    let assertion = device.get(&options);
    login_finish(app, &ceremony, &assertion).await
}

/// The audit log's newest events.
async fn recent_events(app: &TestApp) -> Vec<tessera::AuditEntry> {
    let query = tessera::AuditQuery {
        limit: 200,
        ..Default::default()
    };
    app.tessera.audit.events(&query).await.unwrap()
}

fn no_nulls(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Object(members) => members.values().all(no_nulls),
        Value::Array(items) => items.iter().all(no_nulls),
        _ => true,
    }
}

async fn the_whole_life_of_a_passkey(engine: Engine) {
    let app = spawn_app_with(engine, site).await;
    app.add_user("ana", PASSWORD).await;
    app.add_user("bea", PASSWORD).await;
    let (access, _) = app.tokens("ana", PASSWORD).await;
    let (_, other_refresh) = app.tokens("ana", PASSWORD).await;
    let (bea_access, _) = app.tokens("bea", PASSWORD).await;
    let mut laptop = SoftPasskeys::new(ORIGIN);

    let none = call(&app, "GET", "/api/passkeys/", Some(&access), Value::Null).await;
    assert_eq!(none.text(), "[]");

    // The options ask for a discoverable credential, verified, for this site.
    let (ceremony, options) = register_begin(&app, &access).await;
    assert_eq!(options["rp"]["id"], "auth.tessera.test");
    assert_eq!(options["user"]["name"], "ana");
    assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(
        options["authenticatorSelection"]["userVerification"],
        "required"
    );
    assert!(no_nulls(&options), "{options}");
    let credential = laptop.create(&options);

    // Bad bodies change nothing: the ceremony still waits.
    for (body, expected) in [
        (
            json!({ "ceremony": ceremony, "credential": {"id": "x"}, "name": "Laptop" }),
            json!({ "credential": ["This is not a passkey credential."] }),
        ),
        (
            json!({ "ceremony": ceremony, "credential": "garbage", "name": "Laptop" }),
            json!({ "credential": ["Expected a JSON object."] }),
        ),
        (
            json!({ "ceremony": ceremony, "credential": credential, "name": "  " }),
            json!({ "name": ["This field may not be blank."] }),
        ),
        (
            json!({ "ceremony": ceremony, "credential": credential, "name": "x".repeat(65) }),
            json!({ "name": ["Ensure this field has no more than 64 characters."] }),
        ),
        (
            json!({ "credential": credential }),
            json!({
                "ceremony": ["This field is required."],
                "name": ["This field is required."],
            }),
        ),
    ] {
        let refused = call(
            &app,
            "POST",
            "/api/passkeys/register/finish/",
            Some(&access),
            body.clone(),
        )
        .await;
        assert_eq!(refused.status, 400, "{body}");
        assert_eq!(refused.json(), expected, "{body}");
    }
    // Someone else's ceremony is unknown to this caller, and stays theirs.
    let (bea_ceremony, _) = register_begin(&app, &bea_access).await;
    let stolen = register_finish(&app, &access, &bea_ceremony, &credential, "Laptop").await;
    assert_eq!(stolen.status, 400);
    assert_eq!(
        stolen.text(),
        r#"{"ceremony":["This passkey request has expired or was already used. Start again."]}"#
    );
    assert_eq!(
        app.refresh(&other_refresh).await.status,
        200,
        "nothing changed"
    );
    let (_, other_refresh) = app.tokens("ana", PASSWORD).await;

    let added = register_finish(&app, &access, &ceremony, &credential, " Laptop ").await;
    assert_eq!(added.status, 201, "{}", added.text());
    let passkey = added.json();
    assert_eq!(passkey["name"], "Laptop");
    assert_eq!(passkey["last_used"], Value::Null);
    let id = str_field(&passkey, "id");
    // Every other session ended; this one goes on.
    assert_eq!(app.refresh(&other_refresh).await.status, 401);
    assert_eq!(app.hello(&access).await.status, 200);
    // A ceremony finishes once.
    let again = register_finish(&app, &access, &ceremony, &credential, "Laptop").await;
    assert_eq!(again.status, 400);
    // The same authenticator's credential cannot be registered twice.
    let (ceremony, _) = register_begin(&app, &access).await;
    let twice = register_finish(&app, &access, &ceremony, &credential, "Again").await;
    assert_eq!(twice.status, 400, "{}", twice.text());

    // Sign-in with the passkey alone.
    let (ceremony, options) = login_begin(&app).await;
    assert_eq!(options["rpId"], "auth.tessera.test");
    assert_eq!(options["userVerification"], "required");
    assert!(no_nulls(&options), "{options}");
    let assertion = laptop.get(&options);
    let signed_in = login_finish(&app, &ceremony, &assertion).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.text());
    assert_eq!(signed_in.header("cache-control"), Some("no-store"));
    assert!(signed_in.header("tessera-device").is_some());
    assert!(
        signed_in.text().starts_with(r#"{"refresh":""#),
        "simplejwt's body"
    );
    let body = signed_in.json();
    assert_eq!(body.as_object().unwrap().len(), 2);
    let passkey_access = str_field(&body, "access");
    assert_eq!(app.hello(&passkey_access).await.status, 200);
    let passkey_refresh = str_field(&body, "refresh");
    assert_eq!(app.refresh(&passkey_refresh).await.status, 200);
    // The same answer again: its ceremony is gone.
    let replayed = login_finish(&app, &ceremony, &assertion).await;
    assert_eq!(replayed.status, 400);
    assert_eq!(replayed.json()["ceremony"].as_array().unwrap().len(), 1);
    // The same answer for a new ceremony: the challenge differs.
    let (fresh, _) = login_begin(&app).await;
    let replayed = login_finish(&app, &fresh, &assertion).await;
    assert_eq!(replayed.status, 401);
    assert_eq!(
        replayed.text(),
        r#"{"detail":"The passkey was not accepted.","code":"passkey_invalid"}"#
    );
    let list = call(&app, "GET", "/api/passkeys/", Some(&access), Value::Null).await;
    let list = list.json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(list[0]["last_used"].is_string(), "{list}");

    // Forged answers.
    // A real signature, over another challenge.
    let (ceremony, options) = login_begin(&app).await;
    let mut forged = laptop.get(&options);
    forged["response"]["signature"] = assertion["response"]["signature"].clone();
    assert_eq!(login_finish(&app, &ceremony, &forged).await.status, 401);
    let (ceremony, options) = login_begin(&app).await;
    let mut stranger = laptop.get(&options);
    stranger["response"]["userHandle"] = json!("AAAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(login_finish(&app, &ceremony, &stranger).await.status, 401);
    let (ceremony, _) = login_begin(&app).await;
    let garbage = login_finish(&app, &ceremony, &json!({ "type": "public-key" })).await;
    assert_eq!(
        garbage.text(),
        r#"{"credential":["This is not a passkey credential."]}"#
    );
    // An expired ceremony.
    let (ceremony, options) = login_begin(&app).await;
    app.advance(301);
    let late = login_finish(&app, &ceremony, &laptop.get(&options)).await;
    assert_eq!(late.status, 400, "{}", late.text());
    // Five minutes on, the access tokens above have expired too.
    let (access, _) = app.tokens("ana", PASSWORD).await;
    let (bea_access, _) = app.tokens("bea", PASSWORD).await;

    // Removal: someone else's id is not found; the owner's goes, and
    // the passkey signs in no more.
    let path = format!("/api/passkeys/{id}/");
    let (_, other_refresh) = app.tokens("ana", PASSWORD).await;
    let foreign = call(&app, "DELETE", &path, Some(&bea_access), Value::Null).await;
    assert_eq!(foreign.status, 404);
    let removed = call(&app, "DELETE", &path, Some(&access), Value::Null).await;
    assert_eq!(removed.status, 204, "{}", removed.text());
    assert_eq!(app.refresh(&other_refresh).await.status, 401);
    assert_eq!(app.hello(&access).await.status, 200);
    let gone = call(&app, "DELETE", &path, Some(&access), Value::Null).await;
    assert_eq!(gone.status, 404);
    assert_eq!(sign_in(&app, &mut laptop).await.status, 401);

    let events = recent_events(&app).await;
    for kind in ["passkey_added", "passkey_removed"] {
        assert!(events.iter().any(|e| e.kind == kind), "{kind}");
    }
    assert!(events
        .iter()
        .any(|e| e.kind == "login_succeeded" && e.detail.as_deref() == Some("passkey")));
}

async fn a_cloned_or_unverified_authenticator_is_refused(engine: Engine) {
    let app = spawn_app_with(engine, site).await;
    app.add_user("cid", PASSWORD).await;
    let (access, _) = app.tokens("cid", PASSWORD).await;
    let mut phone = SoftPasskeys::new(ORIGIN);
    add_passkey(&app, &access, &mut phone, "Phone").await;
    let mut copy = phone.clone();
    assert_eq!(sign_in(&app, &mut phone).await.status, 200);
    // The copy signs with the count the original used already.
    let cloned = sign_in(&app, &mut copy).await;
    assert_eq!(cloned.status, 401, "{}", cloned.text());
    assert_eq!(sign_in(&app, &mut phone).await.status, 200);
    // A touch without the fingerprint or PIN is not a passkey sign-in.
    phone.skip_user_verification = true;
    assert_eq!(sign_in(&app, &mut phone).await.status, 401);
    let events = recent_events(&app).await;
    assert!(events
        .iter()
        .any(|e| e.kind == "login_failed"
            && e.detail.as_deref().is_some_and(|d| d.contains("cloned"))));
}

async fn a_ceremony_finishes_once_however_many_requests_race(engine: Engine) {
    let app = std::sync::Arc::new(spawn_app_with(engine, site).await);
    app.add_user("dia", PASSWORD).await;
    let (access, _) = app.tokens("dia", PASSWORD).await;
    let mut key = SoftPasskeys::new(ORIGIN);
    add_passkey(&app, &access, &mut key, "Key").await;
    let (ceremony, options) = login_begin(&app).await;
    let assertion = key.get(&options);
    let racers: Vec<_> = (0..10)
        .map(|_| {
            let (app, ceremony, assertion) = (app.clone(), ceremony.clone(), assertion.clone());
            tokio::spawn(async move { login_finish(&app, &ceremony, &assertion).await.status })
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
        statuses.iter().filter(|s| **s == 400).count(),
        9,
        "{statuses:?}"
    );
}

async fn an_inactive_account_does_not_sign_in_with_its_passkey(engine: Engine) {
    let app = spawn_app_with(engine, site).await;
    app.add_user("eva", PASSWORD).await;
    let (access, _) = app.tokens("eva", PASSWORD).await;
    let mut key = SoftPasskeys::new(ORIGIN);
    add_passkey(&app, &access, &mut key, "Key").await;
    app.tessera.accounts.set_active("eva", false).await.unwrap();
    let refused = sign_in(&app, &mut key).await;
    assert_eq!(
        refused.text(),
        r#"{"detail":"No active account found with the given credentials"}"#
    );
}

on_both_engines!(
    the_whole_life_of_a_passkey,
    a_cloned_or_unverified_authenticator_is_refused,
    a_ceremony_finishes_once_however_many_requests_race,
    an_inactive_account_does_not_sign_in_with_its_passkey,
);

/// WebAuthn works on domains only: with an IP address (not loopback's,
/// which stands for `localhost`) for a public URL and no relying-party id,
/// the endpoints are not found.
#[tokio::test]
async fn without_a_domain_there_are_no_passkeys() {
    let app = spawn_app_with(Engine::Sqlite, |settings| {
        settings.public_url = "http://192.0.2.7:3000".parse().unwrap();
    })
    .await;
    app.add_user("fay", PASSWORD).await;
    let (access, _) = app.tokens("fay", PASSWORD).await;
    let begun = call(
        &app,
        "POST",
        "/api/passkeys/register/begin/",
        Some(&access),
        Value::Null,
    )
    .await;
    assert_eq!(begun.status, 404);
    let begun = call(
        &app,
        "POST",
        "/api/passkeys/login/begin/",
        None,
        Value::Null,
    )
    .await;
    assert_eq!(begun.text(), r#"{"detail":"Not found."}"#);
    let list = call(&app, "GET", "/api/passkeys/", Some(&access), Value::Null).await;
    assert_eq!(list.text(), "[]");
}

/// Adding and removing a passkey are mailed to the account's address.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_owner_is_told_of_each_change_by_mail() {
    let mailbox = Mailbox::start();
    let app = spawn_app_with(Engine::Sqlite, |settings| {
        site(settings);
        settings.mail.smtp_url = Some(mailbox.url());
        settings.mail.from = "Tessera <noreply@tessera.test>".into();
    })
    .await;
    let _sender = app.tessera.mail.spawn_sender();
    app.tessera
        .accounts
        .create_user_with_email("gus", PASSWORD, "gus@example.com")
        .await
        .unwrap();
    let (access, _) = app.tokens("gus", PASSWORD).await;
    let mut key = SoftPasskeys::new(ORIGIN);
    let id = add_passkey(&app, &access, &mut key, "Work laptop").await;
    let path = format!("/api/passkeys/{id}/");
    assert_eq!(
        call(&app, "DELETE", &path, Some(&access), Value::Null)
            .await
            .status,
        204
    );
    let mails = mailbox.wait_for(2).await;
    let subjects: Vec<String> = mails
        .iter()
        .map(|mail| mail.header("Subject").unwrap_or_default())
        .collect();
    assert_eq!(
        subjects,
        [
            "A passkey was added to your account on auth.tessera.test",
            "A passkey was removed from your account on auth.tessera.test",
        ]
    );
    assert!(mails[0].text.contains("Work laptop"), "{}", mails[0].text);
}

/// Two instances on one PostgreSQL database: a ceremony begun on one
/// finishes on the other, and only once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_ceremony_begun_on_one_instance_finishes_on_another_once() {
    let first = spawn_app_with(Engine::Postgres, site).await;
    let second = spawn_instance(&first.database_url, &first.settings, TempDir::new()).await;
    first.add_user("hal", PASSWORD).await;
    let (access, _) = first.tokens("hal", PASSWORD).await;
    let mut key = SoftPasskeys::new(ORIGIN);

    let (ceremony, options) = register_begin(&first, &access).await;
    let credential = key.create(&options);
    let added = register_finish(&second, &access, &ceremony, &credential, "Key").await;
    assert_eq!(added.status, 201, "{}", added.text());

    let (ceremony, options) = login_begin(&second).await;
    let assertion = key.get(&options);
    assert_eq!(
        login_finish(&first, &ceremony, &assertion).await.status,
        200
    );
    assert_eq!(
        login_finish(&second, &ceremony, &assertion).await.status,
        400
    );
}
