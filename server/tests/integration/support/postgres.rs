//! A PostgreSQL database of its own for one test, dropped afterwards.
//!
//! The server is `TESSERA_TEST_POSTGRES` (default: the local one, trust auth).

use sqlx::{Connection, PgConnection};

pub fn admin_url() -> String {
    std::env::var("TESSERA_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

pub struct TempDatabase {
    pub name: String,
    pub url: String,
}

impl TempDatabase {
    pub async fn create() -> Self {
        let admin = admin_url();
        let name = format!(
            "tessera_test_{}_{}",
            std::process::id(),
            &super::random_name()[..12]
        );
        let mut connection = PgConnection::connect(&admin).await.unwrap_or_else(|error| {
            panic!(
                "this test needs PostgreSQL: could not connect to {admin} ({error}). \
                 Start PostgreSQL there, or point TESSERA_TEST_POSTGRES at a server \
                 where this user may create databases."
            )
        });
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut connection)
            .await
            .expect("CREATE DATABASE");
        let base = admin
            .rsplit_once('/')
            .map_or(admin.as_str(), |(base, _)| base);
        Self {
            url: format!("{base}/{name}"),
            name,
        }
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        // Drop runs outside the test's runtime: use a small one of our own.
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(mut connection) = PgConnection::connect(&admin_url()).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut connection)
                    .await;
                }
            });
        })
        .join();
    }
}
