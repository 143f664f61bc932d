//! The title-change feed at the edge: who reads it, cursors, and a change as answered.

use std::pin::Pin;
use std::time::Duration;

use futures::Stream;
use tonic::Status;
use wenming_authz::{PlatformAction, RowScope, Scope};
use wenming_proto::registry::v1 as pb;
use wenming_runtime::edge::{self, page};

use crate::convert::{tier_to_pb, timestamp};
use crate::error::{RegistryError, Result};
use crate::messages as msg;
use crate::rules;
use crate::store::{ChangeKind, Store, TitleChangeRecord};

/// How often a watch looks for changes another replica recorded.
const WATCH_POLL: Duration = Duration::from_secs(2);

/// The stream WatchTitleChanges answers with.
pub type TitleChangeStream =
    Pin<Box<dyn Stream<Item = std::result::Result<pb::TitleChange, Status>> + Send>>;

/// Platforms granted `follow_titles` and the province read the feed: every title in
/// Henan, which only they may see whole.
fn reads_feed(scope: &Scope) -> Result<()> {
    if scope.platform_may(PlatformAction::FollowTitles) || scope.rows() == RowScope::Everything {
        Ok(())
    } else {
        Err(RegistryError::denied(
            &msg::TITLE_FEED_READERS,
            "the title-change feed is for platforms granted follow_titles and the province",
        ))
    }
}

/// A page of changes after the cursor `page_token`.
pub async fn list(
    store: &Store,
    scope: &Scope,
    req: &pb::ListTitleChangesRequest,
) -> Result<pb::ListTitleChangesResponse> {
    let (size, _) = page(req.page_size, "")?;
    let after = edge::cursor("page_token", &req.page_token)?;
    reads_feed(scope)?;
    let changes = store.title_changes(after, size).await?;
    let next = changes.last().map_or(after, |c| c.seq);
    Ok(pb::ListTitleChangesResponse {
        changes: changes
            .iter()
            .map(|c| change_to_pb(c, store.divisions()))
            .collect(),
        next_page_token: if next == 0 {
            String::new()
        } else {
            next.to_string()
        },
    })
}

/// The changes after `after`, then each new one.
pub fn watch(
    store: &Store,
    scope: &Scope,
    req: &pb::WatchTitleChangesRequest,
    draining: Option<wenming_runtime::follow::Draining>,
) -> Result<TitleChangeStream> {
    let after = edge::cursor("after", &req.after)?;
    reads_feed(scope)?;
    let reader = store.clone();
    let divisions = store.divisions();
    Ok(Box::pin(wenming_runtime::follow::follow(
        after,
        store.watch_title_changes(),
        draining,
        WATCH_POLL,
        move |after, limit| {
            let store = reader.clone();
            async move {
                store
                    .title_changes(after, limit)
                    .await
                    .map_err(Status::from)
            }
        },
        move |change: &TitleChangeRecord| change_to_pb(change, divisions),
        |change| change.seq,
    )))
}

fn change_to_pb(c: &TitleChangeRecord, divisions: &wenming_domain::Divisions) -> pb::TitleChange {
    let tier = c.tier.parse::<wenming_domain::TitleTier>().ok();
    let office = match (tier, c.city_code.parse()) {
        (Some(tier), Ok(city)) => rules::awarding_region(tier, city, divisions).to_string(),
        _ => String::new(),
    };
    pb::TitleChange {
        cursor: c.seq.to_string(),
        kind: match ChangeKind::parse(&c.kind) {
            Some(ChangeKind::Awarded) => pb::TitleChangeKind::Awarded,
            Some(ChangeKind::Revoked) => pb::TitleChangeKind::Revoked,
            Some(ChangeKind::Expired) => pb::TitleChangeKind::Expired,
            Some(ChangeKind::UnitDeregistered) => pb::TitleChangeKind::UnitDeregistered,
            None => pb::TitleChangeKind::Unspecified,
        } as i32,
        credit_code: c.credit_code.clone(),
        title: format!("titles/{}", c.title_id),
        tier: tier.map_or(0, |t| tier_to_pb(t) as i32),
        awarded_on: c.awarded_on.clone(),
        valid_until: c.valid_until.clone().unwrap_or_default(),
        document_number: c.document_number.clone(),
        awarding_office_code: office,
        effective_on: c.effective_on.clone(),
        record_time: Some(timestamp(c.recorded_at)),
    }
}
