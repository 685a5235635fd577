//! The admin console's event filter.

use tessera_app::admin_console::EVENT_TYPES;

#[test]
fn the_filter_offers_every_type_the_log_knows() {
    let offered: Vec<&str> = EVENT_TYPES.iter().map(|(name, _)| *name).collect();
    let known: Vec<&str> = tessera::AuditKind::ALL
        .iter()
        .map(|kind| kind.as_str())
        .collect();
    assert_eq!(offered, known);
}
