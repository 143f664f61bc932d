//! Reading a service's audit trail (every service's `ListAuditRecords`): the filters
//! parsed at the edge, the records newest first in keyset pages on (time, id). Who may
//! read which records is the service's decision; this only reads.

use wenming_proto::common::v1 as pb;

use crate::audit_chain::{RECORD_COLUMNS, record_of};
use crate::catalogue::common;
use crate::db::Database;
use crate::edge::timestamp;
use crate::paging;
use crate::sql::Sql;
use crate::status::Violation;

/// What to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only this resource's records.
    pub resource: Option<String>,
    /// Only this actor's changes.
    pub actor: Option<String>,
    /// At or after, in milliseconds since the epoch.
    pub since_ms: Option<i64>,
    /// Before, in milliseconds since the epoch.
    pub until_ms: Option<i64>,
    limit: i64,
    after: Option<(i64, String)>,
}

impl AuditQuery {
    /// Parses a `ListAuditRecordsRequest`'s fields, naming the one that is wrong.
    pub fn parse(
        resource: &str,
        actor: &str,
        start: Option<&prost_types::Timestamp>,
        end: Option<&prost_types::Timestamp>,
        page_size: i32,
        page_token: &str,
    ) -> Result<Self, Violation> {
        let (limit, token) = crate::edge::page(page_size, page_token)?;
        let after = token
            .map(|cursor| {
                cursor
                    .split_once(' ')
                    .and_then(|(at, id)| Some((at.parse().ok()?, id.to_owned())))
                    .ok_or_else(|| {
                        Violation::new(
                            "page_token",
                            &common::PAGE_TOKEN,
                            "not a token from a previous page",
                        )
                    })
            })
            .transpose()?;
        let text = |value: &str| Some(value.trim().to_owned()).filter(|v| !v.is_empty());
        Ok(Self {
            resource: text(resource),
            actor: text(actor),
            since_ms: start.map(millis),
            until_ms: end.map(millis),
            limit,
            after,
        })
    }
}

fn millis(time: &prost_types::Timestamp) -> i64 {
    time.seconds
        .saturating_mul(1000)
        .saturating_add(i64::from(time.nanos) / 1_000_000)
}

/// One page of records.
#[derive(Debug)]
pub struct AuditPage {
    /// Newest first.
    pub records: Vec<pb::AuditRecord>,
    /// Empty when there are no more.
    pub next_page_token: String,
}

type LinkRow = (
    String,
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<String>,
);

impl Database {
    /// One page of the records `query` selects.
    pub async fn list_audit(&self, query: &AuditQuery) -> Result<AuditPage, sqlx::Error> {
        let mut sql = Sql::new(&format!(
            "SELECT {RECORD_COLUMNS}, chain, seq, hash FROM audit_records WHERE 1 = 1"
        ));
        if let Some(resource) = &query.resource {
            sql.push(" AND resource = ").bind(resource.clone());
        }
        if let Some(actor) = &query.actor {
            sql.push(" AND subject = ").bind(actor.clone());
        }
        if let Some(since) = query.since_ms {
            sql.push(" AND at >= ").bind(since);
        }
        if let Some(until) = query.until_ms {
            sql.push(" AND at < ").bind(until);
        }
        if let Some((at, id)) = &query.after {
            sql.push(" AND (at < ").bind(*at);
            sql.push(" OR (at = ").bind(*at);
            sql.push(" AND id < ").bind(id.clone());
            sql.push("))");
        }
        sql.push(" ORDER BY at DESC, id DESC LIMIT ")
            .bind(query.limit + 1);
        let mut rows: Vec<LinkRow> = sql.query_as().fetch_all(self.pool()).await?;
        let more = rows.len() as i64 > query.limit;
        rows.truncate(usize::try_from(query.limit).unwrap_or(0));
        let next_page_token = match (more, rows.last()) {
            (true, Some(last)) => paging::encode_token(&format!("{} {}", last.1, last.0)),
            _ => String::new(),
        };
        let records = rows
            .into_iter()
            .map(
                |(id, at, subject, action, resource, request, b, a, chain, seq, hash)| {
                    let record = record_of((id, at, subject, action, resource, request, b, a));
                    pb::AuditRecord {
                        id: record.id,
                        time: Some(timestamp(record.at)),
                        actor: record.subject,
                        action: record.action,
                        resource: record.resource,
                        request_id: record.request_id.unwrap_or_default(),
                        before_json: record.before_json.unwrap_or_default(),
                        after_json: record.after_json.unwrap_or_default(),
                        chain: chain.unwrap_or_default(),
                        position: seq.unwrap_or_default(),
                        hash: hash.unwrap_or_default(),
                    }
                },
            )
            .collect();
        Ok(AuditPage {
            records,
            next_page_token,
        })
    }
}

