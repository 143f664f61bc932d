//! What every service's store holds: its database, its clock and the division table.
//! A store wraps one and adds its own caches (`Deref` reaches these).

use std::sync::Arc;

use wenming_domain::{Clock, Divisions};

use crate::db::Database;

/// A store's database, clock and division table.
#[derive(Clone, Debug)]
pub struct StoreBase {
    /// The service's own database.
    pub db: Database,
    /// The clock dates and deadlines are judged by.
    pub clock: Arc<dyn Clock>,
    /// The division table (GB/T 2260, Henan).
    pub divisions: &'static Divisions,
}

impl StoreBase {
    /// A store on `db`, judging dates and deadlines by `clock`.
    pub fn new(db: Database, clock: Arc<dyn Clock>) -> Self {
        Self {
            db,
            clock,
            divisions: Divisions::henan(),
        }
    }

    /// The division table.
    pub fn divisions(&self) -> &'static Divisions {
        self.divisions
    }

    /// The clock.
    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }
}
