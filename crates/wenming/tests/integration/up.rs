//! `wenming up` as a newcomer runs it: a real process on a fresh data dir, answering
//! health and reflection, importing CSV and XLSX through `wenming import`, and stopping
//! cleanly on SIGTERM.

use crate::support;

use support::*;

use std::process::Command;

use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

// Multi-threaded: terminate() blocks this thread while the client side of the
// connection must still answer the server's GOAWAY for the drain to end promptly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_serves_health_reflection_and_imports() {
    let dir = tempfile::tempdir().unwrap();
    let suite = Suite::start(dir.path());
    let channel = tonic::transport::Channel::from_shared(suite.url())
        .unwrap()
        .connect()
        .await
        .unwrap();

    // The image's HEALTHCHECK: `wenming health ADDR` exits 0 while the suite serves,
    // and fails for an address nothing answers on.
    let health = |addr: &str| Command::new(BIN).args(["health", addr]).output().unwrap();
    let out = health(&suite.url());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("serving"));
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nobody = closed.local_addr().unwrap().to_string();
    drop(closed);
    assert!(!health(&nobody).status.success());

    let health = HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: "wenming.gateway.v1.Gateway".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(health.status, 1, "SERVING");

    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let Some(MessageResponse::ListServicesResponse(list)) =
        responses.message().await.unwrap().unwrap().message_response
    else {
        panic!("expected a service list");
    };
    drop(responses);
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(
        names.contains(&"wenming.registry.v1.RegistryService".to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&"wenming.pairing.v1.PairingService".to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&"grpc.health.v1.Health".to_owned()),
        "{names:?}"
    );

    // CSV: two good rows, one duplicate of the first, one with a bad check character.
    let code = |n: u32| {
        wenming_domain::CreditCode::complete(&format!("91410421{n:08}"))
            .unwrap()
            .as_str()
            .to_owned()
    };
    let mut bad = code(3);
    bad.pop();
    bad.push(if code(3).ends_with('0') { '1' } else { '0' });
    let csv_path = dir.path().join("units.csv");
    std::fs::write(
        &csv_path,
        format!(
            "display_name,credit_code,region_code,kind,scale,employees\n\
             宝丰一号公司,{},410421,private_enterprise,small,12\n\
             宝丰二号公司,{},410421,民营企业,medium,80\n\
             重复公司,{},410421,private_enterprise,,\n\
             坏码公司,{bad},410421,private_enterprise,,\n",
            code(1),
            code(2),
            code(1)
        ),
    )
    .unwrap();
    let out = import_units(&suite, &csv_path, "410421", dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("imported: 2 created, 1 duplicate, 1 invalid"),
        "{stdout}"
    );
    assert!(stdout.contains("row 4: duplicate"), "{stdout}");
    assert!(
        stdout.contains("row 5: invalid: unit.credit_code"),
        "{stdout}"
    );

    // The county's progress report, written by `wenming export progress`.
    let report = dir.path().join("progress.xlsx");
    let out = wenming(
        &[
            "export",
            "progress",
            report.to_str().unwrap(),
            "--addr",
            &suite.url(),
            "--region",
            "410421",
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&report).unwrap();
    use calamine::Reader as _;
    let sheet = book.worksheet_range("县级").unwrap();
    let baofeng = sheet
        .rows()
        .find(|r| r[0] == calamine::Data::String("410421".into()))
        .expect("宝丰县's row");
    assert_eq!(
        baofeng[2],
        calamine::Data::Float(2.0),
        "the two units imported"
    );

    // XLSX: numbers typed as numbers, headers in another order.
    let xlsx_path = dir.path().join("units.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (col, header) in [
        "kind",
        "credit_code",
        "display_name",
        "region_code",
        "employees",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, col as u16, *header).unwrap();
    }
    sheet.write_string(1, 0, "social_organisation").unwrap();
    sheet.write_string(1, 1, code(10)).unwrap();
    sheet.write_string(1, 2, "宝丰县企业家协会").unwrap();
    sheet.write_number(1, 3, 410421.0).unwrap();
    sheet.write_number(1, 4, 35.0).unwrap();
    book.save(&xlsx_path).unwrap();
    let out = import_units(&suite, &xlsx_path, "410421", dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("imported: 1 created, 0 duplicate, 0 invalid"),
        "{stdout}"
    );

    // An office outside the region gets every row refused, naming the rule.
    let out = import_units(&suite, &csv_path, "410422", dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("outside the region of your office"),
        "{stdout}"
    );

    // The province's allocation table, named by its period; a bad one is refused cell by
    // cell, and a file without a period in its name before anything is sent.
    let annex = include_str!("../../../../services/quota/data/annex-2021-2023.tsv");
    let import_quota = |name: &str, content: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        wenming(
            &[
                "import",
                "quota",
                path.to_str().unwrap(),
                "--addr",
                &suite.url(),
                "--region",
                "410000",
            ],
            dir.path(),
        )
    };
    let out = import_quota("2021-2023年度指标分配表.tsv", annex);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("imported allocationTables/2021-2023/versions/1 as a draft"),
        "{stdout}"
    );
    assert!(
        stdout.contains("河南省文明单位标兵（个） declares 128, its rows sum to 124"),
        "{stdout}"
    );
    let out = import_quota(
        "2021-2023-bad.tsv",
        &annex.replace("郑 州 市\t12", "郑 州 市\t十二"),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("row 3 (郑 州 市), column 2"), "{stderr}");
    let out = import_quota("指标分配表.tsv", annex);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("name the period in the file's name"),
        "{stderr}"
    );

    assert!(suite.terminate(), "clean exit on SIGTERM");
    // The data stays for the next start.
    let again = Suite::start(dir.path());
    assert!(again.terminate());

    // Every service's audit trail still chains after the imports and two starts.
    let out = wenming(&["audit", "verify"], dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    for service in ["registry", "pairing", "quota", "supervision"] {
        assert!(
            stdout.contains(&format!("{service}: ")) && !stdout.contains("BROKEN"),
            "{stdout}"
        );
    }
    assert!(!stdout.contains("registry: 0 audit records"), "{stdout}");
}

