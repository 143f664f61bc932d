//! `wenming backup` of a running `wenming up` while writes go on: the copy starts as a
//! suite of its own, holds every create answered before the backup began, its audit
//! chains verify, and the original's tokens work against it (its keys were copied).

use crate::support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use support::*;
use wenming_proto::registry::v1 as pb;
use wenming_testkit::fixtures::company;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_online_backup_restores_to_a_working_suite() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let suite = Suite::start(&data);
    let token = cli_token(&["--level", "county", "--region", "410421"], &data);
    let mut client = bearer_client(&suite.addr, &token).await;
    let create = |n: u32| pb::CreateUnitRequest {
        unit: Some(company(&format!("备份测试第{n}有限公司"), "410421", n)),
        request_id: format!("backup-{n}"),
    };
    let mut before = Vec::new();
    for n in 1..=20 {
        before.push(
            client
                .create_unit(create(n))
                .await
                .unwrap()
                .into_inner()
                .name,
        );
    }

    // Writes go on while the backup runs.
    let writing = Arc::new(AtomicBool::new(true));
    let writer = {
        let (mut client, writing) = (client.clone(), writing.clone());
        tokio::spawn(async move {
            let mut n = 100;
            while writing.load(Ordering::SeqCst) {
                n += 1;
                match client.create_unit(create(n)).await {
                    Ok(_) => {}
                    // The office's rate budget: wait for it rather than stop.
                    Err(s) if s.code() == tonic::Code::ResourceExhausted => {
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                    Err(s) => panic!("a write during the backup: {s:?}"),
                }
            }
        })
    };
    let copy = dir.path().join("copy");
    let out = tokio::task::spawn_blocking({
        let (data, copy) = (data.clone(), copy.clone());
        move || {
            std::process::Command::new(BIN)
                .args(["backup", "--data-dir"])
                .arg(&data)
                .arg("--to")
                .arg(&copy)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    writing.store(false, Ordering::SeqCst);
    writer.await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(suite.terminate());

    let out = wenming(&["audit", "verify"], &copy);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let restored = Suite::start(&copy);
    let mut client = bearer_client(&restored.addr, &token).await;
    for name in &before {
        client
            .get_unit(pb::GetUnitRequest { name: name.clone() })
            .await
            .unwrap_or_else(|s| panic!("{name} not in the backup: {s:?}"));
    }
    // The restored suite takes writes, and knows the request ids it holds.
    let again = client
        .create_unit(create(1))
        .await
        .unwrap()
        .into_inner()
        .name;
    assert_eq!(again, before[0]);
    assert!(restored.terminate());

    // Into a directory that holds something: refused, nothing overwritten.
    let out = wenming(&["backup", "--to", copy.to_str().unwrap()], &data);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
}
