//! Tokens a simplejwt site signed with the same secret carry no session:
//! refused by default, accepted only in the migration mode
//! (`--accept-foreign-tokens`), and then ended by every revocation path, as
//! Tessera's own tokens are; never inherited by another person.

use crate::support;

use serde_json::json;
use support::{access_refused, forge, on_both_engines, spawn_app_with, Engine, TestApp, SECRET};

/// An access token as the old site made it: no `sid`; `iat` if given.
fn old_site_token(app: &TestApp, user_id: i64, with_iat: bool) -> String {
    let now = app.now();
    let mut claims = json!({
        "token_type": "access",
        "exp": now + 600,
        "jti": format!("old-site-{user_id}-{with_iat}"),
        "user_id": user_id.to_string(),
    });
    if with_iat {
        claims["iat"] = json!(now);
    }
    forge(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        &claims.to_string(),
        SECRET.as_bytes(),
    )
}

async fn migrating(engine: Engine) -> TestApp {
    spawn_app_with(engine, |settings| settings.accept_foreign_tokens = true).await
}

async fn refused_unless_migrating(engine: Engine) {
    let app = spawn_app_with(engine, |_| {}).await;
    let id = app.add_user("alice", "alice-password").await;
    let token = old_site_token(&app, id, true);
    assert_eq!(
        app.hello(&token).await.text(),
        access_refused("Token is invalid")
    );
    let verify = app.verify(&token).await;
    assert_eq!(
        (verify.status, verify.text()),
        (
            401,
            r#"{"detail":"Token is invalid","code":"token_not_valid"}"#.to_owned()
        )
    );

    let app = migrating(engine).await;
    let id = app.add_user("alice", "alice-password").await;
    let token = old_site_token(&app, id, true);
    assert_eq!(app.hello(&token).await.status, 200);
    assert_eq!(app.verify(&token).await.status, 200);
}

/// The owner cleaning up (a password change, "sign out all other
/// sessions") ends the old site's tokens too, on every instance; a token
/// without `iat` cannot be dated, so any such stamp ends it.
async fn ended_by_the_owner_s_clean_up(engine: Engine) {
    let app = migrating(engine).await;
    let id = app.add_user("alice", "alice-password").await;
    let dated = old_site_token(&app, id, true);
    let undated = old_site_token(&app, id, false);
    assert_eq!(app.hello(&dated).await.status, 200);
    assert_eq!(app.hello(&undated).await.status, 200);
    let (access, _) = app.tokens("alice", "alice-password").await;
    app.advance(1);
    let bearer = format!("Bearer {access}");
    let ended = app
        .send(support::http::request(
            "POST",
            "/api/sessions/end-others/",
            &[("Authorization", bearer.as_str())],
            b"",
        ))
        .await;
    assert_eq!(ended.status, 200, "{}", ended.text());
    for token in [&dated, &undated] {
        assert_eq!(
            app.hello(token).await.text(),
            access_refused("Token is blacklisted")
        );
    }
    // This session's own token stays.
    assert_eq!(app.hello(&access).await.status, 200);

    // A password change does the same for tokens the old site makes later.
    app.advance(1);
    let dated = old_site_token(&app, id, true);
    assert_eq!(app.hello(&dated).await.status, 200);
    app.advance(10);
    let body = json!({"old_password": "alice-password", "new_password": "a-new-password"});
    let changed = app
        .send(support::http::request(
            "POST",
            "/api/password/change/",
            &[
                ("Authorization", bearer.as_str()),
                ("Content-Type", "application/json"),
            ],
            body.to_string().as_bytes(),
        ))
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    assert_eq!(
        app.hello(&dated).await.text(),
        access_refused("Token is blacklisted")
    );
    // The session that asked was replaced by a new one.
    assert_eq!(app.hello(&access).await.status, 401);
    let new_access = changed.json()["access"].as_str().unwrap().to_owned();
    assert_eq!(app.hello(&new_access).await.status, 200);
}

/// An imported user whose old id is taken here gets another; the person
/// holding that id here must not be reached with the old site's tokens for it.
async fn a_renumbered_import_hands_no_token_to_another_person(engine: Engine) {
    let app = migrating(engine).await;
    let holder = app.add_user("holder", "holder-password").await;
    let before = old_site_token(&app, holder, true);
    app.advance(1);
    let report = app
        .tessera
        .accounts
        .import_users(&[tessera::import::ImportedUser {
            id: Some(holder),
            username: "from-django".into(),
            password_hash: "pbkdf2_sha256$1000000$salt$hash".into(),
            is_active: true,
            ..tessera::import::ImportedUser::default()
        }])
        .await
        .unwrap();
    assert_eq!((report.added, report.kept_ids), (1, 0));
    assert_eq!(
        app.hello(&before).await.text(),
        access_refused("Token is blacklisted")
    );
    // The holder's own logins are untouched.
    let (access, _) = app.tokens("holder", "holder-password").await;
    assert_eq!(app.hello(&access).await.status, 200);
}

on_both_engines!(
    refused_unless_migrating,
    ended_by_the_owner_s_clean_up,
    a_renumbered_import_hands_no_token_to_another_person,
);
