//! `tessera user import`: users from Django keep their passwords (hashes made
//! by Django 5.2 itself: tests/fixtures/django/make_fixtures.py), as a running
//! server sees at once; a second import changes nothing, a bad file nothing
//! at all. On SQLite and PostgreSQL.

use std::path::{Path, PathBuf};

use crate::support::cli::{run, stdout};
use crate::support::{self, on_both_engines, spawn_app_with, Engine, TestApp};

const BAD_CREDENTIALS: &str = r#"{"detail":"No active account found with the given credentials"}"#;

/// Who can log in after the import, with which password (the fixtures').
const WORKING: [(&str, &str); 5] = [
    ("alice", "wonderland-pbkdf2"),   // pbkdf2_sha256, Django's default
    ("bob", "builder-argon2"),        // argon2 (argon2-cffi, m=100 MiB, p=8)
    ("carol", "carol-bcrypt-sha256"), // bcrypt_sha256
    ("grégoire", "pässwörd-ünïcode"), // pbkdf2_sha256 of UTF-8
    ("heidi", "heidi-argon2-again"),  // argon2
];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/django")
        .join(name)
}

async fn import(app: &TestApp, args: &[&str]) -> std::process::Output {
    let mut all = vec!["user", "import"];
    all.extend_from_slice(args);
    run(&app.database_url, &app.settings.secret_key_file, &all, "").await
}

async fn stored_hash(app: &TestApp, username: &str) -> String {
    app.tessera
        .store()
        .find_user_by_name(username)
        .await
        .unwrap()
        .unwrap()
        .password_hash
}

async fn django_users_log_in_and_get_argon2id(engine: Engine) {
    let app = spawn_app_with(engine, |_| {}).await;
    // The server's upkeep, as `tessera serve` runs it: imported users reach it.
    let _maintenance = app
        .tessera
        .upkeep
        .spawn(tessera_server::maintenance::SYNC_EVERY);
    let json = fixture("users.json");
    let output = import(&app, &[json.to_str().unwrap()]).await;
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        stdout(&output),
        "imported 8 user(s) (8 kept their id), 0 already present, 2 cannot log in until `tessera user passwd`\n  \
         \"dave\": no usable password\n  \"erin\": unknown hash format \"md5\"\n"
    );

    let users = app.tessera.accounts.list_users().await.unwrap();
    let alice = users.iter().find(|u| u.username == "alice").unwrap();
    // Django's ids and dates: pk 1, joined 2024-05-02T09:30:15.123Z, never logged in.
    assert_eq!(
        (alice.id, alice.created_at, alice.last_login),
        (1, 1_714_642_215, None)
    );
    let bob = users.iter().find(|u| u.username == "bob").unwrap();
    assert_eq!(
        (bob.id, bob.last_login),
        (2, Some(1_714_642_215 + 86_400 + 3 * 3600))
    );

    for (username, password) in WORKING {
        assert!(!stored_hash(&app, username).await.starts_with("$argon2id$"));
        let reply = app.login(username, password).await;
        assert_eq!(reply.status, 200, "{username}: {}", reply.text());
        // Replaced by Tessera's own hash at the first login…
        let hash = stored_hash(&app, username).await;
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{username}: {hash}"
        );
        // …which the same password opens from then on.
        assert_eq!(
            app.login(username, password).await.status,
            200,
            "{username}"
        );
        // And the running server knows the user for its access tokens.
        let access = support::str_field(&reply.json(), "access");
        app.hello_until(&access, 200, &format!("{username} reaching the server"))
            .await;
    }
    for (username, password) in [
        ("dave", "anything"),        // Django's unusable password
        ("erin", "erin-md5"),        // md5: not a format Tessera checks
        ("frank", "frank-inactive"), // is_active false
        ("heidi", "heidi-argon2"),   // wrong password
    ] {
        let reply = app.login(username, password).await;
        assert_eq!(
            (reply.status, reply.text()),
            (401, BAD_CREDENTIALS.into()),
            "{username}"
        );
    }
    // An account without a usable password opens once an operator sets one.
    let passwd = run(
        &app.database_url,
        &app.settings.secret_key_file,
        &["user", "passwd", "erin", "--password-stdin"],
        "erin-new-password\n",
    )
    .await;
    assert!(passwd.status.success());
    assert_eq!(app.login("erin", "erin-new-password").await.status, 200);
}

