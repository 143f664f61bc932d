//! The pairing rules against an in-memory registry: answers a real registry gives only
//! after much setup (a lapsed title, a deregistered helper, an outage for one call) are
//! put in directly. The same rules run against the real registry in `pairings.rs`.

use crate::support;

use std::sync::Arc;

use jiff::civil::date;
use support::*;
use tonic::Code;
use wenming_clients::{CampaignFacts, UnitFacts};
use wenming_domain::{TitleTier, TitleValidity, UnitId, UnitKind};
use wenming_proto::pairing::v1 as pp;
use wenming_testkit::fakes::FakeRegistry;
use wenming_testkit::{TestDb, db_test};

fn unit(display_name: &str, kind: UnitKind, active: bool) -> UnitFacts {
    UnitFacts {
        name: format!("units/{}", UnitId::new()),
        display_name: display_name.to_owned(),
        credit_code: String::new(),
        kind: Some(kind),
        region_code: BAOFENG.to_owned(),
        city_code: PINGDINGSHAN.to_owned(),
        active,
        provincial_direct: false,
        base_level: false,
    }
}

fn national_until(until: jiff::civil::Date) -> TitleValidity {
    TitleValidity {
        awarded_on: date(2019, 1, 1),
        valid_until: Some(until),
        revoked_on: None,
    }
}

db_test!(eligibility_follows_the_registry_answer, eligibility);
async fn eligibility(test_db: &TestDb) {
    let fake = Arc::new(FakeRegistry::default());
    let campaign = format!("campaigns/{}", wenming_domain::CampaignId::new());
    fake.put_campaign(CampaignFacts {
        name: campaign.clone(),
        display_name: "2021年非公单位文明单位创建".into(),
        nomination_deadline: Some(date(2021, 4, 20)),
        batch_min: 3,
        pairing_list_deadline: Some(date(2021, 5, 1)),
        target_tiers: vec![TitleTier::Provincial, TitleTier::ProvincialModel],
        organising_region: "410400".into(),
        parent: None,
    });
    let company = unit("宝丰某耐材公司", UnitKind::PrivateEnterprise, true);
    let held = unit("全国文明单位甲", UnitKind::PublicInstitution, true);
    let lapsed = unit("全国文明单位乙", UnitKind::PublicInstitution, true);
    let gone = unit("全国文明单位丙", UnitKind::PublicInstitution, false);
    for u in [&company, &held, &lapsed, &gone] {
        fake.put_unit(u.clone());
    }
    // The clock reads 15 April 2021: one title is held that day, one lapsed on 1 April.
    fake.put_title(
        &held.name,
        TitleTier::National,
        national_until(date(2022, 1, 1)),
    );
    fake.put_title(
        &lapsed.name,
        TitleTier::National,
        national_until(date(2021, 4, 1)),
    );
    fake.put_title(
        &gone.name,
        TitleTier::National,
        national_until(date(2022, 1, 1)),
    );
    let key = wenming_authz::IdentityKey::generate();
    let clock = Arc::new(wenming_domain::FixedClock::new(april_15_2021()));
    let app = spawn_pairing_on(test_db, key, clock, fake.clone(), "http://127.0.0.1:9").await;
    let national = pp::HelperKind::NationalCivilisedUnit;

    let refused = |helper: &UnitFacts, unit: &UnitFacts| {
        let request = proposal(&campaign, national, &helper.name, &unit.name);
        let mut client = app.county(BAOFENG);
        async move { client.create_pairing(request).await.unwrap_err() }
    };

    // A lapsed title does not qualify, named in both languages.
    let err = refused(&lapsed, &company).await;
    assert_eq!(precondition_types(&err), ["pairing.helper_title"]);
    assert!(zh_cn(&err).contains("全国文明单位乙"), "{}", zh_cn(&err));

    // A deregistered helper does not qualify, whatever its title.
    let err = refused(&gone, &company).await;
    assert_eq!(precondition_types(&err), ["pairing.helper_deregistered"]);

    // Only non-public units are helped, and only registered ones.
    let institution = unit("某事业单位", UnitKind::PublicInstitution, true);
    fake.put_unit(institution.clone());
    let err = refused(&held, &institution).await;
    assert_eq!(precondition_types(&err), ["pairing.unit_not_non_public"]);
    let closed = unit("已注销公司", UnitKind::PrivateEnterprise, false);
    fake.put_unit(closed.clone());
    let err = refused(&held, &closed).await;
    assert_eq!(precondition_types(&err), ["pairing.unit_deregistered"]);

    // A registry that is down: UNAVAILABLE, and nothing is written.
    fake.set_down(true);
    let err = refused(&held, &company).await;
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    assert!(zh_cn(&err).contains("单位名录服务"), "{}", zh_cn(&err));
    fake.set_down(false);

    // The helper that holds its title that day is paired.
    let created = app
        .county(BAOFENG)
        .create_pairing(proposal(&campaign, national, &held.name, &company.name))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.helper.unwrap().display_name, "全国文明单位甲");
    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM pairings")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(rows, 1);
}
