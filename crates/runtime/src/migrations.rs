//! Migrations of one service's database: the shared tables (request ids, audit
//! records), defined once in `crates/runtime/migrations` and tracked apart from the
//! service's history, then the service's own migrations.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sqlx::migrate::Migrator;

use crate::db::{Database, DbError};

/// The shared tables' migrations.
static SHARED: Migrator = sqlx::migrate!("./migrations");

/// Where the shared migrations are tracked: not `_sqlx_migrations`, which holds the
/// service's own history (two histories in one table would each see the other's
/// versions as unknown).
const SHARED_TABLE: &str = "_wenming_shared_migrations";

/// A migration whose text changed after databases had applied it, with no change to
/// the schema it leaves (the shared tables moved out of the services' first
/// migrations). A database holding `old_checksum` for `version` is brought to the new
/// text's checksum instead of refusing to start.
#[derive(Debug)]
pub struct Reissued {
    /// The migration's version.
    pub version: i64,
    /// SHA-384 (base64) of the text as it was applied.
    pub old_checksum: &'static str,
}

/// Everything that migrates one service's database.
#[derive(Debug)]
pub struct Migrations {
    /// The service's own migrations (`sqlx::migrate!`).
    pub own: &'static Migrator,
    /// Migrations reissued with another text.
    pub reissued: &'static [Reissued],
}

impl Database {
    /// Runs the shared migrations, then the service's.
    pub async fn migrate(&self, migrations: &Migrations) -> Result<(), DbError> {
        let mut shared = Migrator::with_migrations(SHARED.migrations.to_vec());
        shared.dangerous_set_table_name(SHARED_TABLE);
        shared.run(self.pool()).await?;
        self.accept_reissued(migrations).await?;
        migrations.own.run(self.pool()).await?;
        self.seal_unchained_audit().await?;
        Ok(())
    }

    async fn accept_reissued(&self, migrations: &Migrations) -> Result<(), DbError> {
        if migrations.reissued.is_empty() {
            return Ok(());
        }
        let exists: Option<(i64,)> = sqlx::query_as(match self.backend() {
            crate::db::Backend::Sqlite => {
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
            }
            crate::db::Backend::Postgres => {
                "SELECT 1 FROM information_schema.tables WHERE table_name = '_sqlx_migrations' \
                 AND table_schema = current_schema()"
            }
        })
        .fetch_optional(self.pool())
        .await?;
        if exists.is_none() {
            return Ok(());
        }
        for reissued in migrations.reissued {
            let Some(current) = migrations
                .own
                .iter()
                .find(|m| m.version == reissued.version)
            else {
                continue;
            };
            let Ok(old) = STANDARD.decode(reissued.old_checksum) else {
                continue;
            };
            let updated = sqlx::query(
                "UPDATE _sqlx_migrations SET checksum = $1 WHERE version = $2 AND checksum = $3",
            )
            .bind(current.checksum.to_vec())
            .bind(reissued.version)
            .bind(old)
            .execute(self.pool())
            .await?
            .rows_affected();
            if updated > 0 {
                tracing::info!(
                    version = reissued.version,
                    "migration reissued without a schema change: checksum brought up to date"
                );
            }
        }
        Ok(())
    }
}

/// Declares a service's `MIGRATIONS` over its `./migrations` folder, with the versions
/// it reissued (`version => "old checksum"`).
#[macro_export]
macro_rules! service_migrations {
    ($($version:literal => $old:literal),* $(,)?) => {
        static MIGRATOR: ::sqlx::migrate::Migrator = ::sqlx::migrate!("./migrations");

        /// This service's migrations (portable SQL, the same files for both databases),
        /// run after the shared tables'.
        pub static MIGRATIONS: $crate::migrations::Migrations = $crate::migrations::Migrations {
            own: &MIGRATOR,
            reissued: &[$($crate::migrations::Reissued {
                version: $version,
                old_checksum: $old,
            }),*],
        };
    };
}