async fn importing_twice_changes_nothing(engine: Engine) {
    let app = spawn_app_with(engine, |_| {}).await;
    let json = fixture("users.json");
    assert!(import(&app, &[json.to_str().unwrap()])
        .await
        .status
        .success());
    let before = app.tessera.accounts.list_users().await.unwrap();
    let hashes_before = {
        let mut hashes = Vec::new();
        for user in &before {
            hashes.push(stored_hash(&app, &user.username).await);
        }
        hashes
    };
    let again = import(&app, &[json.to_str().unwrap()]).await;
    assert!(again.status.success());
    assert_eq!(
        stdout(&again),
        "imported 0 user(s) (0 kept their id), 8 already present, 0 cannot log in until `tessera user passwd`\n"
    );
    // The CSV of the same users: present too.
    let csv = fixture("users.csv");
    let from_csv = import(&app, &["--format", "csv", csv.to_str().unwrap()]).await;
    assert!(
        stdout(&from_csv).starts_with("imported 0 user(s)"),
        "{from_csv:?}"
    );
    assert_eq!(app.tessera.accounts.list_users().await.unwrap(), before);
    for (user, hash) in before.iter().zip(hashes_before) {
        assert_eq!(stored_hash(&app, &user.username).await, hash);
    }
}

async fn ids_are_kept_where_free_and_new_users_follow(engine: Engine) {
    let app = spawn_app_with(engine, |_| {}).await;
    // Id 1 is taken before the import: alice gets another.
    assert_eq!(app.add_user("zed", "zed-password").await, 1);
    let json = fixture("users.json");
    let output = import(&app, &[json.to_str().unwrap()]).await;
    assert!(
        stdout(&output).starts_with("imported 8 user(s) (7 kept their id)"),
        "{output:?}"
    );
    let users = app.tessera.accounts.list_users().await.unwrap();
    let id_of = |name: &str| users.iter().find(|u| u.username == name).unwrap().id;
    assert_eq!((id_of("zed"), id_of("bob"), id_of("heidi")), (1, 2, 8));
    assert!(id_of("alice") > 8);
    // Users created afterwards never collide with an imported id.
    let next = app.add_user("yolanda", "yolanda-password").await;
    assert!(next > id_of("alice"), "{next}");
    assert_eq!(app.login("alice", "wonderland-pbkdf2").await.status, 200);
}

async fn csv_users_keep_their_passwords(engine: Engine) {
    let app = spawn_app_with(engine, |_| {}).await;
    let csv = fixture("users.csv");
    // From standard input, as in `… | tessera user import --format csv -`.
    let data = std::fs::read_to_string(&csv).unwrap();
    let output = run(
        &app.database_url,
        &app.settings.secret_key_file,
        &["user", "import", "--format", "csv", "-"],
        &data,
    )
    .await;
    assert!(
        stdout(&output)
            .starts_with("imported 8 user(s) (0 kept their id), 0 already present, 2 cannot"),
        "{output:?}"
    );
    for (username, password) in [WORKING[0], WORKING[2], WORKING[4]] {
        assert_eq!(
            app.login(username, password).await.status,
            200,
            "{username}"
        );
    }
    assert_eq!(app.login("frank", "frank-inactive").await.status, 401);
}

async fn a_bad_file_changes_nothing(engine: Engine) {
    let app = spawn_app_with(engine, |_| {}).await;
    let dir = support::TempDir::new();
    let mut records: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture("users.json")).unwrap()).unwrap();
    records[7]["fields"]["date_joined"] = "next tuesday".into();
    let broken = dir.0.join("broken.json");
    std::fs::write(&broken, records.to_string()).unwrap();
    for (args, message) in [
        (
            vec![broken.to_str().unwrap()],
            "record 8 (auth.user): date_joined \"next tuesday\" is not a date-time; nothing was imported",
        ),
        (
            vec!["--format", "json", fixture("users.csv").to_str().unwrap()],
            "not Django dumpdata JSON",
        ),
        (vec!["/nonexistent/users.json"], "could not read /nonexistent/users.json"),
    ] {
        let output = import(&app, &args).await;
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    assert_eq!(app.tessera.accounts.count_users().await.unwrap(), 0);
}

