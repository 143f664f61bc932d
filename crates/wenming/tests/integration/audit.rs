//! `wenming audit verify --config FILE` on SQLite and PostgreSQL: intact chains pass,
//! an edited record fails the check and is named.

use std::process::Command;

use wenming_domain::FixedClock;
use wenming_testkit::{TestDb, db_test};

const BIN: &str = env!("CARGO_BIN_EXE_wenming");

db_test!(audit_verify_names_an_edited_record, edited);
async fn edited(test_db: &TestDb) {
    let db = test_db.open(&wenming_registry::MIGRATIONS).await;
    let clock = FixedClock::new("2021-04-16T01:00:00Z".parse().unwrap());
    for n in 0..3 {
        let mut tx = db.write_as_service("office:410421", &clock).await.unwrap();
        let resource = format!("units/u{n}");
        tx.audit("CreateUnit", &resource, None::<&()>, Some(&n))
            .unwrap();
        tx.commit().await.unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("registry.toml");
    std::fs::write(
        &config,
        format!(
            "[registry.database]\nurl = \"{}\"\nmigrate_on_start = false\n",
            test_db.settings.url
        ),
    )
    .unwrap();
    let verify = || {
        Command::new(BIN)
            .args(["audit", "verify", "--config"])
            .arg(&config)
            .env_remove("WENMING_CONFIG")
            .output()
            .unwrap()
    };

    let out = verify();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("registry: 3 audit records, chains intact"),
        "{stdout}"
    );

    let (id,): (String,) = sqlx_query_one(
        &db,
        "SELECT id FROM audit_records WHERE resource = 'units/u1'",
    )
    .await;
    sqlx::query("UPDATE audit_records SET subject = 'office:410000' WHERE id = $1")
        .bind(id.clone())
        .execute(db.pool())
        .await
        .unwrap();
    let out = verify();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains(&format!("BROKEN at record {id}")),
        "{stdout}"
    );
    assert!(stdout.contains("edited"), "{stdout}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("audit trail broken in registry"),
        "the exit message names the service"
    );
}

async fn sqlx_query_one(db: &wenming_runtime::db::Database, sql: &'static str) -> (String,) {
    sqlx::query_as(sql).fetch_one(db.pool()).await.unwrap()
}
