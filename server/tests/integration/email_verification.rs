//! Verified addresses as dj-rest-auth and django-allauth speak them, with
//! mail through a real SMTP server on loopback: sign-up mails a link that
//! verifies once; `mandatory` keeps the account out until then; reset links
//! and notices go to verified addresses only (unless `none`); a new address
//! replaces a verified one only once verified, and the old one is told.

use crate::support;

use leptos::server_fn::ServerFn;
use serde_json::{json, Value};
use support::smtp::{Mailbox, ReceivedMail};
use support::{on_both_engines, spawn_app_with, str_field, Engine, Reply, TestApp};
use tessera::EmailVerification;
use tessera_app::api::SignUp;
use tessera_app::email_api::{ChangeEmail, MyEmail};

const OK: &str = r#"{"detail":"ok"}"#;
const NOT_FOUND: &str = r#"{"detail":"Not found."}"#;
const NOT_VERIFIED: &str = r#"{"non_field_errors":["E-mail is not verified."]}"#;

async fn app_verifying(engine: Engine, mode: EmailVerification, mailbox: &Mailbox) -> TestApp {
    let smtp_url = mailbox.url();
    spawn_app_with(engine, move |settings| {
        settings.allow_signup = true;
        settings.email_verification = mode;
        settings.mail.smtp_url = Some(smtp_url);
        settings.public_url = "https://auth.tessera.test".parse().unwrap();
    })
    .await
}

/// Signs up through the UI's server function.
async fn sign_up(app: &TestApp, username: &str, email: &str) -> Reply {
    let fields = [
        ("username", username),
        ("password", "long enough 1"),
        ("email", email),
    ];
    app.post_form(SignUp::PATH, &crate::server_functions::form(&fields))
        .await
}

/// A server function call with the caller's access token.
async fn call_as(app: &TestApp, path: &str, access: &str, fields: &[(&str, &str)]) -> Reply {
    app.send(support::http::request(
        "POST",
        path,
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Authorization", &format!("Bearer {access}")),
        ],
        crate::server_functions::form(fields).as_bytes(),
    ))
    .await
}

async fn verify(app: &TestApp, key: &str) -> Reply {
    app.post_json(
        "/api/registration/verify-email/",
        &json!({ "key": key }).to_string(),
    )
    .await
}

async fn resend(app: &TestApp, email: &str) -> Reply {
    app.post_json(
        "/api/registration/resend-email/",
        &json!({ "email": email }).to_string(),
    )
    .await
}

async fn ask_reset(app: &TestApp, email: &str) -> Reply {
    app.post_json(
        "/api/password/reset/",
        &json!({ "email": email }).to_string(),
    )
    .await
}

/// The key of the verification link in a mail.
fn key_in(mail: &ReceivedMail) -> String {
    let link = mail.link("/verify-email/");
    assert!(
        link.starts_with("https://auth.tessera.test/verify-email/"),
        "{link}"
    );
    link.rsplit('/').next().unwrap().to_owned()
}

/// Sends what is due and returns how many mails went.
async fn deliver(app: &TestApp) -> usize {
    app.tessera.mail.send_due().await.unwrap()
}

on_both_engines!(
    a_sign_up_link_verifies_the_address_once,
    mandatory_verification_keeps_the_account_out_until_verified,
);