#[test]
fn migrate_without_a_database_says_what_to_set() {
    let out = Command::new(BIN)
        .arg("migrate")
        .env_remove("WENMING_REGISTRY__DATABASE__URL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("WENMING_REGISTRY__DATABASE__URL"));
}

/// `wenming migrate` then `wenming serve registry`, configured only by environment
/// variables, on SQLite and (when configured) PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_registry_from_environment() {
    let dir = tempfile::tempdir().unwrap();
    let mut urls = vec![format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("registry.db").display()
    )];
    let pg = wenming_testkit::TestDb::postgres().await;
    if let Some(pg) = &pg {
        urls.push(pg.settings.url.clone());
    }
    let key = wenming_authz::IdentityKey::generate().to_base64();
    for url in urls {
        let env = [
            ("WENMING_REGISTRY__DATABASE__URL", url.as_str()),
            ("WENMING_REGISTRY__DATABASE__MIGRATE_ON_START", "false"),
            ("WENMING_REGISTRY__LISTEN", "127.0.0.1:0"),
            ("WENMING_IDENTITY__KEY", key.as_str()),
        ];
        let migrated = Command::new(BIN).arg("migrate").envs(env).output().unwrap();
        assert!(
            migrated.status.success(),
            "{}",
            String::from_utf8_lossy(&migrated.stderr)
        );
        let mut command = Command::new(BIN);
        command.args(["serve", "registry"]).envs(env);
        let suite = Suite::spawn(command);
        let channel = tonic::transport::Channel::from_shared(suite.url())
            .unwrap()
            .connect()
            .await
            .unwrap();
        let status = HealthClient::new(channel)
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, 1);
        assert!(suite.terminate());
    }
    if let Some(pg) = pg {
        pg.cleanup().await;
    }
}

