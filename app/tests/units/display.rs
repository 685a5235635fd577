//! Durations, waits, dates and login addresses as the pages write them.

use tessera_app::display::*;

#[test]
fn durations_show_two_units() {
    assert_eq!(duration(0), "0 s");
    assert_eq!(duration(299), "4 m 59 s");
    assert_eq!(duration(86_399), "23 h 59 m");
    assert_eq!(duration(7 * 86_400 - 1), "6 d 23 h");
    assert_eq!(countdown(1), "in 1 s");
    assert_eq!(countdown(-3_500), "expired 3 s ago");
}

#[test]
fn waits_read_in_the_largest_unit_rounded_up() {
    assert_eq!(wait(1), "1 second");
    assert_eq!(wait(59), "59 seconds");
    assert_eq!(wait(60), "1 minute");
    assert_eq!(wait(61), "2 minutes");
    assert_eq!(wait(900), "15 minutes");
    assert_eq!(wait(7_200), "120 minutes");
    assert_eq!(wait(7_201), "3 hours");
    assert_eq!(wait(-5), "0 seconds");
}

#[test]
fn formats_utc_dates() {
    assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
    assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
    assert_eq!(utc(1_795_905_005), "2026-11-28 22:30:05 UTC");
    assert_eq!(utc(-1), "1969-12-31 23:59:59 UTC");
}

#[test]
fn next_stays_on_this_site() {
    assert_eq!(safe_next(Some("/tokens")), "/tokens");
    assert_eq!(safe_next(Some("/hello?x=1")), "/hello?x=1");
    for hostile in [
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
        "",
        "/a\nb",
        "/.//evil.example",
        "/..//evil.example",
        "/%2e//evil.example",
        "/a/../..//evil.example",
        "/x\\evil.example",
    ] {
        assert_eq!(safe_next(Some(hostile)), "/hello", "{hostile:?}");
    }
    assert_eq!(safe_next(None), "/hello");
}

#[test]
fn login_url_encodes_the_path() {
    assert_eq!(login_url("/hello", None), "/login?next=/hello");
    assert_eq!(
        login_url("/account", Some(LoginReason::SignedOutElsewhere)),
        "/login?next=/account&reason=elsewhere"
    );
    assert_eq!(
        login_url("/a b&c", Some(LoginReason::Expired)),
        "/login?next=/a%20b%26c&reason=expired"
    );
}