/// How far a caller reads a service's audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// All of it (the province): the query as asked.
    All,
    /// The records of the resource named in the query, if the caller can read that
    /// resource itself (the service checks, in the caller's scope).
    Resource(String),
}

/// The rule every service applies: a caller whose rows are the whole province (the
/// provincial office) reads the whole trail; any other office names one resource, and
/// reads its records if it can read the resource (so that personal data in them
/// reaches only the offices whose scope holds it).
pub fn reach(scope: &wenming_authz::Scope, query: &AuditQuery) -> Result<Reach, Violation> {
    if matches!(scope.rows(), wenming_authz::RowScope::Everything) {
        return Ok(Reach::All);
    }
    query.resource.clone().map(Reach::Resource).ok_or_else(|| {
        Violation::new(
            "resource",
            &common::REQUIRED,
            "below the province, name the resource whose records to read",
        )
    })
}

/// Answers a `ListAuditRecords`: all of the trail for the province; for any other
/// office, the records of the resource it names once `readable` (the service's check,
/// in the caller's scope: NOT_FOUND outside it) has let it through.
pub async fn list_for<E, F, Fut>(
    db: &Database,
    scope: &wenming_authz::Scope,
    query: AuditQuery,
    readable: F,
) -> Result<AuditPage, E>
where
    E: From<Violation> + From<sqlx::Error>,
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Result<(), E>>,
{
    if let Reach::Resource(resource) = reach(scope, &query)? {
        readable(resource).await?;
    }
    Ok(db.list_audit(&query).await?)
}

/// Answers any service's `ListAuditRecords` request: parsed at the edge, then as
/// [`list_for`] reads it.
pub async fn answer<Req, Resp, E, F, Fut>(
    db: &Database,
    scope: &wenming_authz::Scope,
    req: &Req,
    readable: F,
) -> Result<Resp, E>
where
    Req: wenming_proto::audit::AuditListRequest,
    Resp: wenming_proto::audit::AuditListResponse,
    E: From<Violation> + From<sqlx::Error>,
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Result<(), E>>,
{
    let query = AuditQuery::parse(
        req.resource(),
        req.actor(),
        req.start_time(),
        req.end_time(),
        req.page_size(),
        req.page_token(),
    )?;
    let page = list_for(db, scope, query, readable).await?;
    Ok(Resp::page(page.records, page.next_page_token))
}

/// The violation of a resource a service keeps no readable kind of (below the
/// province): `kinds` names those it does, e.g. "units/{id} or campaigns/{id}".
pub fn unreadable_kind(resource: &str, kinds: &'static str) -> Violation {
    Violation::new(
        "resource",
        &common::RESOURCE_NAME,
        format!("below the province, name {kinds}"),
    )
    .arg("collection", kinds)
    .arg("value", resource)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wenming_authz::{IdentityKey, IdentitySigner, IdentityVerifier, Principal, Scope};
    use wenming_domain::{AdminLevel, RegionCode};

    /// The scope the identity layer would hand a handler for this office.
    fn office(level: AdminLevel, code: &str) -> Scope {
        let key = IdentityKey::generate();
        let principal = Principal::office(
            format!("office-{code}"),
            level,
            RegionCode::parse(code).unwrap(),
        );
        IdentityVerifier::new(&key)
            .verify(&IdentitySigner::new(&key).sign(&principal))
            .unwrap()
    }

    #[test]
    fn the_province_reads_all_others_name_a_resource() {
        let all = AuditQuery::parse("", "", None, None, 0, "").unwrap();
        let one = AuditQuery::parse(" units/u1 ", "", None, None, 0, "").unwrap();
        let province = office(AdminLevel::Province, "410000");
        let county = office(AdminLevel::County, "410421");
        assert_eq!(reach(&province, &all), Ok(Reach::All));
        assert_eq!(reach(&province, &one), Ok(Reach::All));
        assert_eq!(reach(&county, &all).unwrap_err().field, "resource");
        assert_eq!(reach(&county, &one), Ok(Reach::Resource("units/u1".into())));
    }

    #[test]
    fn filters_and_tokens_parse() {
        let start = prost_types::Timestamp {
            seconds: 1_618_444_800,
            nanos: 500_000_000,
        };
        let query = AuditQuery::parse("", " sub ", Some(&start), None, 10, "").unwrap();
        assert_eq!(query.actor.as_deref(), Some("sub"));
        assert_eq!(query.since_ms, Some(1_618_444_800_500));
        let token = paging::encode_token("1618444800500 0193-id");
        let next = AuditQuery::parse("", "", None, None, 10, &token).unwrap();
        assert_eq!(next.after, Some((1_618_444_800_500, "0193-id".to_owned())));
        let garbage = paging::encode_token("no-space");
        assert_eq!(
            AuditQuery::parse("", "", None, None, 10, &garbage)
                .unwrap_err()
                .field,
            "page_token"
        );
    }
}
