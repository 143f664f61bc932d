//! Signed title attestations (R12): VerifyTitle with `attest` answers a compact JWS that
//! checks offline against the key set GetAttestationKeys publishes, across a key
//! rotation; a registry without a key refuses to attest. Real gRPC, both databases.

use crate::support;

use support::*;
use tonic::Code;
use wenming_proto::registry::v1 as pb;
use wenming_registry::attestation;
use wenming_testkit::{TestDb, db_test};

/// The key set as a platform saves it: the JSON of the answer (a JWKS).
fn saved(set: &pb::AttestationKeySet) -> String {
    serde_json::json!({ "keys": set.keys.iter().map(|k| serde_json::json!({
        "kty": k.kty, "crv": k.crv, "x": k.x, "kid": k.kid, "alg": k.alg, "use": k.r#use
    })).collect::<Vec<_>>() })
    .to_string()
}

async fn keys(app: &App) -> pb::AttestationKeySet {
    app.platform()
        .get_attestation_keys(pb::GetAttestationKeysRequest {})
        .await
        .unwrap()
        .into_inner()
}

async fn titled_unit(app: &App) -> pb::Unit {
    let unit = create(
        &mut app.county("410421"),
        company("宝丰企业6000", "410421", 6000),
    )
    .await;
    app.province()
        .award_title(award(&unit, pb::TitleTier::Provincial, "2021-01-10", ""))
        .await
        .unwrap();
    unit
}

async fn attested(app: &App, unit: &pb::Unit) -> pb::VerifyTitleResponse {
    app.platform()
        .verify_title(pb::VerifyTitleRequest {
            credit_code: unit.credit_code.clone(),
            as_of: "2021-04-15".into(),
            attest: true,
        })
        .await
        .unwrap()
        .into_inner()
}

db_test!(
    an_attestation_checks_offline_and_says_what_verify_title_answered,
    attest_body
);
async fn attest_body(db: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_registry_in(db, dir.path()).await;
    let unit = titled_unit(&app).await;
    let answer = attested(&app, &unit).await;
    assert_eq!(answer.titles.len(), 1);
    let set = keys(&app).await;
    assert_eq!(set.keys.len(), 1);
    assert_eq!(
        (set.keys[0].kty.as_str(), set.keys[0].crv.as_str()),
        ("OKP", "Ed25519")
    );

    let claims = attestation::verify(
        &answer.attestation,
        &attestation::parse_key_set(&saved(&set)).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.sub, unit.credit_code);
    assert_eq!(claims.as_of, "2021-04-15");
    assert_eq!(claims.unit_name, "宝丰企业6000");
    assert_eq!(claims.unit_state, "UNIT_STATE_ACTIVE");
    assert_eq!(
        claims.iat,
        wenming_domain::Clock::now(app.clock.as_ref()).as_second()
    );
    assert_eq!(claims.titles.len(), 1);
    assert_eq!(claims.titles[0].tier, "TITLE_TIER_PROVINCIAL");
    assert_eq!(claims.titles[0].awarded_on, "2021-01-10");
    assert_eq!(claims.titles[0].valid_until, answer.titles[0].valid_until);
    assert_eq!(claims.titles[0].awarding_office_name, "河南省文明办");

    // Without `attest` there is none; a cached answer is attested afresh.
    let plain = app
        .platform()
        .verify_title(verify(&unit, "2021-04-15"))
        .await
        .unwrap()
        .into_inner();
    assert!(plain.attestation.is_empty());
    let again = attested(&app, &unit).await;
    assert_ne!(again.attestation, answer.attestation);
}

db_test!(
    attestations_signed_before_a_key_rotation_still_check_after_it,
    rotation_body
);
async fn rotation_body(db: &TestDb) {
    // Before: the registry signs with the old key.
    let old_dir = tempfile::tempdir().unwrap();
    let app = spawn_registry_in(db, old_dir.path()).await;
    let unit = titled_unit(&app).await;
    let before = attested(&app, &unit).await.attestation;
    let old_set = keys(&app).await;
    drop(app);

    // After: a new signing key, the old one published beside it.
    let new_dir = tempfile::tempdir().unwrap();
    let published = new_dir.path().join("published.json");
    std::fs::write(&published, saved(&old_set)).unwrap();
    let new_key = new_dir.path().join("next.pem");
    wenming_authz::SigningKey::create(&new_key, attestation::KID_PREFIX).unwrap();
    let config = wenming_runtime::config::Figment::from(figment::providers::Serialized::default(
        "registry.attestation",
        serde_json::json!({ "key_file": new_key, "published_jwks_file": published,
                            "issuer": "https://wenming.example.gov.cn" }),
    ));
    let app = spawn_registry_options(
        db,
        wenming_testkit::services::Options {
            config,
            ..Default::default()
        },
    )
    .await;
    let unit = titled_unit(&app).await;
    let after = attested(&app, &unit).await.attestation;
    let set = attestation::parse_key_set(&saved(&keys(&app).await)).unwrap();
    assert_eq!(set.keys.len(), 2, "the signing key and the retired one");

    let old_claims = attestation::verify(&before, &set).unwrap();
    assert_eq!(old_claims.iss, attestation::DEFAULT_ISSUER);
    let new_claims = attestation::verify(&after, &set).unwrap();
    assert_eq!(new_claims.iss, "https://wenming.example.gov.cn");
    // The old set alone does not know the new key.
    let old_only = attestation::parse_key_set(&saved(&old_set)).unwrap();
    assert!(matches!(
        attestation::verify(&after, &old_only),
        Err(attestation::VerifyError::UnknownKey(_))
    ));
}

db_test!(
    a_registry_without_a_key_refuses_to_attest_and_still_verifies,
    no_key_body
);
async fn no_key_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let unit = titled_unit(&app).await;
    let err = app
        .platform()
        .verify_title(pb::VerifyTitleRequest {
            credit_code: unit.credit_code.clone(),
            as_of: String::new(),
            attest: true,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    assert_eq!(precondition_types(&err), vec!["attestation_key".to_owned()]);
    assert!(zh_cn(&err).contains("签名"), "{err:?}");
    assert!(keys(&app).await.keys.is_empty());
    app.platform()
        .verify_title(verify(&unit, ""))
        .await
        .unwrap();
}
