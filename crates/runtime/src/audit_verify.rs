//! Checking a service's audit chains (`wenming audit verify`): every link in place,
//! following the one before it, with the hash of its own fields, and every chain ending
//! where its head says. The first record that does not is named.

use std::collections::BTreeMap;
use std::fmt;

use futures::TryStreamExt as _;

use crate::audit::Record;
use crate::audit_chain::{GENESIS, RECORD_COLUMNS, link_hash, record_of};
use crate::db::Database;

/// What a check found.
#[derive(Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Links checked.
    pub records: u64,
    /// Records not chained yet (written by a version before the chain; the service
    /// chains them at its next start).
    pub unchained: u64,
    /// The first broken link, if any.
    pub broken: Option<Break>,
}

/// The first place a chain does not hold.
#[derive(Debug, PartialEq, Eq)]
pub struct Break {
    /// The chain.
    pub chain: i64,
    /// The position where it breaks.
    pub seq: i64,
    /// The record found there (none when the chain's last records are gone).
    pub record: Option<String>,
    /// What is wrong.
    pub kind: BreakKind,
}

/// How a chain is broken.
#[derive(Debug, PartialEq, Eq)]
pub enum BreakKind {
    /// The record's fields do not give its hash: it was edited.
    Edited,
    /// It does not follow the record before it: a record was replaced or moved.
    Unlinked,
    /// Records before it are missing: deleted.
    Missing {
        /// The position the next record should have had.
        expected_seq: i64,
    },
    /// The chain ends before its head: its last records were deleted.
    Truncated {
        /// Where the head says it ends.
        head_seq: i64,
    },
    /// The chain ends after its head, or elsewhere than the head's hash.
    HeadMismatch,
}

impl fmt::Display for Break {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = match &self.record {
            Some(id) => format!("record {id} (chain {}, position {})", self.chain, self.seq),
            None => format!("chain {} after position {}", self.chain, self.seq),
        };
        match &self.kind {
            BreakKind::Edited => write!(f, "{at}: its contents do not match its hash (edited)"),
            BreakKind::Unlinked => write!(
                f,
                "{at}: does not follow the record before it (replaced or moved)"
            ),
            BreakKind::Missing { expected_seq } => write!(
                f,
                "{at}: the records from position {expected_seq} before it are missing (deleted)"
            ),
            BreakKind::Truncated { head_seq } => write!(
                f,
                "{at}: the chain's records up to position {head_seq} are missing (deleted)"
            ),
            BreakKind::HeadMismatch => {
                write!(f, "{at}: the chain does not end where its head says")
            }
        }
    }
}

/// One stored link.
#[derive(Debug)]
pub struct Link {
    /// Its chain.
    pub chain: i64,
    /// Its position.
    pub seq: i64,
    /// The hash of the link before, as stored.
    pub prev_hash: String,
    /// Its own hash, as stored.
    pub hash: String,
    /// Its fields.
    pub record: Record,
}

/// Walks links in (chain, position) order against the chains' heads.
#[derive(Debug)]
pub struct Walk {
    heads: BTreeMap<i64, (i64, String)>,
    /// The chain being walked, its last position and hash.
    at: Option<(i64, i64, String)>,
    records: u64,
}

impl Walk {
    /// A walk over chains whose heads (position, hash) are `heads`.
    pub fn new(heads: BTreeMap<i64, (i64, String)>) -> Self {
        Self {
            heads,
            at: None,
            records: 0,
        }
    }

    /// Checks the next link.
    pub fn step(&mut self, link: &Link) -> Result<(), Break> {
        let (expected_seq, prev) = match self.at.take() {
            Some((chain, seq, hash)) if chain == link.chain => (seq + 1, hash),
            Some((chain, seq, hash)) => {
                self.end_chain(chain, seq, &hash)?;
                (1, GENESIS.to_owned())
            }
            None => (1, GENESIS.to_owned()),
        };
        let broken = |kind| Break {
            chain: link.chain,
            seq: link.seq,
            record: Some(link.record.id.clone()),
            kind,
        };
        if link.seq != expected_seq {
            return Err(broken(BreakKind::Missing { expected_seq }));
        }
        if link.prev_hash != prev {
            return Err(broken(BreakKind::Unlinked));
        }
        if link_hash(link.chain, link.seq, &link.prev_hash, &link.record) != link.hash {
            return Err(broken(BreakKind::Edited));
        }
        self.records += 1;
        self.at = Some((link.chain, link.seq, link.hash.clone()));
        Ok(())
    }

