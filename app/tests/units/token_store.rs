//! When the stored tokens are due for a refresh, on the browser's clock.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use tessera_app::token_store::*;

fn token(iat: i64, exp: i64) -> String {
    let payload = format!(r#"{{"token_type":"access","iat":{iat},"exp":{exp}}}"#);
    format!("e30.{}.sig", URL_SAFE_NO_PAD.encode(payload))
}

fn stored(access_lifetime: i64, issued_at: i64) -> StoredTokens {
    StoredTokens {
        access: token(1_000, 1_000 + access_lifetime),
        refresh: token(1_000, 1_000 + 86_400),
        username: None,
        issued_at,
        staff: false,
    }
}

#[test]
fn refresh_is_due_thirty_seconds_early_for_long_tokens() {
    // 5 minutes: usable 299 s, margin 29.9 s (a tenth) → due at 269.1 s.
    let tokens = stored(300, 0);
    assert_eq!(tokens.refresh_due_at(), 269_100);
    // One hour: the margin is capped at 30 s.
    let tokens = stored(3_600, 0);
    assert_eq!(tokens.refresh_due_at(), 3_599_000 - 30_000);
}

#[test]
fn refresh_is_due_a_tenth_early_for_short_tokens() {
    // 3 s: usable 2 s, margin 0.2 s.
    let tokens = stored(3, 10_000);
    assert_eq!(tokens.refresh_due_at(), 11_800);
    assert!(!tokens.refresh_is_due(11_799));
    assert!(tokens.refresh_is_due(11_800));
}

#[test]
fn lifetimes_count_on_the_browser_clock_whatever_the_server_clock() {
    // The server's iat is 1 000 s; the browser's clock says 5 000 000 ms.
    let tokens = stored(300, 5_000_000);
    assert_eq!(tokens.expires_at(&tokens.access), Some(5_000_000 + 299_000));
    assert_eq!(tokens.server_now(5_010_000), Some(1_010));
}

#[test]
fn an_unreadable_access_token_is_due_at_once() {
    let tokens = StoredTokens {
        access: "garbage".into(),
        refresh: "garbage".into(),
        username: None,
        issued_at: 0,
        staff: false,
    };
    assert!(tokens.refresh_is_due(i64::MIN + 1));
    assert_eq!(tokens.expires_at("garbage"), None);
}

#[test]
fn storage_format_is_stable() {
    let tokens = stored(300, 42);
    assert_eq!(
        tokens.to_json(),
        format!(
            r#"{{"access":"{}","refresh":"{}","username":null,"issued_at":42}}"#,
            tokens.access, tokens.refresh
        )
    );
    let staff =
        StoredTokens::new("a\"b".into(), "r".into(), Some("zoë".into()), 7).with_staff(true);
    assert_eq!(
        staff.to_json(),
        r#"{"access":"a\"b","refresh":"r","username":"zoë","issued_at":7,"staff":true}"#
    );
    assert_eq!(StoredTokens::from_json(&staff.to_json()), Some(staff));
    assert_eq!(StoredTokens::from_json(&tokens.to_json()), Some(tokens));
}

#[test]
fn older_entries_still_read_and_foreign_ones_do_not() {
    // Written by an older version without a username; a page's script may add members.
    let old = StoredTokens::from_json(r#"{"access":"a","refresh":"r","issued_at":1,"other":[1]}"#);
    assert_eq!(
        old,
        Some(StoredTokens::new("a".into(), "r".into(), None, 1))
    );
    for foreign in [
        "",
        "null",
        r#"{"access":"a","refresh":"r"}"#,
        r#"{"access":"a","refresh":"r","issued_at":1.5}"#,
        r#"{"access":1,"refresh":"r","issued_at":1}"#,
        r#"{"access":"a","refresh":"r","issued_at":1,"username":7}"#,
        r#"{"access":"a","refresh":"r","issued_at":1,"staff":"yes"}"#,
    ] {
        assert_eq!(StoredTokens::from_json(foreign), None, "{foreign}");
    }
}