async fn a_sign_up_link_verifies_the_address_once(engine: Engine) {
    let mailbox = Mailbox::start();
    let app = app_verifying(engine, EmailVerification::Optional, &mailbox).await;
    let created = sign_up(&app, "ana", "Ana@Example.com").await;
    assert_eq!(created.status, 200, "{}", created.text());
    // Optional: signed in at once.
    let access = str_field(&created.json(), "access");
    assert_eq!(deliver(&app).await, 1);
    let mail = &mailbox.wait_for(1).await[0];
    assert_eq!(mail.recipients, ["Ana@Example.com"]);
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Confirm your email address on auth.tessera.test")
    );
    let key = key_in(mail);

    // Not verified yet: a reset link does not go there.
    assert_eq!(ask_reset(&app, "ana@example.com").await.status, 200);
    assert_eq!(deliver(&app).await, 0);
    let status = call_as(&app, MyEmail::PATH, &access, &[]).await;
    assert_eq!(
        status.json(),
        json!({"email": "Ana@Example.com", "verified": false, "pending": "", "verification": true})
    );

    let reply = verify(&app, &key).await;
    assert_eq!((reply.status, reply.text()), (200, OK.to_owned()));
    // Once.
    let again = verify(&app, &key).await;
    assert_eq!((again.status, again.text()), (404, NOT_FOUND.to_owned()));
    let status = call_as(&app, MyEmail::PATH, &access, &[]).await;
    assert_eq!(status.json()["verified"], json!(true));

    // Verified: reset links go there now.
    assert_eq!(ask_reset(&app, "ANA@example.com").await.status, 200);
    assert_eq!(deliver(&app).await, 1);
    let reset = &mailbox.wait_for(2).await[1];
    assert!(reset.link("/reset-password/").contains("/reset-password/"));
    let events = app.tessera.audit.recent_of(1, 1).await.unwrap();
    assert!(
        events.iter().any(|event| event.kind == "email_verified"),
        "{events:?}"
    );
}

async fn mandatory_verification_keeps_the_account_out_until_verified(engine: Engine) {
    let mailbox = Mailbox::start();
    let app = app_verifying(engine, EmailVerification::Mandatory, &mailbox).await;
    // An address is required.
    let without = sign_up(&app, "bo", "").await;
    assert_eq!(without.status, 400, "{}", without.text());
    assert_eq!(without.json()["Invalid"]["field"], "email");
    assert!(app.tessera.accounts.list_users().await.unwrap().is_empty());

    // Made, not signed in: no tokens until the link is opened.
    let created = sign_up(&app, "bo", "bo@example.com").await;
    assert_eq!((created.status, created.json()), (200, Value::Null));
    let login = app.login("bo", "long enough 1").await;
    assert_eq!((login.status, login.text()), (400, NOT_VERIFIED.to_owned()));
    // Only the right password learns that.
    let wrong = app.login("bo", "wrong password").await;
    assert_eq!(wrong.status, 401);

    // A second link on request; the first still works too.
    let reply = resend(&app, "BO@example.com").await;
    assert_eq!((reply.status, reply.text()), (200, OK.to_owned()));
    assert_eq!(deliver(&app).await, 2);
    let mails = mailbox.wait_for(2).await;
    assert!(mails
        .iter()
        .all(|mail| mail.recipients == ["bo@example.com"]));
    let reply = verify(&app, &key_in(&mails[0])).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(app.login("bo", "long enough 1").await.status, 200);
    // Verified: nothing waits, so a resend sends nothing and the second
    // link is spent.
    assert_eq!(resend(&app, "bo@example.com").await.status, 200);
    assert_eq!(deliver(&app).await, 0);
    assert_eq!(verify(&app, &key_in(&mails[1])).await.status, 404);
}

#[tokio::test]
async fn without_verification_no_link_is_sent_and_resets_go_to_any_address() {
    let mailbox = Mailbox::start();
    let app = app_verifying(Engine::Sqlite, EmailVerification::None, &mailbox).await;
    let created = sign_up(&app, "cy", "cy@example.com").await;
    assert_eq!(created.status, 200, "{}", created.text());
    assert_eq!(resend(&app, "cy@example.com").await.status, 200);
    assert_eq!(deliver(&app).await, 0);
    assert_eq!(ask_reset(&app, "cy@example.com").await.status, 200);
    assert_eq!(deliver(&app).await, 1);
    let access = str_field(&created.json(), "access");
    let status = call_as(&app, MyEmail::PATH, &access, &[]).await;
    assert_eq!(status.json()["verification"], json!(false));
}

