//! The tables every service shares (request ids, audit records): migrated once from
//! `crates/runtime/migrations`, request ids purged after their retention, and databases
//! made before the tables moved accepted as they are.

use wenming_runtime::idempotency::{RETENTION, claim, purge};
use wenming_testkit::{TestDb, db_test};

db_test!(request_ids_are_purged_after_their_retention, purge_body);
async fn purge_body(test_db: &TestDb) {
    let db = test_db.open(&wenming_registry::MIGRATIONS).await;
    let now: i64 = 1_700_000_000_000;
    let retention = i64::try_from(RETENTION.as_millis()).unwrap();
    let mut conn = db.pool().acquire().await.unwrap();
    for (id, at) in [("old", now - retention - 1), ("young", now - retention + 1)] {
        claim(&mut conn, "office-410421", id, "CreateUnit", "units/x", at)
            .await
            .unwrap();
    }
    drop(conn);
    assert_eq!(purge(db.pool(), now - retention).await.unwrap(), 1);
    let left: Vec<(String,)> = sqlx::query_as("SELECT request_id FROM request_ids")
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(left, [("young".to_owned(),)]);
    // A purged id may be used again; the kept one still answers the first result.
    let mut conn = db.pool().acquire().await.unwrap();
    let again = claim(
        &mut conn,
        "office-410421",
        "old",
        "CreateUnit",
        "units/y",
        now,
    )
    .await
    .unwrap();
    assert_eq!(again, None);
    let retry = claim(
        &mut conn,
        "office-410421",
        "young",
        "CreateUnit",
        "units/z",
        now,
    )
    .await
    .unwrap();
    assert_eq!(retry.as_deref(), Some("units/x"));
}

db_test!(
    a_database_migrated_before_the_move_is_accepted,
    reissued_body
);
async fn reissued_body(test_db: &TestDb) {
    let db = test_db.open(&wenming_registry::MIGRATIONS).await;
    let checksum = |db: wenming_runtime::db::Database| async move {
        let (sum,): (Vec<u8>,) =
            sqlx::query_as("SELECT checksum FROM _sqlx_migrations WHERE version = 1")
                .fetch_one(db.pool())
                .await
                .unwrap();
        sum
    };
    let current = checksum(db.clone()).await;
    // As a database migrated by the earlier 0001 (which held the shared tables) reads.
    let legacy = base64_decode(wenming_registry::MIGRATIONS.reissued[0].old_checksum);
    sqlx::query("UPDATE _sqlx_migrations SET checksum = $1 WHERE version = 1")
        .bind(legacy)
        .execute(db.pool())
        .await
        .unwrap();
    db.migrate(&wenming_registry::MIGRATIONS)
        .await
        .expect("an earlier database starts");
    assert_eq!(checksum(db.clone()).await, current);

    // Any other change to an applied migration is still refused.
    sqlx::query("UPDATE _sqlx_migrations SET checksum = $1 WHERE version = 1")
        .bind(vec![0_u8; 48])
        .execute(db.pool())
        .await
        .unwrap();
    let err = db.migrate(&wenming_registry::MIGRATIONS).await.unwrap_err();
    assert!(err.to_string().contains("modified"), "{err}");
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}
