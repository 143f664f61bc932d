//! The pairing store: every rule that must hold under concurrency (one-to-one, the
//! open list, plan versions) is enforced here by the database, inside one transaction
//! with its audit record.

mod counts;
mod lists;
mod pairings;
mod work;

use std::sync::Arc;

use serde::Serialize;
use wenming_domain::Clock;
use wenming_runtime::db::Database;
use wenming_runtime::store::StoreBase;

pub use counts::{OverdueMilestone, PairingCounts, Period};
pub use lists::{ListEventRecord, PairingListRecord, PairingListView, list_name};
pub use pairings::{
    EventRecord, ExceptionRecord, NewException, NewPairing, PairingFilter, PairingRecord,
    PairingView, Transition,
};
pub use work::{
    ActivityRecord, LedgerEntryRecord, MilestoneRecord, NewActivity, NewLedgerEntry, NewWorkPlan,
    WorkPlanRecord,
};

use crate::error::{PairingError, Result};

/// The pairing store.
#[derive(Clone, Debug)]
pub struct Store {
    base: StoreBase,
}

impl Store {
    /// A store on `db`, judging dates and deadlines by `clock`.
    pub fn new(db: Database, clock: Arc<dyn Clock>) -> Self {
        Self {
            base: StoreBase::new(db, clock),
        }
    }
}

impl std::ops::Deref for Store {
    type Target = StoreBase;

    fn deref(&self) -> &StoreBase {
        &self.base
    }
}

/// JSON text of a value stored in a TEXT column.
fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|err| PairingError::Internal(format!("json: {err}")))
}

/// A value read back from a JSON TEXT column.
fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|err| PairingError::Internal(format!("stored json: {err}")))
}
