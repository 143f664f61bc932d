//! TLS to PostgreSQL (issue 12): `sslmode=verify-full` with a CA file connects over TLS
//! to a server whose certificate names the host, and refuses one that does not, or one
//! another CA signed; the URL can come from a mounted file. Runs against the test
//! server (`WENMING_TEST_DATABASE_URL`) when it has TLS on; its certificate (Debian's
//! snakeoil, self-signed for localhost) serves as the CA file.

use wenming_runtime::db::{Database, DatabaseSettings};

/// The test server's admin URL, its certificate file, and the URL with `host` and
/// `query` in place of its own host and query.
struct Server {
    cert: String,
    base: String,
}

impl Server {
    async fn find() -> Option<Self> {
        let admin = std::env::var(wenming_testkit::PG_URL_VAR).ok()?;
        let pool = sqlx::PgPool::connect(&admin).await.ok()?;
        let (ssl,): (String,) = sqlx::query_as("SHOW ssl").fetch_one(&pool).await.ok()?;
        let (cert,): (String,) = sqlx::query_as("SHOW ssl_cert_file")
            .fetch_one(&pool)
            .await
            .ok()?;
        if ssl != "on" || std::fs::read(&cert).is_err() {
            eprintln!("skipped: the test server has no TLS, or its certificate is not readable");
            return None;
        }
        // postgres://user@host:port/db → user, port, db.
        let rest = admin.split_once("://")?.1;
        let (user, rest) = rest.split_once('@')?;
        let (host_port, db) = rest.split_once('/')?;
        let port = host_port.rsplit_once(':').map_or("5432", |(_, p)| p);
        let db = db.split('?').next()?;
        Some(Self {
            cert,
            base: format!("postgres://{user}@{{host}}:{port}/{db}"),
        })
    }

    fn url(&self, host: &str, query: &str) -> String {
        format!("{}?{query}", self.base.replace("{host}", host))
    }
}

async fn over_tls(url: String) -> Result<bool, String> {
    let db = Database::connect(&DatabaseSettings {
        url,
        max_connections: 1,
        migrate_on_start: false,
        url_file: None,
    })
    .await
    .map_err(|e| e.to_string())?;
    let (ssl,): (bool,) =
        sqlx::query_as("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(db.pool())
            .await
            .map_err(|e| e.to_string())?;
    db.close().await;
    Ok(ssl)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_full_connects_over_tls_and_refuses_a_certificate_that_does_not_check() {
    let Some(server) = Server::find().await else {
        eprintln!(
            "skipped: set {} to a server with TLS",
            wenming_testkit::PG_URL_VAR
        );
        return;
    };
    let verify_full = |root: &str| format!("sslmode=verify-full&sslrootcert={root}");
    assert_eq!(
        over_tls(server.url("localhost", &verify_full(&server.cert))).await,
        Ok(true),
        "the certificate names localhost and checks against itself"
    );
    // The address is not a name the certificate holds.
    let err = over_tls(server.url("127.0.0.1", &verify_full(&server.cert)))
        .await
        .unwrap_err();
    assert!(!err.is_empty());
    // A CA that did not sign it.
    let other = wenming_testkit::pki::Pki::new("not the database's CA");
    let other_ca = other.ca_file().display().to_string();
    assert!(
        over_tls(server.url("localhost", &verify_full(&other_ca)))
            .await
            .is_err()
    );
    // verify-ca checks the chain but not the name.
    assert_eq!(
        over_tls(server.url(
            "127.0.0.1",
            &format!("sslmode=verify-ca&sslrootcert={}", server.cert)
        ))
        .await,
        Ok(true)
    );

    // The URL from a mounted file (Kubernetes Secret), not an environment variable.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("database-url");
    std::fs::write(
        &file,
        format!("{}\n", server.url("localhost", &verify_full(&server.cert))),
    )
    .unwrap();
    let db = Database::connect(&DatabaseSettings {
        url_file: Some(file),
        ..DatabaseSettings::default()
    })
    .await
    .unwrap();
    db.close().await;
}
