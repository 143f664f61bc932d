//! The quota store: what must hold under concurrency (places taken never exceed the
//! quota in force; one version in force and one draft per table; one designation per
//! unit) is enforced here by the database, inside one transaction with its audit record.

mod designations;
mod recommendations;
mod tables;

use std::sync::Arc;

use wenming_domain::{Clock, Divisions, OfficeKey, PROVINCIAL_DIRECT, QuotaHolder, TitleTier};
use wenming_runtime::db::Database;
use wenming_runtime::store::StoreBase;

pub use designations::{DesignationFilter, DesignationRecord, NewDesignation, PlaceCount};
pub use recommendations::{AcceptedList, ListRecord, NewRound, RoundRecord, list_name, round_name};
pub(crate) use tables::no_table_in_force;
pub use tables::{RowRecord, VersionRecord, VersionView, version_name};

use crate::error::{QuotaError, Result};

/// The quota store.
#[derive(Clone, Debug)]
pub struct Store {
    base: StoreBase,
}

impl Store {
    /// A store on `db`, judging dates by `clock`.
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

/// A holder as stored: "provincial-direct" or the city's code.
pub fn holder_column(holder: QuotaHolder) -> String {
    holder.office().to_string()
}

/// A stored holder read back.
pub fn holder_from_column(text: &str, divisions: &Divisions) -> Result<QuotaHolder> {
    let office = if text == PROVINCIAL_DIRECT {
        Some(OfficeKey::ProvincialDirect)
    } else {
        OfficeKey::parse(text).ok()
    };
    office
        .and_then(|office| QuotaHolder::of_office(office, divisions))
        .ok_or_else(|| QuotaError::Internal(format!("stored holder {text}")))
}

/// A stored tier read back.
pub fn tier_from_column(text: &str) -> Result<TitleTier> {
    text.parse::<TitleTier>()
        .map_err(|_| QuotaError::Internal(format!("stored tier {text}")))
}

/// JSON text of a value stored in a TEXT column.
fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|err| QuotaError::Internal(format!("json: {err}")))
}

/// A value read back from a JSON TEXT column.
fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|err| QuotaError::Internal(format!("stored json: {err}")))
}
