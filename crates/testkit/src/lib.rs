//! Test helpers shared by every service's tests.
//!
//! Every database test runs on SQLite; when `WENMING_TEST_DATABASE_URL` holds a
//! PostgreSQL URL (of a role that may create databases) it also runs there, each test
//! on a database of its own. Under `CI=true` a missing URL fails the PostgreSQL half
//! instead of skipping it, so CI cannot silently test one database only.
#![forbid(unsafe_code)]

pub mod fakes;
pub mod fixtures;
pub mod pki;
pub mod services;

use sqlx::{Connection as _, Executor as _};
pub use wenming_runtime::client::AsPrincipal;
use wenming_runtime::db::{Database, DatabaseSettings};
use wenming_runtime::migrations::Migrations;

/// Environment variable with the PostgreSQL admin URL for tests.
pub const PG_URL_VAR: &str = "WENMING_TEST_DATABASE_URL";

/// A fresh, empty database for one test.
#[derive(Debug)]
pub struct TestDb {
    /// Settings that open it.
    pub settings: DatabaseSettings,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
    /// Databases of other services made beside this one (PostgreSQL names, for cleanup).
    companions: std::sync::Mutex<Vec<String>>,
    /// Names given out (companions and, as "", the test's own database), so that a
    /// second service of the same name gets a database of its own.
    given: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl TestDb {
    /// Whether it is a PostgreSQL database (else SQLite).
    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }

    /// A new SQLite file in a temporary directory.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
        Self {
            settings: settings(url),
            _dir: Some(dir),
            pg: None,
            companions: std::sync::Mutex::default(),
            given: std::sync::Mutex::default(),
        }
    }

    /// A new PostgreSQL database, or `None` when no server is configured (outside CI).
    pub async fn postgres() -> Option<Self> {
        let admin = match std::env::var(PG_URL_VAR) {
            Ok(url) if !url.is_empty() => url,
            _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("{PG_URL_VAR} must be set in CI so the PostgreSQL tests run")
            }
            _ => {
                eprintln!("{PG_URL_VAR} not set: skipping the PostgreSQL half of this test");
                return None;
            }
        };
        sqlx::any::install_default_drivers();
        let name = format!("wenming_test_{}", uuid::Uuid::now_v7().simple());
        let mut conn = sqlx::AnyConnection::connect(&admin)
            .await
            .expect("connect to the PostgreSQL test server");
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .expect("create test database");
        conn.close().await.ok();
        let url = replace_database(&admin, &name);
        Some(Self {
            settings: settings(url),
            _dir: None,
            pg: Some((admin, name)),
            companions: std::sync::Mutex::default(),
            given: std::sync::Mutex::default(),
        })
    }

    /// Opens the database and runs `migrations`.
    pub async fn open(&self, migrations: &Migrations) -> Database {
        self.given
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(String::new());
        let db = Database::connect(&self.settings)
            .await
            .expect("open test database");
        db.migrate(migrations).await.expect("migrate test database");
        db
    }

    /// Opens a fresh database of its own for another service (`name`: "pairing", …) on
    /// the same backend, and runs `migrator`: each service owns its database.
    pub async fn open_companion(&self, name: &str, migrations: &Migrations) -> Database {
        let name = self.unique(name);
        let name = name.as_str();
        let url = match (&self.pg, &self._dir) {
            (Some((admin, base)), _) => {
                let companion = format!("{base}_{name}");
                let mut conn = sqlx::AnyConnection::connect(admin)
                    .await
                    .expect("connect to the PostgreSQL test server");
                conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {companion}")))
                    .await
                    .expect("create companion database");
                conn.close().await.ok();
                self.companions
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(companion.clone());
                replace_database(admin, &companion)
            }
            (None, Some(dir)) => {
                format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join(format!("{name}.db")).display()
                )
            }
            (None, None) => unreachable!("a test database is SQLite or PostgreSQL"),
        };
        let db = Database::connect(&settings(url))
            .await
            .expect("open companion database");
        db.migrate(migrations)
            .await
            .expect("migrate companion database");
        db
    }

    /// The test's own database for the first service that asks, a companion of its own
    /// for every later one (named `name`).
    pub async fn open_next(&self, name: &str, migrations: &Migrations) -> Database {
        let first = self
            .given
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(String::new());
        if first {
            self.open(migrations).await
        } else {
            self.open_companion(name, migrations).await
        }
    }

    /// `name`, or `name_2`, `name_3` … if it was given out before.
    fn unique(&self, name: &str) -> String {
        let mut given = self.given.lock().unwrap_or_else(|e| e.into_inner());
        let mut candidate = name.to_owned();
        let mut n = 1;
        while !given.insert(candidate.clone()) {
            n += 1;
            candidate = format!("{name}_{n}");
        }
        candidate
    }

    /// Drops the PostgreSQL test databases (SQLite files go with their temp dir).
    pub async fn cleanup(self) {
        let Some((admin, name)) = &self.pg else {
            return;
        };
        let Ok(mut conn) = sqlx::AnyConnection::connect(admin).await else {
            return;
        };
        let mut names = self
            .companions
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        names.push(name.clone());
        for name in names {
            let _ = conn
                .execute(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .await;
        }
    }
}

fn settings(url: String) -> DatabaseSettings {
    DatabaseSettings {
        url,
        ..DatabaseSettings::default()
    }
}

/// `postgres://host/db?x` with the database part replaced.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Runs a database test body once on SQLite and once on PostgreSQL.
///
/// `db_test!(creates_a_unit, scenario)` where `async fn scenario(db: TestDb)`.
#[macro_export]
macro_rules! db_test {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::TestDb::sqlite().await;
                super::$body(&db).await;
                db.cleanup().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = $crate::TestDb::postgres().await {
                    super::$body(&db).await;
                    db.cleanup().await;
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::replace_database;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            replace_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            replace_database("postgres://postgres@127.0.0.1:5432", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            replace_database("postgres://u@h/db?sslmode=disable", "t1"),
            "postgres://u@h/t1?sslmode=disable"
        );
    }
}
