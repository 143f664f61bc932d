//! `wenming audit verify`: checks the audit chains of every service's database, those
//! of `wenming up` under a data dir or those a configuration file names, and names the
//! first broken record of each.

use std::path::Path;

use wenming_runtime::db::{Database, DatabaseSettings};

use crate::cli::CliResult;
use crate::config::{self, Config};
use wenming_suite::SERVICES;

/// Where the databases to check are.
#[derive(Debug)]
pub enum Databases<'a> {
    /// `wenming up`'s SQLite files.
    DataDir(&'a Path),
    /// The services a configuration file (and `WENMING_*`) gives a database.
    Config(Option<&'a Path>),
}

/// Checks every database; fails naming each service whose trail is broken.
pub async fn verify(databases: Databases<'_>) -> CliResult {
    let targets = targets(&databases)?;
    if targets.is_empty() {
        return Err(match databases {
            Databases::DataDir(dir) => format!("no service database under {}", dir.display()),
            Databases::Config(_) => config::no_database(),
        }
        .into());
    }
    let mut broken = Vec::new();
    for (service, settings) in targets {
        let db = Database::connect(&settings)
            .await
            .map_err(|err| format!("{service}: {err}"))?;
        let verdict = db
            .verify_audit()
            .await
            .map_err(|err| format!("{service}: the audit trail cannot be read: {err}"))?;
        db.close().await;
        let line = match &verdict.broken {
            None => format!(
                "{service}: {} audit records, chains intact",
                verdict.records
            ),
            Some(at) => {
                broken.push(service);
                format!("{service}: BROKEN at {at}")
            }
        };
        let unchained = match verdict.unchained {
            0 => String::new(),
            n => format!(" ({n} records written by an older version, chained at the next start)"),
        };
        #[allow(clippy::print_stdout)]
        {
            println!("{line}{unchained}");
        }
    }
    if broken.is_empty() {
        Ok(())
    } else {
        Err(format!("audit trail broken in {}", broken.join(", ")).into())
    }
}

fn targets(databases: &Databases<'_>) -> CliResult<Vec<(&'static str, DatabaseSettings)>> {
    let mut targets = Vec::new();
    match databases {
        Databases::DataDir(dir) => {
            for def in SERVICES {
                let file = crate::up::database_file(dir, def.name);
                if file.exists() {
                    let url = format!("sqlite://{}", file.display());
                    targets.push((def.name, settings(url)));
                }
            }
        }
        Databases::Config(file) => {
            let config = Config::load(*file)?;
            for def in SERVICES {
                let database = config.service(def)?.database;
                if database.is_configured() {
                    targets.push((def.name, settings(database.resolved_url()?)));
                }
            }
        }
    }
    Ok(targets)
}

/// A small pool that only reads (no migrations run by a check).
fn settings(url: String) -> DatabaseSettings {
    DatabaseSettings {
        url,
        max_connections: 2,
        migrate_on_start: false,
        url_file: None,
    }
}