    /// Checks that every chain ended where its head says; answers the links checked.
    pub fn finish(mut self) -> Result<u64, Break> {
        if let Some((chain, seq, hash)) = self.at.take() {
            self.end_chain(chain, seq, &hash)?;
        }
        // Chains no link was seen of: their heads must not have moved.
        if let Some((&chain, (head_seq, _))) = self.heads.iter().find(|(_, (seq, _))| *seq != 0) {
            return Err(Break {
                chain,
                seq: 0,
                record: None,
                kind: BreakKind::Truncated {
                    head_seq: *head_seq,
                },
            });
        }
        Ok(self.records)
    }

    fn end_chain(&mut self, chain: i64, seq: i64, hash: &str) -> Result<(), Break> {
        let head = self.heads.remove(&chain);
        let broken = |kind| Break {
            chain,
            seq,
            record: None,
            kind,
        };
        match head {
            Some((head_seq, _)) if head_seq > seq => Err(broken(BreakKind::Truncated { head_seq })),
            Some((head_seq, head_hash)) if head_seq == seq && head_hash == hash => Ok(()),
            _ => Err(broken(BreakKind::HeadMismatch)),
        }
    }
}

type LinkRow = (
    i64,
    i64,
    String,
    String,
    String,
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

impl Database {
    /// Checks this database's audit chains, reading them once in order.
    pub async fn verify_audit(&self) -> Result<Verdict, sqlx::Error> {
        let heads: Vec<(i64, i64, String)> =
            sqlx::query_as("SELECT chain, seq, hash FROM audit_chain_heads")
                .fetch_all(self.pool())
                .await?;
        let mut walk = Walk::new(
            heads
                .into_iter()
                .map(|(chain, seq, hash)| (chain, (seq, hash)))
                .collect(),
        );
        let sql = format!(
            "SELECT chain, seq, prev_hash, hash, {RECORD_COLUMNS} FROM audit_records \
             WHERE seq IS NOT NULL ORDER BY chain, seq"
        );
        let mut rows = sqlx::query_as::<_, LinkRow>(sqlx::AssertSqlSafe(sql)).fetch(self.pool());
        let mut broken = None;
        while let Some(row) = rows.try_next().await? {
            let (chain, seq, prev_hash, hash, id, at, subject, action, resource, request, b, a) =
                row;
            let link = Link {
                chain,
                seq,
                prev_hash,
                hash,
                record: record_of((id, at, subject, action, resource, request, b, a)),
            };
            if let Err(at) = walk.step(&link) {
                broken = Some(at);
                break;
            }
        }
        drop(rows);
        let records = walk.records;
        let broken = match broken {
            Some(at) => Some(at),
            None => walk.finish().err(),
        };
        let (unchained,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM audit_records WHERE seq IS NULL")
                .fetch_one(self.pool())
                .await?;
        Ok(Verdict {
            records,
            unchained: u64::try_from(unchained).unwrap_or(0),
            broken,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain_of(chain: i64, n: i64) -> Vec<Link> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let record = Record {
                    id: format!("r{seq}"),
                    at: seq,
                    subject: "office:410421".into(),
                    action: "CreateUnit".into(),
                    resource: format!("units/{seq}"),
                    request_id: None,
                    before_json: None,
                    after_json: None,
                };
                let hash = link_hash(chain, seq, &prev, &record);
                Link {
                    chain,
                    seq,
                    prev_hash: std::mem::replace(&mut prev, hash.clone()),
                    hash,
                    record,
                }
            })
            .collect()
    }

    fn walk(links: &[Link], heads: &[(i64, i64, &str)]) -> Result<u64, Break> {
        let mut walk = Walk::new(
            heads
                .iter()
                .map(|(chain, seq, hash)| (*chain, (*seq, (*hash).to_owned())))
                .collect(),
        );
        for link in links {
            walk.step(link)?;
        }
        walk.finish()
    }

    #[test]
    fn intact_chains_pass_and_heads_must_match() {
        let links = chain_of(3, 4);
        let last = links[3].hash.clone();
        assert_eq!(walk(&links, &[(3, 4, &last), (5, 0, GENESIS)]), Ok(4));
        let wrong_head = walk(&links, &[(3, 4, GENESIS)]).unwrap_err();
        assert_eq!(wrong_head.kind, BreakKind::HeadMismatch);
        let ahead_of_head = walk(&links, &[(3, 3, &last)]).unwrap_err();
        assert_eq!(ahead_of_head.kind, BreakKind::HeadMismatch);
    }

    #[test]
    fn a_chain_emptied_entirely_is_found_by_its_head() {
        let links = chain_of(3, 2);
        let last = links[1].hash.clone();
        let emptied = walk(&[], &[(3, 2, &last)]).unwrap_err();
        assert_eq!(emptied.kind, BreakKind::Truncated { head_seq: 2 });
        assert_eq!((emptied.chain, emptied.record), (3, None));
    }
}