/// Hashes whose cost no real deployment uses (a hostile or corrupt dump):
/// imported unusable with the reason reported, and answered as a wrong
/// password at login, never run (4 TiB of argon2 memory would abort the
/// process; the others would hold a hasher thread for hours).
const HOSTILE: [(&str, &str, &str); 4] = [
    (
        "mallory",
        "$argon2id$v=19$m=4294967295,t=2,p=1$c2FsdHNhbHRzYWx0$9jcbKQn3uS2aN0lCB0uBYtKRWvXJcz0Nev3hzvd0Kt0",
        "m=4294967295",
    ),
    (
        "oscar",
        "pbkdf2_sha256$4000000000$zEnyDN2sQEzdTOrL3pIgQW$C+IBED2/wK2/bK/VS0JHVVjImoozQBgxloNgbDl2Gno=",
        "iterations=4000000000",
    ),
    (
        "peggy",
        "bcrypt_sha256$$2b$31$5hM1MdiC7OR7UeKK/uGBauX9g7z3BLj/qwJFepgE/574WobXWw5aK",
        "cost=31",
    ),
    (
        "trent",
        "argon2$argon2id$v=19$m=102400,t=4000000000,p=8$QXRWOHRTeVBhRUNMczRWWDV6eWswRQ$qQf6lcQS4EUYMjte/A3F+NzpJ+Nraq8Y5GmRxMu2ZHk",
        "t=4000000000",
    ),
];

async fn hostile_hash_parameters_are_refused_at_import_and_at_login(engine: Engine) {
    let app = spawn_app_with(engine, |_| {}).await;
    let mut csv = String::from("username,password_hash,is_active\n");
    for (name, hash, _) in HOSTILE {
        csv.push_str(&format!("{name},\"{hash}\",true\n"));
    }
    let output = run(
        &app.database_url,
        &app.settings.secret_key_file,
        &["user", "import", "--format", "csv", "-"],
        &csv,
    )
    .await;
    let report = stdout(&output);
    assert!(output.status.success(), "{output:?}");
    assert!(report.contains("4 cannot log in"), "{report}");
    for (name, _, what) in HOSTILE {
        assert!(
            report.contains(&format!(
                "\"{name}\": hash parameters out of bounds: {what}"
            )),
            "{report}"
        );
        // Refused like a wrong password, at the decoy's cost.
        let reply = app.login(name, "anything").await;
        assert_eq!((reply.status, reply.text()), (401, BAD_CREDENTIALS.into()));
    }
    // A row put in the database behind the importer's back (a tampered
    // Django database) is refused at login all the same.
    let now = app.now();
    for (i, (_, hash, _)) in HOSTILE.iter().enumerate() {
        let name = format!("tampered{i}");
        app.tessera
            .store()
            .create_user(crate::support::user_row(&name, hash), now, None, |_| {
                Vec::new()
            })
            .await
            .unwrap();
        let reply = app.login(&name, "anything").await;
        assert_eq!((reply.status, reply.text()), (401, BAD_CREDENTIALS.into()));
    }
    // The instance still logs people in.
    app.add_user("walter", "walter-password").await;
    assert_eq!(app.login("walter", "walter-password").await.status, 200);
}

/// Django's staff and superusers stay what they were, and may use the
/// admin API; names and email addresses come along.
async fn staff_and_superusers_keep_their_flags(engine: Engine) {
    let app = spawn_app_with(engine, |_| {}).await;
    let file = br#"[
        {"model": "auth.user", "pk": 1, "fields": {"username": "root", "password": "!", "is_staff": true, "is_superuser": true,
         "first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Example.org"}},
        {"model": "auth.user", "pk": 2, "fields": {"username": "helper", "password": "!", "is_staff": true, "is_superuser": false}},
        {"model": "auth.user", "pk": 3, "fields": {"username": "member", "password": "!"}}
    ]"#;
    let parsed = tessera::import::parse(tessera::import::ImportFormat::DjangoJson, file).unwrap();
    app.tessera
        .accounts
        .import_users(&parsed.users)
        .await
        .unwrap();
    let users = app.tessera.accounts.list_users().await.unwrap();
    let flags: Vec<(&str, bool, bool)> = users
        .iter()
        .map(|user| (user.username.as_str(), user.is_staff, user.is_superuser))
        .collect();
    assert_eq!(
        flags,
        [
            ("root", true, true),
            ("helper", true, false),
            ("member", false, false)
        ]
    );
    // Names and address come along, stored as given.
    let root = &users[0];
    assert_eq!(
        (
            root.first_name.as_str(),
            root.last_name.as_str(),
            root.email.as_str()
        ),
        ("Ada", "Lovelace", "Ada@Example.org")
    );
    assert_eq!(users[2].email, "");
}

