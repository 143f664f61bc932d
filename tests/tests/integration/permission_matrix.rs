//! The permission matrix, through the gateway: every RPC of every wenming service (read
//! from the compiled descriptors, so an RPC without a row here fails) × every kind of
//! caller, then in and out of scope for the calls that name a unit.

use std::collections::BTreeSet;

use prost::Message as _;
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic_prost::ProstCodec;
use wenming_proto::registry::v1 as pb;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
use wenming_testkit::TestDb;
use wenming_tests::{Bearer, Suite};

/// What the gateway does with a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Gate {
    /// Passed to the service (whatever the service then answers).
    Pass,
    /// Refused by the policy.
    Deny,
}
use Gate::{Deny, Pass};

/// Callers, in the column order of `MATRIX`.
const CALLERS: [&str; 6] = [
    "province",
    "city",
    "county",
    "unit",
    "platform",
    "provincial-direct",
];

/// RPC → what each caller kind gets. Anonymous callers get UNAUTHENTICATED everywhere.
const MATRIX: &[(&str, [Gate; 6])] = &[
    (
        "wenming.registry.v1.RegistryService/CreateUnit",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.registry.v1.RegistryService/GetUnit",
        [Pass, Pass, Pass, Pass, Deny, Pass],
    ),
    (
        "wenming.registry.v1.RegistryService/ListAuditRecords",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.pairing.v1.PairingService/ListAuditRecords",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.quota.v1.QuotaService/ListAuditRecords",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.supervision.v1.SupervisionService/ListAuditRecords",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.registry.v1.RegistryService/UpdateUnit",
        [Pass, Pass, Pass, Pass, Deny, Pass],
    ),
    (
        "wenming.registry.v1.RegistryService/ListUnits",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.registry.v1.RegistryService/DeregisterUnit",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.registry.v1.RegistryService/ImportUnits",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.registry.v1.RegistryService/AddToReservePool",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.registry.v1.RegistryService/RemoveFromReservePool",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.registry.v1.RegistryService/CreateCampaign",
        [Pass, Pass, Deny, Deny, Deny, Deny],
    ),
    (
        "wenming.registry.v1.RegistryService/GetCampaign",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.registry.v1.RegistryService/ListCampaigns",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.registry.v1.RegistryService/SubmitNominations",
        [Deny, Deny, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.registry.v1.RegistryService/DecideNomination",
        [Pass, Pass, Deny, Deny, Deny, Deny],
    ),
    (
        "wenming.registry.v1.RegistryService/ListNominations",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.registry.v1.RegistryService/AwardTitle",
        [Pass, Pass, Deny, Deny, Deny, Deny],
    ),
    (
        "wenming.registry.v1.RegistryService/RevokeTitle",
        [Pass, Pass, Deny, Deny, Deny, Deny],
    ),
    (
        "wenming.registry.v1.RegistryService/ListTitles",
        [Pass, Pass, Pass, Pass, Deny, Pass],
    ),
    (
        "wenming.registry.v1.RegistryService/VerifyTitle",
        [Pass, Pass, Pass, Pass, Pass, Pass],
    ),
    // The matrix's platform holds the default grant (verify_title); a platform granted
    // submit_application is tested in `applications.rs`.
    (
        "wenming.registry.v1.RegistryService/SubmitApplication",
        [Deny, Deny, Deny, Deny, Deny, Deny],
    ),
    (
        "wenming.registry.v1.RegistryService/GetApplication",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.registry.v1.RegistryService/ListApplications",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.registry.v1.RegistryService/DecideApplication",
        [Deny, Pass, Pass, Deny, Deny, Deny],
    ),
    (
        "wenming.registry.v1.RegistryService/MoveCampaignDeadline",
        [Pass, Pass, Deny, Deny, Deny, Deny],
    ),
    (
        "wenming.registry.v1.RegistryService/VerifyTitles",
        [Pass, Pass, Pass, Pass, Pass, Pass],
    ),
    (
        "wenming.registry.v1.RegistryService/GetHelperEligibility",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    // Public keys: every authenticated caller.
    (
        "wenming.registry.v1.RegistryService/GetAttestationKeys",
        [Pass, Pass, Pass, Pass, Pass, Pass],
    ),
    // The feed: the province, and platforms granted follow_titles (the matrix's platform
    // is not; one that is follows the feed in `title_feed.rs`).
    (
        "wenming.registry.v1.RegistryService/ListTitleChanges",
        [Pass, Deny, Deny, Deny, Deny, Deny],
    ),
    (
        "wenming.registry.v1.RegistryService/WatchTitleChanges",
        [Pass, Deny, Deny, Deny, Deny, Deny],
    ),
    (
        "wenming.pairing.v1.PairingService/CreatePairing",
        [Deny, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.pairing.v1.PairingService/GetPairing",
        [Pass, Pass, Pass, Pass, Deny, Pass],
    ),
    (
        "wenming.pairing.v1.PairingService/ListPairings",
        [Pass, Pass, Pass, Pass, Deny, Pass],
    ),
    (
        "wenming.pairing.v1.PairingService/ActivatePairing",
        [Pass, Pass, Pass, Pass, Deny, Pass],
    ),
    (
        "wenming.pairing.v1.PairingService/ConcludePairing",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.pairing.v1.PairingService/DissolvePairing",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.pairing.v1.PairingService/GrantPairingException",
        [Pass, Deny, Deny, Deny, Deny, Deny],
    ),
    (
        "wenming.pairing.v1.PairingService/SetHighlightBrand",
        [Pass, Pass, Pass, Pass, Deny, Pass],
    ),
    (
        "wenming.pairing.v1.PairingService/SubmitWorkPlan",
        [Pass, Pass, Pass, Pass, Deny, Pass],
    ),
    (
        "wenming.pairing.v1.PairingService/GetWorkPlan",
        [Pass, Pass, Pass, Pass, Deny, Pass],
    ),
    (
        "wenming.pairing.v1.PairingService/AddLedgerEntry",
        [Pass, Pass, Pass, Pass, Deny, Pass],
    ),
    (
        "wenming.pairing.v1.PairingService/ListLedgerEntries",
        [Pass, Pass, Pass, Pass, Deny, Pass],
    ),
    (
        "wenming.pairing.v1.PairingService/RecordActivity",
        [Pass, Pass, Pass, Pass, Deny, Pass],
    ),
    (
        "wenming.pairing.v1.PairingService/ListActivities",
        [Pass, Pass, Pass, Pass, Deny, Pass],
    ),
    (
        "wenming.pairing.v1.PairingService/GetPairingList",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.pairing.v1.PairingService/ListPairingLists",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.pairing.v1.PairingService/ReportPairingList",
        [Deny, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.pairing.v1.PairingService/ReopenPairingList",
        [Pass, Deny, Deny, Deny, Deny, Deny],
    ),
    (
        "wenming.pairing.v1.PairingService/ListPairingListReports",
        [Pass, Deny, Deny, Deny, Deny, Deny],
    ),
    (
        "wenming.quota.v1.QuotaService/ImportAllocationTable",
        [Pass, Deny, Deny, Deny, Deny, Deny],
    ),
    (
        "wenming.quota.v1.QuotaService/GetAllocationTable",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.quota.v1.QuotaService/ListAllocationTableVersions",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.quota.v1.QuotaService/ConfirmAllocationTable",
        [Pass, Deny, Deny, Deny, Deny, Deny],
    ),
    (
        "wenming.quota.v1.QuotaService/ReallocateQuota",
        [Pass, Deny, Deny, Deny, Deny, Deny],
    ),
    (
        "wenming.quota.v1.QuotaService/ExportAllocationTable",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.quota.v1.QuotaService/CreateDesignation",
        [Deny, Pass, Deny, Deny, Deny, Pass],
    ),
    (
        "wenming.quota.v1.QuotaService/GetDesignation",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.quota.v1.QuotaService/ListDesignations",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.quota.v1.QuotaService/WithdrawDesignation",
        [Deny, Pass, Deny, Deny, Deny, Pass],
    ),
    (
        "wenming.quota.v1.QuotaService/GetFulfilment",
        [Pass, Pass, Deny, Deny, Deny, Pass],
    ),
    (
        "wenming.quota.v1.QuotaService/CreateRecommendationRound",
        [Pass, Deny, Deny, Deny, Deny, Deny],
    ),
    (
        "wenming.quota.v1.QuotaService/GetRecommendationRound",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.quota.v1.QuotaService/SubmitRecommendationList",
        [Pass, Pass, Deny, Deny, Deny, Pass],
    ),
    (
        "wenming.quota.v1.QuotaService/GetRecommendationList",
        [Pass, Pass, Deny, Deny, Deny, Pass],
    ),
    (
        "wenming.quota.v1.QuotaService/ListRecommendationLists",
        [Pass, Pass, Deny, Deny, Deny, Pass],
    ),
    (
        "wenming.supervision.v1.SupervisionService/PlanInspection",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.supervision.v1.SupervisionService/GetInspection",
        [Pass, Pass, Pass, Pass, Deny, Pass],
    ),
    (
        "wenming.supervision.v1.SupervisionService/ListInspections",
        [Pass, Pass, Pass, Pass, Deny, Pass],
    ),
    (
        "wenming.supervision.v1.SupervisionService/RecordVisit",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.supervision.v1.SupervisionService/CancelInspection",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.supervision.v1.SupervisionService/OpenRectificationTask",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.supervision.v1.SupervisionService/GetRectificationTask",
        [Pass, Pass, Pass, Pass, Deny, Pass],
    ),
    (
        "wenming.supervision.v1.SupervisionService/ListRectificationTasks",
        [Pass, Pass, Pass, Pass, Deny, Pass],
    ),
    (
        "wenming.supervision.v1.SupervisionService/RecordTaskProgress",
        [Pass, Pass, Pass, Pass, Deny, Pass],
    ),
    (
        "wenming.supervision.v1.SupervisionService/CloseRectificationTask",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.supervision.v1.SupervisionService/ReopenRectificationTask",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.supervision.v1.SupervisionService/CommendPairing",
        [Pass, Deny, Deny, Deny, Deny, Deny],
    ),
    (
        "wenming.supervision.v1.SupervisionService/GetCommendation",
        [Pass, Pass, Pass, Pass, Deny, Pass],
    ),
    (
        "wenming.supervision.v1.SupervisionService/ListCommendations",
        [Pass, Pass, Pass, Pass, Deny, Pass],
    ),
    (
        "wenming.supervision.v1.SupervisionService/ScheduleAdmonishmentTalk",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.supervision.v1.SupervisionService/GetAdmonishmentTalk",
        [Pass, Pass, Pass, Pass, Deny, Pass],
    ),
    (
        "wenming.supervision.v1.SupervisionService/ListAdmonishmentTalks",
        [Pass, Pass, Pass, Pass, Deny, Pass],
    ),
    (
        "wenming.supervision.v1.SupervisionService/RecordAdmonishmentTalk",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.supervision.v1.SupervisionService/CancelAdmonishmentTalk",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.supervision.v1.SupervisionService/ListUnitHistory",
        [Pass, Pass, Pass, Pass, Deny, Pass],
    ),
    (
        "wenming.registry.v1.RegistryService/RecordCommendation",
        [Deny, Deny, Deny, Deny, Deny, Deny],
    ),
    (
        "wenming.registry.v1.RegistryService/CountUnitsByRegion",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.pairing.v1.PairingService/CountPairingsByRegion",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.pairing.v1.PairingService/ListOverdueMilestones",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.supervision.v1.SupervisionService/GetProgressReport",
        [Pass, Pass, Pass, Deny, Deny, Deny],
    ),
    (
        "wenming.supervision.v1.SupervisionService/ExportProgressReport",
        [Pass, Pass, Pass, Deny, Deny, Deny],
    ),
    (
        "wenming.supervision.v1.SupervisionService/ListDeadlineItems",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
    (
        "wenming.supervision.v1.SupervisionService/WatchDeadlineItems",
        [Pass, Pass, Pass, Deny, Deny, Pass],
    ),
];

/// How an RPC streams.
#[derive(Clone, Copy, Debug)]
struct Streaming {
    client: bool,
    server: bool,
}

const UNARY: Streaming = Streaming {
    client: false,
    server: false,
};

/// Every RPC of every wenming service in the compiled descriptors, with how it streams.
fn rpcs() -> Vec<(String, Streaming)> {
    let set = prost_types::FileDescriptorSet::decode(wenming_proto::FILE_DESCRIPTOR_SET).unwrap();
    let mut rpcs = Vec::new();
    for file in set.file {
        let package = file.package().to_owned();
        if !package.starts_with("wenming.") {
            continue;
        }
        for service in &file.service {
            for method in &service.method {
                rpcs.push((
                    format!("{package}.{}/{}", service.name(), method.name()),
                    Streaming {
                        client: method.client_streaming(),
                        server: method.server_streaming(),
                    },
                ));
            }
        }
    }
    rpcs
}

/// Calls `rpc` with an empty message (the gateway does not decode messages); a server
/// stream counts as answered once its headers arrive (a watch would run on).
async fn call(channel: &Channel, bearer: Option<Bearer>, rpc: &str, streaming: Streaming) -> Code {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.unwrap();
    let path: http::uri::PathAndQuery = format!("/{rpc}").parse().unwrap();
    let codec = ProstCodec::<(), ()>::default();
    let intercept = |mut request: tonic::Request<()>| {
        if let Some(bearer) = &bearer {
            let mut bearer = bearer.clone();
            request = tonic::service::Interceptor::call(&mut bearer, request).unwrap();
        }
        request
    };
    let result = if streaming.server {
        grpc.server_streaming(intercept(tonic::Request::new(())), path, codec)
            .await
            .map(|_| ())
    } else if streaming.client {
        let request = intercept(tonic::Request::new(())).map(|()| tokio_stream::iter([()]));
        grpc.client_streaming(request, path, codec)
            .await
            .map(|_| ())
    } else {
        grpc.unary(intercept(tonic::Request::new(())), path, codec)
            .await
            .map(|_| ())
    };
    result.err().map_or(Code::Ok, |status| status.code())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rpc_has_a_rule_for_every_caller() {
    let db = TestDb::sqlite().await;
    // No rate limits: each caller makes one call per RPC, more than a burst allows.
    let suite = Suite::start_with(&db, "2021-04-16T01:00:00Z".parse().unwrap(), None).await;
    let unit_id = wenming_domain::UnitId::new().to_string();
    let bearers = [
        suite.office("province", "410000"),
        suite.office("city", "410400"),
        suite.office("county", "410421"),
        suite.bearer(&suite.token("unit", None, Some(&unit_id), None)),
        suite.platform("tax"),
        suite.provincial_direct(),
    ];

    let exposed: BTreeSet<String> = rpcs().into_iter().map(|(rpc, _)| rpc).collect();
    let ruled: BTreeSet<String> = MATRIX.iter().map(|(rpc, _)| (*rpc).to_owned()).collect();
    assert_eq!(
        exposed, ruled,
        "every RPC needs a row in the matrix (and in policy/wenming.cedar)"
    );

    // Paths outside the contracts: refused before the policy (which caches decisions).
    for path in [
        "wenming.registry.v1.RegistryService/NoSuchMethod",
        "wenming.unknown.v1.Nothing/Here",
    ] {
        assert_eq!(
            call(&suite.gateway, None, path, UNARY).await,
            Code::Unauthenticated,
            "anonymous → {path}"
        );
        assert_eq!(
            call(&suite.gateway, Some(bearers[0].clone()), path, UNARY).await,
            Code::Unimplemented,
            "{path}"
        );
    }

    for (rpc, streaming) in rpcs() {
        let row = MATRIX.iter().find(|(r, _)| *r == rpc).unwrap().1;
        assert_eq!(
            call(&suite.gateway, None, &rpc, streaming).await,
            Code::Unauthenticated,
            "anonymous → {rpc}"
        );
        for ((caller, bearer), gate) in CALLERS.iter().zip(&bearers).zip(row) {
            let code = call(&suite.gateway, Some(bearer.clone()), &rpc, streaming).await;
            match gate {
                Deny => assert_eq!(code, Code::PermissionDenied, "{caller} → {rpc}"),
                Pass => assert!(
                    !matches!(
                        code,
                        Code::PermissionDenied | Code::Unauthenticated | Code::Unimplemented
                    ),
                    "{caller} → {rpc} was refused with {code:?}"
                ),
            }
        }
    }
}

type Client = RegistryServiceClient<InterceptedService<Channel, Bearer>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_naming_a_unit_answer_not_found_out_of_scope() {
    let db = TestDb::sqlite().await;
    let suite = Suite::start(&db, "2021-04-16T01:00:00Z".parse().unwrap()).await;
    let client = |bearer: Bearer| -> Client {
        RegistryServiceClient::with_interceptor(suite.gateway.clone(), bearer)
    };
    let code = wenming_domain::CreditCode::complete("9141042100000077").unwrap();
    let unit = client(suite.office("county", "410421"))
        .create_unit(pb::CreateUnitRequest {
            unit: Some(pb::Unit {
                display_name: "范围测试公司".into(),
                credit_code: code.as_str().into(),
                region_code: "410421".into(),
                kind: pb::UnitKind::PrivateEnterprise as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let own_id = unit.name.trim_start_matches("units/").to_owned();
    let other_id = wenming_domain::UnitId::new().to_string();

    // (caller, in scope?) for reads of the unit and for its reserve-pool membership.
    let callers: Vec<(&str, Bearer, Option<bool>)> = vec![
        ("province", suite.office("province", "410000"), Some(true)),
        ("its city", suite.office("city", "410400"), Some(true)),
        ("another city", suite.office("city", "410100"), Some(false)),
        ("its county", suite.office("county", "410421"), Some(true)),
        (
            "another county",
            suite.office("county", "410422"),
            Some(false),
        ),
        (
            "its own user",
            suite.bearer(&suite.token("unit", None, Some(&own_id), None)),
            Some(true),
        ),
        (
            "another unit's user",
            suite.bearer(&suite.token("unit", None, Some(&other_id), None)),
            Some(false),
        ),
        ("a platform", suite.platform("tax"), None),
    ];
    for (who, bearer, in_scope) in callers {
        let mut c = client(bearer);
        let get = c
            .get_unit(pb::GetUnitRequest {
                name: unit.name.clone(),
            })
            .await;
        let titles = c
            .list_titles(pb::ListTitlesRequest {
                unit: unit.name.clone(),
                ..Default::default()
            })
            .await;
        let verify = c
            .verify_title(pb::VerifyTitleRequest {
                credit_code: code.as_str().into(),
                as_of: String::new(),
                attest: false,
            })
            .await;
        match in_scope {
            Some(true) => {
                assert!(get.is_ok(), "{who}: {get:?}");
                assert!(titles.is_ok(), "{who}: {titles:?}");
                assert!(verify.is_ok(), "{who}: {verify:?}");
            }
            Some(false) => {
                assert_eq!(get.unwrap_err().code(), Code::NotFound, "{who}");
                // A list outside scope is empty, not an error.
                assert!(titles.unwrap().into_inner().titles.is_empty(), "{who}");
                assert_eq!(verify.unwrap_err().code(), Code::NotFound, "{who}");
            }
            None => {
                assert_eq!(get.unwrap_err().code(), Code::PermissionDenied, "{who}");
                assert_eq!(titles.unwrap_err().code(), Code::PermissionDenied, "{who}");
                assert!(verify.is_ok(), "{who}: {verify:?}");
            }
        }
    }

    // Changes: in scope they apply, out of scope they answer NOT_FOUND.
    let pool = |name: &str| pb::AddToReservePoolRequest {
        unit: name.to_owned(),
        reason: "经营规范，党建基础好".into(),
        target_tier: pb::TitleTier::City as i32,
    };
    let err = client(suite.office("county", "410422"))
        .add_to_reserve_pool(pool(&unit.name))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = client(suite.office("city", "410100"))
        .add_to_reserve_pool(pool(&unit.name))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    client(suite.office("city", "410400"))
        .add_to_reserve_pool(pool(&unit.name))
        .await
        .unwrap();
}

type PairingClient = wenming_proto::pairing::v1::pairing_service_client::PairingServiceClient<
    InterceptedService<Channel, Bearer>,
>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_naming_a_pairing_answer_not_found_out_of_scope() {
    use wenming_proto::pairing::v1 as pp;
    let db = TestDb::sqlite().await;
    let suite = Suite::start(&db, "2021-04-16T01:00:00Z".parse().unwrap()).await;
    let registry = |bearer: Bearer| -> Client {
        RegistryServiceClient::with_interceptor(suite.gateway.clone(), bearer)
    };
    let pairing = |bearer: Bearer| -> PairingClient {
        wenming_proto::pairing::v1::pairing_service_client::PairingServiceClient::with_interceptor(
            suite.gateway.clone(),
            bearer,
        )
    };
    let campaign = registry(suite.office("city", "410400"))
        .create_campaign(pb::CreateCampaignRequest {
            campaign: Some(wenming_testkit::fixtures::pingdingshan_campaign_pb()),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .name;
    let unit = registry(suite.office("county", "410421"))
        .create_unit(pb::CreateUnitRequest {
            unit: Some(wenming_testkit::fixtures::company(
                "结对范围测试公司",
                "410421",
                9,
            )),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .name;
    // The county office itself is the helper.
    let created = pairing(suite.office("county", "410421"))
        .create_pairing(pp::CreatePairingRequest {
            pairing: Some(pp::Pairing {
                campaign,
                helper: Some(pp::Helper {
                    kind: pp::HelperKind::CountyOffice as i32,
                    name: "offices/410421".into(),
                    display_name: String::new(),
                }),
                unit: unit.clone(),
                target_tier: wenming_proto::registry::v1::TitleTier::Provincial as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let other_unit = wenming_domain::UnitId::new().to_string();
    let callers: Vec<(&str, Bearer, Option<bool>)> = vec![
        ("province", suite.office("province", "410000"), Some(true)),
        ("its city", suite.office("city", "410400"), Some(true)),
        ("another city", suite.office("city", "410100"), Some(false)),
        ("its county", suite.office("county", "410421"), Some(true)),
        (
            "another county",
            suite.office("county", "410422"),
            Some(false),
        ),
        ("its unit's user", suite.unit_user(&unit), Some(true)),
        (
            "another unit's user",
            suite.unit_user(&other_unit),
            Some(false),
        ),
        ("a platform", suite.platform("tax"), None),
    ];
    for (who, bearer, in_scope) in callers {
        let mut client = pairing(bearer);
        let get = client
            .get_pairing(pp::GetPairingRequest {
                name: created.name.clone(),
            })
            .await;
        let ledger = client
            .list_ledger_entries(pp::ListLedgerEntriesRequest {
                pairing: created.name.clone(),
                ..Default::default()
            })
            .await;
        let listed = client
            .list_pairings(pp::ListPairingsRequest::default())
            .await;
        match in_scope {
            Some(true) => {
                assert!(get.is_ok(), "{who}: {get:?}");
                assert!(ledger.is_ok(), "{who}: {ledger:?}");
                assert_eq!(listed.unwrap().into_inner().pairings.len(), 1, "{who}");
            }
            Some(false) => {
                assert_eq!(get.unwrap_err().code(), Code::NotFound, "{who}");
                assert_eq!(ledger.unwrap_err().code(), Code::NotFound, "{who}");
                assert!(listed.unwrap().into_inner().pairings.is_empty(), "{who}");
            }
            None => {
                assert_eq!(get.unwrap_err().code(), Code::PermissionDenied, "{who}");
                assert_eq!(ledger.unwrap_err().code(), Code::PermissionDenied, "{who}");
                assert_eq!(listed.unwrap_err().code(), Code::PermissionDenied, "{who}");
            }
        }
    }
    // A change out of scope answers NOT_FOUND too.
    let err = pairing(suite.office("county", "410422"))
        .dissolve_pairing(pp::DissolvePairingRequest {
            name: created.name.clone(),
            reason: "越权解除".into(),
            etag: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

/// A planned covert visit, through every supervision call that names it or lists it,
/// for every caller: its planner (the city) and the province reach it; the inspected
/// unit, its helper, the county below the planner and another city get NOT_FOUND (or
/// do not see it listed or in the unit's history).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planned_covert_visit_is_blind_in_every_call_below_its_planner() {
    use wenming_proto::supervision::v1 as sp;
    use wenming_proto::supervision::v1::supervision_service_client::SupervisionServiceClient;
    let db = TestDb::sqlite().await;
    let s = wenming_tests::scene::Scene::start(&db).await;
    let campaign = s.campaign().await;
    let county = s.suite.office("county", "410421");
    let (unit, pairing) = s
        .paired(
            county.clone(),
            county.clone(),
            &campaign,
            "暗访矩阵测试公司",
            "410421",
        )
        .await;
    let helper = pairing.helper.unwrap().name;
    let supervision = |bearer: Bearer| {
        SupervisionServiceClient::with_interceptor(s.suite.gateway.clone(), bearer)
    };
    let covert = supervision(s.pingdingshan())
        .plan_inspection(sp::PlanInspectionRequest {
            inspection: Some(sp::Inspection {
                kind: sp::InspectionKind::CovertVisit as i32,
                target: unit.clone(),
                inspectors: vec!["张督导".into()],
                planned_start: "2021-04-16".into(),
                planned_end: "2021-04-16".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .name;
    let finding = format!("{covert}/findings/1");
    let callers: Vec<(&str, Bearer, bool)> = vec![
        ("province", s.province(), true),
        ("the planning city", s.pingdingshan(), true),
        ("the county below it", county.clone(), false),
        ("another city", s.suite.office("city", "410100"), false),
        ("the unit", s.suite.unit_user(&unit), false),
        ("its helper", s.suite.unit_user(&helper), false),
    ];
    for (who, bearer, sees) in callers {
        let mut client = supervision(bearer.clone());
        let get = client
            .get_inspection(sp::GetInspectionRequest {
                name: covert.clone(),
            })
            .await;
        assert_eq!(get.is_ok(), sees, "{who}: GetInspection");
        if !sees {
            assert_eq!(get.unwrap_err().code(), Code::NotFound, "{who}");
        }
        let listed = client
            .list_inspections(sp::ListInspectionsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .inspections;
        assert_eq!(
            listed.iter().any(|i| i.name == covert),
            sees,
            "{who}: ListInspections"
        );
        // Writes that name it: refused without telling it exists (offices only; the
        // policy refuses units before).
        if !sees && who != "the unit" && who != "its helper" {
            let record = client
                .record_visit(sp::RecordVisitRequest {
                    name: covert.clone(),
                    visit: Some(sp::Visit {
                        visited_on: "2021-04-16".into(),
                        summary: "探测".into(),
                        ..Default::default()
                    }),
                    etag: String::new(),
                })
                .await
                .unwrap_err();
            assert_eq!(record.code(), Code::NotFound, "{who}: RecordVisit");
            let cancel = client
                .cancel_inspection(sp::CancelInspectionRequest {
                    name: covert.clone(),
                    reason: "探测一下".into(),
                    etag: String::new(),
                })
                .await
                .unwrap_err();
            assert_eq!(cancel.code(), Code::NotFound, "{who}: CancelInspection");
            let task = client
                .open_rectification_task(sp::OpenRectificationTaskRequest {
                    task: Some(sp::RectificationTask {
                        finding: finding.clone(),
                        description: "探测整改".into(),
                        responsible_person: "某人".into(),
                        due_date: "2021-05-01".into(),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                })
                .await
                .unwrap_err();
            assert_eq!(task.code(), Code::NotFound, "{who}: OpenRectificationTask");
        }
        if who == "the county below it" {
            let talk = client
                .schedule_admonishment_talk(sp::ScheduleAdmonishmentTalkRequest {
                    talk: Some(sp::AdmonishmentTalk {
                        unit: unit.clone(),
                        head: "王经理".into(),
                        reason: "探测暗访".into(),
                        finding: finding.clone(),
                        scheduled_on: "2021-04-20".into(),
                        place: "宝丰县文明办".into(),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                })
                .await
                .unwrap_err();
            assert_eq!(talk.code(), Code::NotFound, "{who}: a talk on its finding");
        }
        if who == "the unit" || sees {
            let history = client
                .list_unit_history(sp::ListUnitHistoryRequest { unit: unit.clone() })
                .await
                .unwrap()
                .into_inner();
            assert_eq!(
                history.entries.iter().any(|e| e.resource == covert),
                sees,
                "{who}: ListUnitHistory"
            );
        }
    }
}