#[tokio::test]
async fn a_new_address_replaces_a_verified_one_only_once_verified() {
    let mailbox = Mailbox::start();
    let app = app_verifying(Engine::Sqlite, EmailVerification::Optional, &mailbox).await;
    // An operator's address is verified.
    app.tessera
        .accounts
        .create_user_with_email("dee", "dee's password", "dee@old.example")
        .await
        .unwrap();
    let (access, _) = app.tokens("dee", "dee's password").await;

    let reply = call_as(
        &app,
        ChangeEmail::PATH,
        &access,
        &[("email", "dee@new.example")],
    )
    .await;
    assert_eq!(
        reply.json(),
        json!({"email": "dee@old.example", "verified": true, "pending": "dee@new.example", "verification": true})
    );
    assert_eq!(deliver(&app).await, 1);
    let link = &mailbox.wait_for(1).await[0];
    assert_eq!(link.recipients, ["dee@new.example"]);

    // Until then the old address is the account's: resets go there only.
    assert_eq!(ask_reset(&app, "dee@new.example").await.status, 200);
    assert_eq!(deliver(&app).await, 0);
    assert_eq!(ask_reset(&app, "dee@old.example").await.status, 200);
    assert_eq!(deliver(&app).await, 1);
    assert_eq!(mailbox.wait_for(2).await[1].recipients, ["dee@old.example"]);

    // Verified: the new address takes over, and the old one is told.
    assert_eq!(verify(&app, &key_in(link)).await.status, 200);
    assert_eq!(deliver(&app).await, 1);
    let notice = &mailbox.wait_for(3).await[2];
    assert_eq!(notice.recipients, ["dee@old.example"]);
    assert_eq!(
        notice.header("Subject").as_deref(),
        Some("Your email address on auth.tessera.test was changed")
    );
    assert!(
        notice.text.contains("to d***@new.example"),
        "{}",
        notice.text
    );
    let status = call_as(&app, MyEmail::PATH, &access, &[]).await;
    assert_eq!(
        status.json(),
        json!({"email": "dee@new.example", "verified": true, "pending": "", "verification": true})
    );

    // A bad address is refused and changes nothing.
    let bad = call_as(
        &app,
        ChangeEmail::PATH,
        &access,
        &[("email", "dee@new.example\r\nBcc: x@evil.example")],
    )
    .await;
    assert_eq!(bad.status, 400, "{}", bad.text());
    assert_eq!(bad.json()["Invalid"]["field"], "email");
    assert_eq!(deliver(&app).await, 0);
}

#[tokio::test]
async fn a_change_waiting_for_verification_can_be_called_off() {
    let mailbox = Mailbox::start();
    let app = app_verifying(Engine::Sqlite, EmailVerification::Optional, &mailbox).await;
    app.tessera
        .accounts
        .create_user_with_email("eli", "eli's password", "eli@old.example")
        .await
        .unwrap();
    let (access, _) = app.tokens("eli", "eli's password").await;
    call_as(
        &app,
        ChangeEmail::PATH,
        &access,
        &[("email", "eli@new.example")],
    )
    .await;
    assert_eq!(deliver(&app).await, 1);
    let link = &mailbox.wait_for(1).await[0];
    let reply = call_as(
        &app,
        ChangeEmail::PATH,
        &access,
        &[("email", "eli@old.example")],
    )
    .await;
    assert_eq!(reply.json()["pending"], json!(""));
    // The link proves an address nobody waits for any more.
    assert_eq!(verify(&app, &key_in(link)).await.status, 404);
}

