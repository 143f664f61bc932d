//! The registry's storage: every rule that must hold under concurrency is enforced here,
//! inside one transaction with its audit record.

mod applications;
mod campaigns;
mod commendations;
mod counts;
mod import;
mod nominations;
mod title_feed;
mod titles;
mod units;
mod verify_cache;

use std::sync::Arc;

use wenming_authz::{RowScope, Scope};
use wenming_domain::Clock;
use wenming_runtime::db::{Backend, Database};
use wenming_runtime::row_scope;
pub use wenming_runtime::sql::Page;
use wenming_runtime::sql::Sql;
use wenming_runtime::store::StoreBase;

pub use applications::{ApplicationRecord, Decision};
pub use campaigns::{CampaignRecord, DeadlineMoveRecord, NewCampaign};
pub use commendations::CommendationRecord;
pub use counts::RegionCounts;
pub use import::{ImportOutcome, ImportRowResult};
pub use nominations::{NominationEventRecord, NominationRecord};
pub use title_feed::{ChangeKind, TitleChangeRecord};
pub use titles::{
    HeldTitle, HelperFacts, NewTitle, TitleRecord, UnitKey, VERIFY_SQL, VerifiedTitles,
};
pub use units::{ListUnitsFilter, NewUnit, UnitFields, UnitRecord};

/// The registry store.
#[derive(Clone, Debug)]
pub struct Store {
    base: StoreBase,
    /// A native PostgreSQL pool for `COPY`, which `Any` cannot do; `None` on SQLite.
    pg_bulk: Option<sqlx::PgPool>,
    /// VerifyTitle answers by credit code.
    verify_cache: verify_cache::VerifyCache,
    /// The title-change feed's watchers and sweep.
    feed: title_feed::Feed,
}

impl Store {
    /// A store on `db`, judging deadlines and dates by `clock`.
    pub fn new(db: Database, clock: Arc<dyn Clock>) -> Self {
        let pg_bulk = match db.backend() {
            Backend::Postgres => sqlx::postgres::PgPoolOptions::new()
                .max_connections(2)
                .connect_lazy(db.url())
                .ok(),
            Backend::Sqlite => None,
        };
        Self {
            base: StoreBase::new(db, clock),
            pg_bulk,
            verify_cache: verify_cache::VerifyCache::default(),
            feed: title_feed::Feed::default(),
        }
    }

    /// The rows the caller reads; platforms read nothing but title verifications. (The
    /// policy keeps platforms away from these calls already; refused here too because a
    /// call that reaches the registry without the gateway must meet the same rule.)
    fn readable_rows(scope: &Scope) -> crate::error::Result<RowScope> {
        match scope.rows() {
            RowScope::Nothing => Err(crate::RegistryError::denied(
                &crate::messages::PLATFORMS_VERIFY_ONLY,
                "platforms may only verify titles",
            )),
            rows => Ok(rows),
        }
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().as_millisecond()
    }
}

impl std::ops::Deref for Store {
    type Target = StoreBase;

    fn deref(&self) -> &StoreBase {
        &self.base
    }
}

/// Appends ` AND …` restricting rows to `scope`, on tables that carry the unit id, its
/// county-level and city-level regions and its provincial-direct flag.
fn push_scope(sql: &mut Sql, scope: RowScope, unit: &str, region: &str, city: &str, direct: &str) {
    row_scope::push(
        sql,
        scope,
        row_scope::Columns {
            unit,
            region,
            city,
            direct,
        },
    );
}
