//! The database pool. One code path for SQLite (embedded default) and PostgreSQL
//! (production) through sqlx `Any`; the few places where they differ ask [`Backend`].

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::MigrateError;
use sqlx::{Any, AnyPool, ConnectOptions as _, Connection as _, Executor as _, Transaction};

/// Where a service keeps its data.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct DatabaseSettings {
    /// `sqlite://PATH?mode=rwc` or `postgres://USER@HOST/DB` (with `?sslmode=verify-full
    /// &sslrootcert=FILE` for TLS to PostgreSQL).
    pub url: String,
    /// A file holding the URL (a mounted secret), read when `url` is empty.
    pub url_file: Option<std::path::PathBuf>,
    /// Pool size.
    pub max_connections: u32,
    /// Run embedded migrations at start-up.
    pub migrate_on_start: bool,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: String::new(),
            url_file: None,
            max_connections: 8,
            migrate_on_start: true,
        }
    }
}

impl DatabaseSettings {
    /// Whether a database is configured at all.
    pub fn is_configured(&self) -> bool {
        !self.url.is_empty() || self.url_file.is_some()
    }

    /// The URL: `url`, else the contents of `url_file` (trimmed).
    pub fn resolved_url(&self) -> Result<String, DbError> {
        match (&self.url, &self.url_file) {
            (url, None) => Ok(url.clone()),
            (url, Some(_)) if !url.is_empty() => Err(DbError::Config(
                "set database.url or database.url_file, not both".into(),
            )),
            (_, Some(file)) => std::fs::read_to_string(file)
                .map(|text| text.trim().to_owned())
                .map_err(|err| {
                    DbError::Config(format!("database.url_file {}: {err}", file.display()))
                }),
        }
    }
}

/// The two supported databases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Embedded default.
    Sqlite,
    /// Production.
    Postgres,
}

/// A pool on one service's database.
#[derive(Clone, Debug)]
pub struct Database {
    pool: AnyPool,
    backend: Backend,
    url: String,
}

/// Why a database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// Neither sqlite: nor postgres:.
    #[error("unsupported database URL scheme (use sqlite:// or postgres://)")]
    Scheme,
    /// Connection failed.
    #[error("database: {0}")]
    Sqlx(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("migrations: {0}")]
    Migrate(#[from] MigrateError),
    /// The settings do not name a database.
    #[error("{0}")]
    Config(String),
}

impl Database {
    /// Opens a pool. SQLite files are created if missing and switched to WAL, so readers
    /// never wait for the writer.
    pub async fn connect(settings: &DatabaseSettings) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        let url = settings.resolved_url()?;
        let url = url.as_str();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(DbError::Scheme);
        };
        let options: AnyConnectOptions = url.parse()?;
        let options = options.disable_statement_logging();
        if backend == Backend::Sqlite {
            // journal_mode needs an exclusive lock: set it once, before the pool opens.
            let mut conn = sqlx::AnyConnection::connect_with(&options).await?;
            conn.execute("PRAGMA journal_mode = WAL").await?;
            conn.close().await?;
        }
        let pool = AnyPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // 16 MiB page cache per connection: bulk imports update three
                        // indexes, and the 2 MiB default made them spill.
                        conn.execute(
                            "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; \
                             PRAGMA cache_size = -16384; \
                             PRAGMA foreign_keys = ON",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Self {
            pool,
            backend,
            url: url.to_owned(),
        })
    }

    /// The pool, for reads and single statements.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL it was opened with (backend fast paths open their own connection).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Starts a write transaction. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`), so two writers queue instead of failing on lock upgrade.
    pub async fn begin_write(&self) -> Result<Transaction<'static, Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Closes the pool, waiting for connections to return.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Whether an error is a unique-constraint violation (the database refused a duplicate).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Whether an error means the database is unreachable rather than the query wrong: the
/// pool or the socket failed, or PostgreSQL refused the connection or dropped it
/// (SQLSTATE classes 08 connection exception, 53 insufficient resources, 55 not in
/// prerequisite state, which is how a database not accepting connections answers, and
/// 57P0x shutdowns). A retry later may succeed.
pub fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08")
                || code.starts_with("53")
                || code.starts_with("55")
                || code.starts_with("57P0")
        }),
        _ => false,
    }
}