/// `wenming token` signs with the data dir's development key, and the gateway's
/// authenticator accepts what it signs with the JWKS beside it.
#[test]
fn token_is_signed_with_the_dev_key() {
    let dir = tempfile::tempdir().unwrap();
    let token = cli_token(
        &["--level", "county", "--region", "410421", "--ttl", "60"],
        dir.path(),
    );
    let keys = wenming_gateway::TrustedKeys::from_file(
        &dir.path().join(wenming_gateway::dev_key::JWKS_FILE),
    )
    .unwrap();
    let settings = wenming_gateway::AuthnSettings {
        issuer: wenming_gateway::dev_key::DEV_ISSUER.into(),
        audience: wenming_gateway::dev_key::DEV_AUDIENCE.into(),
        ..Default::default()
    };
    let auth = wenming_gateway::Authenticator::new(settings, keys).unwrap();
    let principal = auth
        .authenticate(Some(&format!("Bearer {}", token.trim())))
        .unwrap();
    assert_eq!(principal.subject, "dev-county-410421");
    // A county token without a region is refused by the command itself.
    let out = wenming(&["token", "--level", "county"], dir.path());
    assert!(!out.status.success());
    // A platform's grants are named on the command line.
    let portal = cli_token(
        &[
            "--level",
            "platform",
            "--platform",
            "henan-portal",
            "--grant",
            "submit_application",
        ],
        dir.path(),
    );
    let principal = auth
        .authenticate(Some(&format!("Bearer {}", portal.trim())))
        .unwrap();
    assert_eq!(
        principal.role,
        wenming_authz::Role::Platform {
            name: "henan-portal".into(),
            actions: vec![wenming_authz::PlatformAction::SubmitApplication],
        }
    );
    let out = wenming(
        &[
            "token",
            "--level",
            "platform",
            "--platform",
            "p",
            "--grant",
            "all",
        ],
        dir.path(),
    );
    assert!(!out.status.success());
}

/// `wenming serve gateway` in front of `wenming serve registry`, configured by
/// environment variables, trusting a JWKS file; a token signed with that key passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_gateway_in_front_of_a_registry() {
    let dir = tempfile::tempdir().unwrap();
    let key = wenming_authz::IdentityKey::generate().to_base64();
    let db = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("registry.db").display()
    );
    let registry = Suite::spawn(serve_registry(&db, &key));

    // The "identity platform": the development key of a data dir stands in for it.
    let token = cli_token(&["--level", "county", "--region", "410421"], dir.path());
    let gateway = Suite::spawn(serve_gateway(dir.path(), &key, &registry.url()));
    let mut client = bearer_client(&gateway.addr, &token).await;
    let listed = client
        .list_units(wenming_proto::registry::v1::ListUnitsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(listed.units.is_empty());
    assert!(gateway.terminate());
    assert!(registry.terminate());
}

