//! The suite as processes of the release binary: the gateway and the registry as
//! separate processes, as `wenming serve` runs them in production (`serve registry` on a
//! SQLite file and `serve gateway` in front of it, trusting a development key this
//! program signs tokens with), or the whole suite as `wenming up` runs it. Rate limits
//! are raised out of the way (one platform makes every call of a run).

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use wenming_gateway::ExternalClaims;
use wenming_gateway::dev_key::{DEV_AUDIENCE, DEV_ISSUER, DevKey};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Rate limits raised out of the way, as `WENMING_*` variables.
const NO_RATE_LIMITS: [(&str, &str); 4] = [
    (
        "WENMING_GATEWAY__RATE_LIMITS__PLATFORM_PER_SECOND",
        "100000000",
    ),
    ("WENMING_GATEWAY__RATE_LIMITS__PLATFORM_BURST", "100000000"),
    (
        "WENMING_GATEWAY__RATE_LIMITS__PERSON_PER_SECOND",
        "100000000",
    ),
    ("WENMING_GATEWAY__RATE_LIMITS__PERSON_BURST", "100000000"),
];

/// The processes; killed when dropped.
pub struct Processes {
    children: Vec<Child>,
    /// The gateway's `host:port`.
    pub gateway: String,
    dev_key: DevKey,
    _dir: tempfile::TempDir,
}

impl Processes {
    /// Starts `wenming serve registry` and `wenming serve gateway` from the binary
    /// `wenming`, each with `workers` tokio worker threads (default: one per core).
    pub fn start(wenming: &Path, workers: Option<usize>) -> Result<Self, Error> {
        let workers = workers.map(|n| n.to_string());
        let workers: Vec<(&str, &str)> = workers
            .as_deref()
            .map(|n| ("TOKIO_WORKER_THREADS", n))
            .into_iter()
            .collect();
        let dir = tempfile::tempdir()?;
        let key = wenming_authz::IdentityKey::generate().to_base64();
        let dev_key = DevKey::load_or_create(dir.path())?;
        let db = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("registry.db").display()
        );
        let mut children = Vec::new();
        let (registry, registry_addr) = spawn(
            Command::new(wenming)
                .args(["serve", "registry"])
                .envs([
                    ("WENMING_REGISTRY__DATABASE__URL", db.as_str()),
                    ("WENMING_REGISTRY__LISTEN", "127.0.0.1:0"),
                    ("WENMING_IDENTITY__KEY", key.as_str()),
                ])
                .envs(workers.iter().copied()),
        )?;
        children.push(registry);
        let jwks = dev_key.jwks_path().display().to_string();
        let registry_url = format!("http://{registry_addr}");
        let spawned = spawn(
            Command::new(wenming)
                .args(["serve", "gateway"])
                .envs([
                    ("WENMING_IDENTITY__KEY", key.as_str()),
                    ("WENMING_GATEWAY__LISTEN", "127.0.0.1:0"),
                    ("WENMING_GATEWAY__AUTHN__ISSUER", DEV_ISSUER),
                    ("WENMING_GATEWAY__AUTHN__AUDIENCE", DEV_AUDIENCE),
                    ("WENMING_GATEWAY__AUTHN__JWKS_FILE", jwks.as_str()),
                    ("WENMING_GATEWAY__REGISTRY_URL", registry_url.as_str()),
                ])
                .envs(NO_RATE_LIMITS)
                .envs(workers.iter().copied()),
        );
        let (gateway, gateway_addr) = match spawned {
            Ok(spawned) => spawned,
            Err(err) => {
                for mut child in children {
                    let _ = child.kill();
                }
                return Err(err);
            }
        };
        children.push(gateway);
        Ok(Self {
            children,
            gateway: gateway_addr,
            dev_key,
            _dir: dir,
        })
    }

    /// Starts `wenming up` from the binary `wenming`: the whole suite in one process, on
    /// SQLite files in a new folder, with its telemetry (logs, spans) as it runs for users.
    pub fn up(wenming: &Path) -> Result<Self, Error> {
        let dir = tempfile::tempdir()?;
        // `up` signs with the development key of its folder; made here first so that this
        // program holds it too.
        let dev_key = DevKey::load_or_create(dir.path())?;
        let data_dir = dir.path().display().to_string();
        let (up, addr) = spawn(
            Command::new(wenming)
                .args(["up", "--data-dir", &data_dir, "--listen", "127.0.0.1:0"])
                .envs(NO_RATE_LIMITS),
        )?;
        Ok(Self {
            children: vec![up],
            gateway: addr,
            dev_key,
            _dir: dir,
        })
    }

    /// The process id of the first process (`wenming up`'s, or the registry's).
    pub fn pid(&self) -> u32 {
        self.children.first().map_or(0, std::process::Child::id)
    }

    /// `Bearer <token>` for an office (`level`, `region`) or a platform (`platform`).
    pub fn bearer(&self, level: &str, region: Option<&str>, platform: Option<&str>) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let token = self.dev_key.issue(&ExternalClaims {
            sub: format!("bench-{level}"),
            iss: DEV_ISSUER.into(),
            aud: DEV_AUDIENCE.into(),
            exp: now + 3600,
            nbf: None,
            iat: Some(now),
            level: level.into(),
            region: region.map(str::to_owned),
            unit: None,
            platform: platform.map(str::to_owned),
            actions: None,
        });
        format!("Bearer {token}")
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs `command` and waits for its `ready` line; the address it names.
fn spawn(command: &mut Command) -> Result<(Child, String), Error> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut line = String::new();
    let stdout = child.stdout.take().ok_or("no stdout")?;
    BufReader::new(stdout).read_line(&mut line)?;
    let addr = line
        .split_whitespace()
        .find(|w| w.starts_with("127.0.0.1:"))
        .map(|w| w.trim_end_matches(',').to_owned());
    match addr {
        Some(addr) if line.contains("ready") => Ok((child, addr)),
        _ => {
            let _ = child.kill();
            Err(format!("{command:?} did not start: {line:?}").into())
        }
    }
}
