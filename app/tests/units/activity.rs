//! The account page's recent activity in plain words.

use tessera_app::display::activity_words;

#[test]
fn events_read_as_plain_words() {
    assert_eq!(
        activity_words("login_succeeded", None),
        ("Logged in".to_owned(), false)
    );
    assert_eq!(
        activity_words("login_failed", Some("wrong password")),
        ("Failed login attempt".to_owned(), true)
    );
    assert_eq!(
        activity_words("something_new", None),
        ("something new".to_owned(), false)
    );
}