/// `serve pairing` on its own database, calling `serve registry`, both behind `serve
/// gateway`: a pairing call crosses all three processes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_pairing_beside_the_registry_behind_the_gateway() {
    let dir = tempfile::tempdir().unwrap();
    let key = wenming_authz::IdentityKey::generate().to_base64();
    let url = |service: &str| {
        format!(
            "sqlite://{}?mode=rwc",
            dir.path().join(format!("{service}.db")).display()
        )
    };
    let (registry_db, pairing_db) = (url("registry"), url("pairing"));
    let mut command = Command::new(BIN);
    command.args(["serve", "registry"]).envs([
        ("WENMING_REGISTRY__DATABASE__URL", registry_db.as_str()),
        ("WENMING_REGISTRY__LISTEN", "127.0.0.1:0"),
        ("WENMING_IDENTITY__KEY", key.as_str()),
    ]);
    let registry = Suite::spawn(command);
    let registry_url = registry.url();
    let mut command = Command::new(BIN);
    command.args(["serve", "pairing"]).envs([
        ("WENMING_PAIRING__DATABASE__URL", pairing_db.as_str()),
        ("WENMING_PAIRING__LISTEN", "127.0.0.1:0"),
        ("WENMING_PAIRING__REGISTRY_URL", registry_url.as_str()),
        ("WENMING_IDENTITY__KEY", key.as_str()),
    ]);
    let pairing = Suite::spawn(command);
    let pairing_url = pairing.url();

    let token = cli_token(&["--level", "city", "--region", "410400"], dir.path());
    let jwks = dir.path().join("dev-jwks.json");
    let mut command = Command::new(BIN);
    command.args(["serve", "gateway"]).envs([
        ("WENMING_IDENTITY__KEY", key.as_str()),
        ("WENMING_GATEWAY__LISTEN", "127.0.0.1:0"),
        ("WENMING_GATEWAY__AUTHN__ISSUER", "wenming-dev"),
        ("WENMING_GATEWAY__AUTHN__AUDIENCE", "wenming"),
        ("WENMING_GATEWAY__AUTHN__JWKS_FILE", jwks.to_str().unwrap()),
        ("WENMING_GATEWAY__REGISTRY_URL", registry_url.as_str()),
        ("WENMING_GATEWAY__PAIRING_URL", pairing_url.as_str()),
    ]);
    let gateway = Suite::spawn(command);
    let (channel, auth) = authorized(&gateway.url(), &token).await;
    let mut client =
        wenming_proto::pairing::v1::pairing_service_client::PairingServiceClient::with_interceptor(
            channel, auth,
        );
    let listed = client
        .list_pairings(wenming_proto::pairing::v1::ListPairingsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(listed.pairings.is_empty());
    // The pairing service asks the registry, with the caller's identity, about a
    // campaign the registry does not have: NOT_FOUND comes back through all three.
    let campaign = wenming_domain::CampaignId::new();
    let err = client
        .get_pairing_list(wenming_proto::pairing::v1::GetPairingListRequest {
            name: format!("campaigns/{campaign}/pairingLists/410400"),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound, "{err:?}");
    assert!(gateway.terminate());
    assert!(pairing.terminate());
    assert!(registry.terminate());
}

/// `serve gateway` trusting the identity platform's JWKS URL instead of a file; a URL
/// that does not answer stops the start with the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_gateway_with_a_jwks_url() {
    let dir = tempfile::tempdir().unwrap();
    let key = wenming_authz::IdentityKey::generate().to_base64();
    let db = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("registry.db").display()
    );
    let mut command = Command::new(BIN);
    command.args(["serve", "registry"]).envs([
        ("WENMING_REGISTRY__DATABASE__URL", db.as_str()),
        ("WENMING_REGISTRY__LISTEN", "127.0.0.1:0"),
        ("WENMING_IDENTITY__KEY", key.as_str()),
    ]);
    let registry = Suite::spawn(command);
    // The "identity platform" publishes the development key's JWKS.
    let token = cli_token(&["--level", "county", "--region", "410421"], dir.path());
    let jwks = std::fs::read_to_string(dir.path().join("dev-jwks.json")).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let jwks_url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/jwks.json",
        axum::routing::get(move || {
            let jwks = jwks.clone();
            async move { jwks }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });

    let registry_url = registry.url();
    let gateway_env = |url: &str| {
        [
            ("WENMING_IDENTITY__KEY", key.clone()),
            ("WENMING_GATEWAY__LISTEN", "127.0.0.1:0".to_owned()),
            ("WENMING_GATEWAY__AUTHN__ISSUER", "wenming-dev".to_owned()),
            ("WENMING_GATEWAY__AUTHN__AUDIENCE", "wenming".to_owned()),
            ("WENMING_GATEWAY__AUTHN__JWKS_URL", url.to_owned()),
            ("WENMING_GATEWAY__REGISTRY_URL", registry_url.clone()),
        ]
    };
    let mut command = Command::new(BIN);
    command
        .args(["serve", "gateway"])
        .envs(gateway_env(&jwks_url));
    let gateway = Suite::spawn(command);
    let mut client = bearer_client(&gateway.addr, &token).await;
    client
        .list_units(wenming_proto::registry::v1::ListUnitsRequest::default())
        .await
        .unwrap();
    assert!(gateway.terminate());

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}/jwks.json", closed.local_addr().unwrap());
    drop(closed);
    let out = Command::new(BIN)
        .args(["serve", "gateway"])
        .envs(gateway_env(&nowhere))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("JWKS URL"), "{stderr}");
    assert!(registry.terminate());
}