/// Imported accounts keep Django's slower hash until their owner logs in.
/// Meanwhile unknown names are checked against decoys of the same shapes,
/// in the same shares, each name always the same one: a slow answer does
/// not tell that a name exists.
async fn unknown_names_cost_what_the_accounts_cost(engine: Engine) {
    let app = spawn_app_with(engine, |settings| {
        settings.throttle.free_failures = 1_000;
        settings.throttle.address_failures = 1_000;
    })
    .await;
    for name in ["native-1", "native-2", "native-3"] {
        app.add_user(name, "a-long-native-password").await;
    }
    app.tessera
        .accounts
        .import_users(&[tessera::import::ImportedUser {
            username: "from-django".into(),
            password_hash: "pbkdf2_sha256$1000$zEnyDN2sQEzdTOrL3pIgQW$C+IBED2/wK2/bK/VS0JHVVjImoozQBgxloNgbDl2Gno="
                .into(),
            is_active: true,
            ..tessera::import::ImportedUser::default()
        }])
        .await
        .unwrap();
    // Checks run so far: (today's argon2id, Django's PBKDF2).
    let checks = |app: &TestApp| {
        let checks = app.tessera.upkeep.hasher_stats().checks;
        (checks[0], checks[2])
    };
    let before = checks(&app);
    assert_eq!(app.login("nobody-here", "a-guess").await.status, 401);
    assert_eq!(checks(&app), (before.0 + 1, before.1), "before a census");

    app.tessera.upkeep.weigh_decoys().await.unwrap();
    assert_eq!(
        app.tessera.upkeep.decoy_shares(),
        [("argon2", 750), ("pbkdf2_sha256", 250)]
    );
    let before = checks(&app);
    let mut slow = Vec::new();
    for n in 0..60 {
        let name = format!("unknown-{n}");
        let (_, pbkdf2) = checks(&app);
        assert_eq!(app.login(&name, "a-guess").await.status, 401);
        if checks(&app).1 > pbkdf2 {
            slow.push(name);
        }
    }
    let after = checks(&app);
    assert_eq!((after.0 - before.0) + (after.1 - before.1), 60);
    // A quarter expected; the names' choice is keyed by the secret.
    assert!(
        (1..=40).contains(&slow.len()),
        "{} of 60 unknown names cost a PBKDF2 check",
        slow.len()
    );
    // A name keeps its cost, as an account does.
    for name in &slow {
        let (argon2, pbkdf2) = checks(&app);
        assert_eq!(app.login(name, "another-guess").await.status, 401);
        assert_eq!(checks(&app), (argon2, pbkdf2 + 1), "{name}");
    }

    // Once no account has Django's hash any more, every name costs today's.
    app.tessera
        .accounts
        .set_password("from-django", "a-long-new-password")
        .await
        .unwrap();
    app.tessera.upkeep.weigh_decoys().await.unwrap();
    assert_eq!(app.tessera.upkeep.decoy_shares(), [("argon2", 1000)]);
    let (argon2, pbkdf2) = checks(&app);
    assert_eq!(app.login(&slow[0], "a-guess").await.status, 401);
    assert_eq!(checks(&app), (argon2 + 1, pbkdf2));
}

on_both_engines!(
    unknown_names_cost_what_the_accounts_cost,
    staff_and_superusers_keep_their_flags,
    hostile_hash_parameters_are_refused_at_import_and_at_login,
    django_users_log_in_and_get_argon2id,
    importing_twice_changes_nothing,
    ids_are_kept_where_free_and_new_users_follow,
    csv_users_keep_their_passwords,
    a_bad_file_changes_nothing,
);
