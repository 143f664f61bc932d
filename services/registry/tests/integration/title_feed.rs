//! The feed of title changes (R12): awards, revocations, expiries and deregistrations,
//! followed as a stream and read page by page, from a cursor that survives a restart of
//! the registry; concurrent awards never skip a reader; who may read it. Real gRPC, both
//! databases.

use crate::support;

use std::collections::BTreeSet;
use std::time::Duration;

use support::*;
use tonic::Code;
use wenming_authz::{PlatformAction, Principal, Role};
use wenming_proto::registry::v1 as pb;
use wenming_testkit::{TestDb, db_test};

/// A credit-information platform granted the feed.
fn follower(app: &App) -> Client {
    app.client(Principal {
        subject: "platform-credit".into(),
        role: Role::Platform {
            name: "credit".into(),
            actions: vec![PlatformAction::VerifyTitle, PlatformAction::FollowTitles],
        },
    })
}

async fn unit(app: &App, n: u32) -> pb::Unit {
    create(
        &mut app.county("410421"),
        company(&format!("宝丰企业{n}"), "410421", n),
    )
    .await
}

async fn page(client: &mut Client, after: &str) -> pb::ListTitleChangesResponse {
    client
        .list_title_changes(pb::ListTitleChangesRequest {
            page_size: 0,
            page_token: after.into(),
        })
        .await
        .unwrap()
        .into_inner()
}

/// The next change on `stream`, or a failure after 10 s (no change is that slow).
async fn next(stream: &mut tonic::Streaming<pb::TitleChange>) -> pb::TitleChange {
    tokio::time::timeout(Duration::from_secs(10), stream.message())
        .await
        .expect("a change within 10 s")
        .unwrap()
        .expect("the stream stays open")
}

