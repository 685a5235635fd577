//! The admin console's addresses.

use tessera_app::admin_console::{address, console_page, ConsolePage};

#[test]
fn addresses_pick_the_console_page() {
    assert_eq!(console_page("/admin"), ConsolePage::Users);
    assert_eq!(console_page("/admin/"), ConsolePage::Users);
    assert_eq!(console_page("/admin/users/42"), ConsolePage::User(42));
    assert_eq!(console_page("/admin/events"), ConsolePage::Events);
    assert_eq!(console_page("/admin/keys"), ConsolePage::Keys);
    for unknown in [
        "/admin/users/",
        "/admin/users/x",
        "/admin/users/0",
        "/admin/nope",
        "/administer",
    ] {
        assert_eq!(console_page(unknown), ConsolePage::Unknown, "{unknown}");
    }
}

#[test]
fn addresses_carry_only_what_is_set() {
    assert_eq!(address("/admin", &[("search", String::new())]), "/admin");
    assert_eq!(
        address(
            "/admin",
            &[("search", "ada l&o".into()), ("after", "50".into())]
        ),
        "/admin?search=ada%20l%26o&after=50"
    );
}