#[tokio::test]
async fn bad_verification_requests_get_djrestauths_answers_and_mail_nothing() {
    let mailbox = Mailbox::start();
    let app = app_verifying(Engine::Sqlite, EmailVerification::Optional, &mailbox).await;
    let created = sign_up(&app, "fay", "fay@example.com").await;
    assert_eq!(created.status, 200);
    assert_eq!(deliver(&app).await, 1);
    let key = key_in(&mailbox.wait_for(1).await[0]);

    let missing = app.post_json("/api/registration/verify-email/", "{}").await;
    assert_eq!(
        (missing.status, missing.text()),
        (400, r#"{"key":["This field is required."]}"#.to_owned())
    );
    // Altered, for another user, or nonsense: all 404, nothing verified.
    let (uid, stamp) = key.split_once('-').unwrap();
    let mut flipped = stamp.to_owned();
    let last = flipped.pop().unwrap();
    flipped.push(if last == '0' { '1' } else { '0' });
    for bad in [
        format!("{uid}-{flipped}"),
        format!("Mg-{stamp}"),
        "x".repeat(10_000),
        "MQ".to_owned(),
        "\u{1F600}-\u{0}".to_owned(),
    ] {
        let reply = verify(&app, &bad).await;
        assert_eq!(
            (reply.status, reply.text()),
            (404, NOT_FOUND.to_owned()),
            "{bad:.40}"
        );
    }
    for bad in [
        "not an address",
        "fay@example.com\r\nBcc: x@evil.example",
        &format!("{}@example.com", "f".repeat(10_000)),
    ] {
        let reply = resend(&app, bad).await;
        assert_eq!(reply.status, 400, "{bad:.40}: {}", reply.text());
        assert_eq!(
            reply.json(),
            json!({"email": ["Enter a valid email address."]})
        );
    }
    // An address nobody waits for: the same answer, no mail.
    let unknown = resend(&app, "nobody@example.com").await;
    assert_eq!((unknown.status, unknown.text()), (200, OK.to_owned()));
    assert_eq!(deliver(&app).await, 0);
    assert_eq!(verify(&app, &key).await.status, 200);
}

#[tokio::test]
async fn a_link_expires() {
    let mailbox = Mailbox::start();
    let app = app_verifying(Engine::Sqlite, EmailVerification::Mandatory, &mailbox).await;
    assert_eq!(sign_up(&app, "gil", "gil@example.com").await.status, 200);
    assert_eq!(deliver(&app).await, 1);
    let key = key_in(&mailbox.wait_for(1).await[0]);
    // Three days, allauth's default.
    app.advance(3 * 24 * 3600);
    assert_eq!(verify(&app, &key).await.status, 404);
    assert_eq!(app.login("gil", "long enough 1").await.status, 400);
}

#[tokio::test]
async fn resends_count_against_the_mail_budget_of_the_address() {
    let mailbox = Mailbox::start();
    let app = app_verifying(Engine::Sqlite, EmailVerification::Optional, &mailbox).await;
    let budget = tessera::ThrottleRules::default().reset_email_requests;
    for _ in 0..budget {
        assert_eq!(resend(&app, "hal@example.com").await.status, 200);
    }
    let refused = resend(&app, "HAL@example.com").await;
    assert_eq!(refused.status, 429, "{}", refused.text());
    assert!(refused.header("retry-after").is_some());
}

/// An address staff set is the owner's to confirm: not verified, so no
/// reset link goes there, from a request or from staff, until then.
#[tokio::test]
async fn an_address_staff_set_waits_for_its_owner() {
    let mailbox = Mailbox::start();
    let app = app_verifying(Engine::Sqlite, EmailVerification::Optional, &mailbox).await;
    let staff = app.staff_token("boss", "boss's password").await;
    let id = app
        .tessera
        .accounts
        .create_user_with_email("ivy", "ivy's password", "ivy@old.example")
        .await
        .unwrap();
    let as_staff = |method: &'static str, path: String, body: Value| {
        let (app, staff) = (&app, &staff);
        async move {
            app.send(support::http::request(
                method,
                &path,
                &[
                    ("Authorization", &format!("Bearer {staff}")),
                    ("Content-Type", "application/json"),
                ],
                body.to_string().as_bytes(),
            ))
            .await
        }
    };
    let user = as_staff("GET", format!("/api/admin/users/{id}/"), Value::Null).await;
    assert_eq!(user.json()["email_verified"], json!(true));
    let changed = as_staff(
        "PATCH",
        format!("/api/admin/users/{id}/"),
        json!({ "email": "ivy@new.example" }),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    assert_eq!(changed.json()["email"], json!("ivy@new.example"));
    assert_eq!(changed.json()["email_verified"], json!(false));

    let reset = as_staff(
        "POST",
        format!("/api/admin/users/{id}/password-reset/"),
        Value::Null,
    )
    .await;
    assert_eq!(reset.status, 409, "{}", reset.text());
    assert!(reset.text().contains("not verified"), "{}", reset.text());
    assert_eq!(ask_reset(&app, "ivy@new.example").await.status, 200);
    assert_eq!(deliver(&app).await, 0);

    // The owner asks for a link, confirms, and resets go there.
    assert_eq!(resend(&app, "ivy@new.example").await.status, 200);
    assert_eq!(deliver(&app).await, 1);
    let key = key_in(&mailbox.wait_for(1).await[0]);
    assert_eq!(verify(&app, &key).await.status, 200);
    let reset = as_staff(
        "POST",
        format!("/api/admin/users/{id}/password-reset/"),
        Value::Null,
    )
    .await;
    assert_eq!(reset.status, 200, "{}", reset.text());
}
