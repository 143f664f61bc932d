//! `wenming backup --data-dir DIR --to DEST`: an online copy of the embedded suite's
//! data while it runs. Each service's SQLite file is copied with `VACUUM INTO`, a
//! consistent snapshot taken inside one read transaction (writers carry on; WAL mode),
//! and every other file of the data dir (the keys, the denial log) is copied as is.
//!
//! The services are copied callers first (supervision, quota, pairing, then the
//! registry): whatever a caller's copy refers to (a unit, a campaign, a pairing)
//! existed when it was copied, and so is in the copies of its callees, taken later.
//! Nothing the suite refers to across services is ever deleted, only closed or
//! deregistered, so the restored set holds no dangling reference.

use std::path::Path;

use wenming_runtime::db::{Database, DatabaseSettings};

use crate::cli::CliResult;
use wenming_suite::SERVICES;

/// Copies `data_dir` into `dest` (which must not exist yet or be empty).
pub async fn run(data_dir: &Path, dest: &Path) -> CliResult {
    if !data_dir.is_dir() {
        return Err(format!("no data dir {}", data_dir.display()).into());
    }
    if dest.exists() && std::fs::read_dir(dest)?.next().is_some() {
        return Err(format!(
            "{} is not empty: back up into a new directory",
            dest.display()
        )
        .into());
    }
    std::fs::create_dir_all(dest)?;
    let mut copied = 0;
    for def in SERVICES.iter().rev() {
        let source = crate::up::database_file(data_dir, def.name);
        if !source.exists() {
            continue;
        }
        let target = crate::up::database_file(dest, def.name);
        let target_text = target
            .to_str()
            .ok_or_else(|| format!("{} is not UTF-8", target.display()))?;
        let db = Database::connect(&DatabaseSettings {
            url: format!("sqlite://{}", source.display()),
            max_connections: 1,
            migrate_on_start: false,
            url_file: None,
        })
        .await?;
        sqlx::query("VACUUM INTO $1")
            .bind(target_text.to_owned())
            .execute(db.pool())
            .await
            .map_err(|err| format!("{}: {err}", def.name))?;
        db.close().await;
        copied += 1;
        #[allow(clippy::print_stdout)]
        {
            println!("{}: {}", def.name, target.display());
        }
    }
    if copied == 0 {
        return Err(format!("no service database under {}", data_dir.display()).into());
    }
    for entry in std::fs::read_dir(data_dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let text = name.to_string_lossy();
        let database =
            text.ends_with(".db") || text.ends_with(".db-wal") || text.ends_with(".db-shm");
        if entry.file_type()?.is_file() && !database {
            std::fs::copy(entry.path(), dest.join(&name))?;
        }
    }
    Ok(())
}