db_test!(
    a_follower_sees_each_change_to_a_title_once_with_nothing_else_of_the_unit,
    changes_body
);
async fn changes_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let mut platform = follower(&app);
    let mut stream = platform
        .watch_title_changes(pb::WatchTitleChangesRequest::default())
        .await
        .unwrap()
        .into_inner();

    // Awarded: a city title until 2022-01-10, a provincial one with the tier's term.
    let a = unit(&app, 5100).await;
    let city = app
        .city("410400")
        .award_title(award(&a, pb::TitleTier::City, "2021-01-10", "2022-01-10"))
        .await
        .unwrap()
        .into_inner();
    let awarded = next(&mut stream).await;
    assert_eq!(awarded.kind, pb::TitleChangeKind::Awarded as i32);
    assert_eq!(awarded.title, city.name);
    assert_eq!(awarded.credit_code, a.credit_code);
    assert_eq!(awarded.tier, pb::TitleTier::City as i32);
    assert_eq!(awarded.effective_on, "2021-01-10");
    assert_eq!(awarded.valid_until, "2022-01-10");
    assert_eq!(awarded.awarding_office_code, "410400");
    assert_eq!(awarded.document_number, "平文明〔2022〕1号");

    // Revoked.
    let provincial = app
        .province()
        .award_title(award(&a, pb::TitleTier::Provincial, "2021-03-01", ""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(next(&mut stream).await.title, provincial.name);
    app.province()
        .revoke_title(pb::RevokeTitleRequest {
            name: provincial.name.clone(),
            reason: "发生重大安全生产事故".into(),
            revoked_on: "2021-05-01".into(),
        })
        .await
        .unwrap();
    let revoked = next(&mut stream).await;
    assert_eq!(revoked.kind, pb::TitleChangeKind::Revoked as i32);
    assert_eq!(revoked.title, provincial.name);
    assert_eq!(revoked.effective_on, "2021-05-01");
    assert_eq!(revoked.awarding_office_code, "410000");

    // A unit deregistered while it holds a title; its expired title says nothing.
    let b = unit(&app, 5101).await;
    let held = app
        .province()
        .award_title(award(&b, pb::TitleTier::Provincial, "2021-02-01", ""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(next(&mut stream).await.title, held.name);
    let b_now = app
        .county("410421")
        .get_unit(pb::GetUnitRequest {
            name: b.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    app.county("410421")
        .deregister_unit(pb::DeregisterUnitRequest {
            name: b.name.clone(),
            reason: "企业注销".into(),
            etag: b_now.etag,
        })
        .await
        .unwrap();
    let deregistered = next(&mut stream).await;
    assert_eq!(
        deregistered.kind,
        pb::TitleChangeKind::UnitDeregistered as i32
    );
    assert_eq!(deregistered.title, held.name);
    assert_eq!(deregistered.effective_on, "2021-04-15");

    // The city title's term ends 2022-01-10: nothing before that day, its expiry on it.
    app.clock.set("2022-01-09T12:00:00Z".parse().unwrap());
    let listed = page(&mut platform, &deregistered.cursor).await;
    assert!(listed.changes.is_empty(), "{listed:?}");
    assert_eq!(
        listed.next_page_token, deregistered.cursor,
        "a poller keeps its cursor"
    );
    app.clock.set("2022-01-10T00:30:00+08:00".parse().unwrap());
    let expired = next(&mut stream).await;
    assert_eq!(expired.kind, pb::TitleChangeKind::Expired as i32);
    assert_eq!(expired.title, city.name);
    assert_eq!(expired.effective_on, "2022-01-10");

    // Page by page, the same changes in the same order, each once.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let answer = platform
            .list_title_changes(pb::ListTitleChangesRequest {
                page_size: 2,
                page_token: cursor.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        if answer.changes.is_empty() {
            break;
        }
        seen.extend(answer.changes.iter().map(|c| (c.kind, c.title.clone())));
        cursor = answer.next_page_token;
    }
    assert_eq!(
        seen,
        vec![
            (pb::TitleChangeKind::Awarded as i32, city.name.clone()),
            (pb::TitleChangeKind::Awarded as i32, provincial.name.clone()),
            (pb::TitleChangeKind::Revoked as i32, provincial.name.clone()),
            (pb::TitleChangeKind::Awarded as i32, held.name.clone()),
            (
                pb::TitleChangeKind::UnitDeregistered as i32,
                held.name.clone()
            ),
            (pb::TitleChangeKind::Expired as i32, city.name.clone()),
        ]
    );
    // The province reads the same feed.
    assert_eq!(page(&mut app.province(), "").await.changes.len(), 6);
}

db_test!(
    a_cursor_kept_across_a_restart_of_the_registry_misses_nothing_and_repeats_nothing,
    restart_body
);
async fn restart_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let a = unit(&app, 5200).await;
    let first = app
        .province()
        .award_title(award(&a, pb::TitleTier::Provincial, "2021-03-01", ""))
        .await
        .unwrap()
        .into_inner();
    let mut stream = follower(&app)
        .watch_title_changes(pb::WatchTitleChangesRequest::default())
        .await
        .unwrap()
        .into_inner();
    let kept = next(&mut stream).await;
    assert_eq!(kept.title, first.name);

    // Changes made while the platform is away, then the registry restarts.
    let second = app
        .province()
        .award_title(award(&a, pb::TitleTier::ProvincialModel, "2021-03-02", ""))
        .await
        .unwrap()
        .into_inner();
    drop(stream);
    let app = app.restart().await;
    let third = app
        .province()
        .revoke_title(pb::RevokeTitleRequest {
            name: first.name.clone(),
            reason: "复查不合格".into(),
            revoked_on: String::new(),
        })
        .await
        .unwrap()
        .into_inner();

    let mut stream = follower(&app)
        .watch_title_changes(pb::WatchTitleChangesRequest {
            after: kept.cursor.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let got = [next(&mut stream).await, next(&mut stream).await];
    assert_eq!(
        got.iter()
            .map(|c| (c.kind, c.title.clone()))
            .collect::<Vec<_>>(),
        vec![
            (pb::TitleChangeKind::Awarded as i32, second.name.clone()),
            (pb::TitleChangeKind::Revoked as i32, third.name.clone()),
        ]
    );
    // And one made after it reconnected arrives too.
    let b = unit(&app, 5201).await;
    let fourth = app
        .province()
        .award_title(award(&b, pb::TitleTier::Provincial, "2021-04-01", ""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(next(&mut stream).await.title, fourth.name);
    let tail = page(&mut follower(&app), &got[1].cursor).await;
    assert_eq!(tail.changes.len(), 1, "nothing repeated: {tail:?}");
}

db_test!(
    a_poller_reading_while_awards_commit_together_misses_none,
    concurrent_body
);
async fn concurrent_body(db: &TestDb) {
    const WRITERS: u32 = 8;
    const EACH: u32 = 5;
    let app = spawn_registry(db).await;
    let mut units = Vec::new();
    for n in 0..WRITERS * EACH {
        units.push(unit(&app, 5300 + n).await);
    }
    let mut poller = follower(&app);
    let total = (WRITERS * EACH) as usize;
    let reader = tokio::spawn(async move {
        let mut cursor = String::new();
        let mut titles = Vec::new();
        while titles.len() < total {
            let answer = page(&mut poller, &cursor).await;
            titles.extend(answer.changes.into_iter().map(|c| c.title));
            cursor = answer.next_page_token;
            tokio::task::yield_now().await;
        }
        titles
    });
    let mut writers = Vec::new();
    for chunk in units.chunks(EACH as usize) {
        let (chunk, mut province) = (chunk.to_vec(), app.province());
        writers.push(tokio::spawn(async move {
            let mut names = Vec::new();
            for u in chunk {
                let title = province
                    .award_title(award(&u, pb::TitleTier::Provincial, "2021-03-01", ""))
                    .await
                    .unwrap()
                    .into_inner();
                names.push(title.name);
            }
            names
        }));
    }
    let mut awarded = BTreeSet::new();
    for writer in writers {
        awarded.extend(writer.await.unwrap());
    }
    let read = tokio::time::timeout(Duration::from_secs(30), reader)
        .await
        .expect("the poller reads every award")
        .unwrap();
    assert_eq!(read.len(), total, "each once");
    assert_eq!(read.into_iter().collect::<BTreeSet<_>>(), awarded);
}

db_test!(
    the_feed_is_for_granted_platforms_and_the_province,
    refusals_body
);
async fn refusals_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    for (who, mut client) in [
        ("a city", app.city("410400")),
        ("a county", app.county("410421")),
        ("a platform without the grant", app.platform()),
    ] {
        let err = client
            .list_title_changes(pb::ListTitleChangesRequest::default())
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{who}: {err:?}");
        let err = client
            .watch_title_changes(pb::WatchTitleChangesRequest::default())
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{who}: {err:?}");
        assert!(zh_cn(&err).contains("称号变更订阅"), "{err:?}");
    }
    let err = follower(&app)
        .watch_title_changes(pb::WatchTitleChangesRequest {
            after: "yesterday".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        vec![("after".into(), "PAGE_TOKEN".into())]
    );
    let err = follower(&app)
        .list_title_changes(pb::ListTitleChangesRequest {
            page_size: -1,
            page_token: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
}

db_test!(
    a_watch_ends_unavailable_as_soon_as_the_registry_drains,
    drain_body
);
async fn drain_body(db: &TestDb) {
    let mut app = spawn_registry(db).await;
    let mut stream = follower(&app)
        .watch_title_changes(pb::WatchTitleChangesRequest::default())
        .await
        .unwrap()
        .into_inner();
    app.begin_shutdown();
    // Well before the 10 s drain would time out: the follower is told to reconnect.
    let err = tokio::time::timeout(Duration::from_secs(5), stream.message())
        .await
        .expect("the watch ends when the drain begins")
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    assert!(zh_cn(&err).contains("游标"), "{err:?}");
    drop(stream);
    app.stopped().await.unwrap();
}