/// A TOML file configures `migrate`; an environment variable overrides the file.
#[test]
fn a_config_file_is_read_and_the_environment_overrides_it() {
    let dir = tempfile::tempdir().unwrap();
    let from_file = dir.path().join("from-file.db");
    let from_env = dir.path().join("from-env.db");
    let config = dir.path().join("wenming.toml");
    std::fs::write(
        &config,
        format!(
            "[registry.database]\nurl = \"sqlite://{}?mode=rwc\"\n",
            from_file.display()
        ),
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["migrate", "--config"])
        .arg(&config)
        .env_remove("WENMING_REGISTRY__DATABASE__URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(from_file.exists());
    let url = format!("sqlite://{}?mode=rwc", from_env.display());
    let out = Command::new(BIN)
        .args(["migrate", "--config"])
        .arg(&config)
        .env("WENMING_REGISTRY__DATABASE__URL", &url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(from_env.exists());
    // A bad value names its key.
    std::fs::write(&config, "[server]\nrequest_timeout_secs = \"soon\"\n").unwrap();
    let out = Command::new(BIN)
        .args(["migrate", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("request_timeout_secs"));
}

/// `wenming up --demo` loads the seed's 2021 Pingdingshan campaign and units, visible to
/// the Pingdingshan city office through the gateway; loading twice adds nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_data_is_loaded_once() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let mut command = Command::new(BIN);
        command
            .args(["up", "--demo", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path());
        let suite = Suite::spawn(command);
        let token = cli_token(&["--level", "city", "--region", "410400"], dir.path());
        let mut city = bearer_client(&suite.addr, &token).await;
        let campaigns = city
            .list_campaigns(wenming_proto::registry::v1::ListCampaignsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .campaigns;
        // The province's campaign and the city's own, which belongs to it.
        assert_eq!(campaigns.len(), 2);
        let henan = campaigns
            .iter()
            .find(|c| c.document_number == "豫文明办〔2021〕5号")
            .unwrap();
        let own = campaigns
            .iter()
            .find(|c| c.document_number == "平文明办〔2021〕11号")
            .unwrap();
        assert_eq!(own.nomination_deadline, "2021-04-20");
        assert_eq!(own.parent_campaign, henan.name);
        assert_eq!(own.pairing_list_deadline, "2021-05-01");
        let units = city
            .list_units(wenming_proto::registry::v1::ListUnitsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .units;
        assert_eq!(
            units.len(),
            6,
            "five companies and a national civilised unit"
        );
        let direct_token = cli_token(&["--level", "provincial-direct"], dir.path());
        let direct_units = bearer_client(&suite.addr, &direct_token)
            .await
            .list_units(wenming_proto::registry::v1::ListUnitsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .units;
        assert_eq!(direct_units.len(), 3, "three provincial-direct enterprises");
        assert!(direct_units.iter().all(|u| u.provincial_direct));
        let (channel, auth) = authorized(&suite.url(), &token).await;
        let pairings =
            wenming_proto::pairing::v1::pairing_service_client::PairingServiceClient::with_interceptor(
                channel, auth,
            )
            .list_pairings(wenming_proto::pairing::v1::ListPairingsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .pairings;
        assert_eq!(pairings.len(), 1);
        assert_eq!(
            pairings[0].helper.as_ref().unwrap().display_name,
            "平顶山市第一人民医院"
        );
        // The annex in force as it is, and the paired company designated.
        let (channel, auth) = authorized(&suite.url(), &token).await;
        let mut quota =
            wenming_proto::quota::v1::quota_service_client::QuotaServiceClient::with_interceptor(
                channel, auth,
            );
        let fulfilment = quota
            .get_fulfilment(wenming_proto::quota::v1::GetFulfilmentRequest {
                table: "allocationTables/2021-2023".into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(fulfilment.version, 1, "loading twice makes no new version");
        let designated: Vec<(i32, i32)> = fulfilment.holders[0]
            .tiers
            .iter()
            .map(|t| (t.quota, t.designated))
            .collect();
        assert_eq!(designated, [(8, 0), (32, 1)]);
        // The roving inspection of 宝丰县, recorded, and its task overdue in the city's
        // queue.
        let (channel, auth) = authorized(&suite.url(), &token).await;
        let mut supervision =
            wenming_proto::supervision::v1::supervision_service_client::SupervisionServiceClient::with_interceptor(
                channel, auth,
            );
        let inspections = supervision
            .list_inspections(wenming_proto::supervision::v1::ListInspectionsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .inspections;
        assert_eq!(inspections.len(), 1, "loading twice plans nothing new");
        assert_eq!(inspections[0].target_display_name, "宝丰县");
        assert_eq!(inspections[0].visit.as_ref().unwrap().findings.len(), 1);
        let queue = supervision
            .list_rectification_tasks(
                wenming_proto::supervision::v1::ListRectificationTasksRequest {
                    escalated: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .into_inner()
            .tasks;
        assert_eq!(queue.len(), 1);
        assert_eq!(queue[0].days_overdue, 10);
        assert!(suite.terminate());
    }
}

/// Refused calls are kept in `DIR/denials.jsonl`: who tried what, when, and why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_kept_in_the_denial_log() {
    let dir = tempfile::tempdir().unwrap();
    let suite = Suite::start(dir.path());
    let token = cli_token(&["--level", "county", "--region", "410421"], dir.path());
    let mut county = bearer_client(&suite.addr, &token).await;
    let denied = county
        .award_title(wenming_proto::registry::v1::AwardTitleRequest::default())
        .await
        .unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    let channel = tonic::transport::Channel::from_shared(suite.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut anonymous =
        wenming_proto::registry::v1::registry_service_client::RegistryServiceClient::new(channel);
    anonymous
        .list_units(wenming_proto::registry::v1::ListUnitsRequest::default())
        .await
        .unwrap_err();
    assert!(suite.terminate());

    let log = std::fs::read_to_string(dir.path().join("denials.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let policy = lines
        .iter()
        .find(|l| l["fields"]["rpc"] == "wenming.registry.v1.RegistryService/AwardTitle")
        .expect("the policy refusal is kept");
    assert_eq!(policy["fields"]["subject"], "dev-county-410421");
    assert!(policy["timestamp"].is_string());
    assert!(
        policy["fields"]["peer"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );
    let unauthenticated = lines
        .iter()
        .find(|l| l["fields"]["rpc"] == "wenming.registry.v1.RegistryService/ListUnits")
        .expect("the unauthenticated attempt is kept");
    assert_eq!(unauthenticated["fields"]["reason"], "no bearer token");
}

/// An OTLP collector that keeps the service names and span names it is sent.
#[derive(Clone, Default)]
struct Collector(std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>);

#[tonic::async_trait]
impl opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::TraceService
    for Collector
{
    async fn export(
        &self,
        request: tonic::Request<
            opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest,
        >,
    ) -> Result<
        tonic::Response<
            opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse,
        >,
        tonic::Status,
    > {
        let mut seen = self.0.lock().unwrap();
        for resource_spans in request.into_inner().resource_spans {
            let service = resource_spans
                .resource
                .iter()
                .flat_map(|r| &r.attributes)
                .find(|kv| kv.key == "service.name")
                .and_then(|kv| kv.value.as_ref())
                .map(|v| format!("{:?}", v.value))
                .unwrap_or_default();
            for scope in resource_spans.scope_spans {
                for span in scope.spans {
                    seen.push((service.clone(), span.name));
                }
            }
        }
        Ok(tonic::Response::new(Default::default()))
    }
}

/// With OTEL_EXPORTER_OTLP_ENDPOINT set, `wenming up` exports its spans over OTLP/gRPC
/// (flushed at the latest when it stops).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_are_exported_over_otlp_when_configured() {
    let collector = Collector::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let server = collector.clone();
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(
                opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::TraceServiceServer::new(server),
            )
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
            .await
    });
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(BIN);
    command
        .args(["up", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)
        .env("OTEL_SERVICE_NAME", "wenming-test");
    let suite = Suite::spawn(command);
    let token = cli_token(&["--level", "county", "--region", "410421"], dir.path());
    let mut client = bearer_client(&suite.addr, &token).await;
    client
        .list_units(wenming_proto::registry::v1::ListUnitsRequest::default())
        .await
        .unwrap();
    assert!(suite.terminate());
    let seen = collector.0.lock().unwrap().clone();
    assert!(
        seen.iter()
            .any(|(service, span)| service.contains("wenming-test") && span == "rpc"),
        "{seen:?}"
    );
}

/// JSON log lines carry the trace and span id of the call they belong to, and
/// `--metrics-listen` serves the suite's metrics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_name_the_trace_and_metrics_are_served() {
    const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stderr.jsonl");
    let mut command = Command::new(BIN);
    command
        .args([
            "up",
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "127.0.0.1:0",
        ])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .env("WENMING_LOG_FORMAT", "json")
        .env("RUST_LOG", "info");
    let suite = Suite::spawn_logging_to(command, std::fs::File::create(&log).unwrap().into());

    // A call without a token, continuing the caller's trace: refused and logged.
    let channel = tonic::transport::Endpoint::from_shared(suite.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut request = tonic::Request::new(wenming_proto::registry::v1::VerifyTitleRequest {
        credit_code: "91410400MA0000000X".into(),
        as_of: String::new(),
        attest: false,
    });
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{TRACE}-00f067aa0ba902b7-01").parse().unwrap(),
    );
    let refused =
        wenming_proto::registry::v1::registry_service_client::RegistryServiceClient::new(channel)
            .verify_title(request)
            .await
            .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);

    let _ = rustls::crypto::ring::default_provider().install_default();
    let metrics_url = suite.metrics_url();
    let text = reqwest::get(&metrics_url)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("rpc_server_call_duration_seconds_count{")
                && l.contains("server=\"gateway\"")
                && l.contains("rpc_method=\"VerifyTitle\"")
                && l.contains("rpc_grpc_status_code=\"16\"")),
        "{text}"
    );
    assert!(suite.terminate());

    let lines = std::fs::read_to_string(&log).unwrap();
    let refusal: serde_json::Value = lines
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["fields"]["message"] == "unauthenticated call refused")
        .unwrap_or_else(|| panic!("no refusal logged: {lines}"));
    assert_eq!(refusal["trace_id"], TRACE, "{refusal}");
    assert_eq!(
        refusal["span_id"].as_str().map(str::len),
        Some(16),
        "{refusal}"
    );
}

/// A file of more rows than one ImportUnits call takes from `wenming import` (10,000) is
/// imported in several calls (the registry here takes no more than that in one), and a
/// row repeating one of an earlier call is still a duplicate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_file_is_imported_in_several_calls() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(BIN);
    command
        .args(["up", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("WENMING_REGISTRY__IMPORT_MAX_ROWS", "10000");
    let suite = Suite::spawn(command);
    let code = |n: u32| {
        wenming_domain::CreditCode::complete(&format!("91410421{n:08}"))
            .unwrap()
            .as_str()
            .to_owned()
    };
    let mut csv = String::from("display_name,credit_code,region_code,kind\n");
    for n in 1..=10_049 {
        csv.push_str(&format!(
            "宝丰批量{n}公司,{},410421,private_enterprise\n",
            code(n)
        ));
    }
    // Row 10,051, in the second call, repeats row 2 of the first.
    csv.push_str(&format!("重复公司,{},410421,private_enterprise\n", code(1)));
    let csv_path = dir.path().join("many.csv");
    std::fs::write(&csv_path, csv).unwrap();
    let out = import_units(&suite, &csv_path, "410421", dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("imported: 10049 created, 1 duplicate, 0 invalid"),
        "{stdout}"
    );
    assert!(stdout.contains("row 10051: duplicate"), "{stdout}");
    assert!(suite.terminate());
}

/// `wenming import units FILE` through `suite`'s gateway as the office of `region`.
fn import_units(
    suite: &Suite,
    file: &std::path::Path,
    region: &str,
    data_dir: &std::path::Path,
) -> std::process::Output {
    wenming(
        &[
            "import",
            "units",
            file.to_str().unwrap(),
            "--addr",
            &suite.url(),
            "--region",
            region,
        ],
        data_dir,
    )
}
