//! `wenming` as a process: started on port 0 on a fresh data dir (its `ready` line names
//! the addresses), tokens from `wenming token`, and registry clients that send them.
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_wenming");

pub struct Suite {
    pub child: Child,
    pub addr: String,
    pub metrics: Option<String>,
}

impl Suite {
    /// Starts `wenming up` on port 0 and waits for its `ready` line.
    pub fn start(data_dir: &Path) -> Self {
        let mut command = Command::new(BIN);
        command
            .args(["up", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir);
        Self::spawn(command)
    }

    /// Runs `command` (a server) and waits for its `ready` line; the address is the first
    /// one the line names (the public one).
    pub fn spawn(command: Command) -> Self {
        Self::spawn_logging_to(command, Stdio::null())
    }

    /// Like [`Suite::spawn`], its log going to `stderr`.
    pub fn spawn_logging_to(mut command: Command, stderr: Stdio) -> Self {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start wenming");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.contains("ready"), "first line: {line:?}");
        let addr = line
            .split_whitespace()
            .find(|w| w.starts_with("127.0.0.1:"))
            .unwrap()
            .trim_end_matches(',')
            .to_owned();
        let metrics = line
            .split_whitespace()
            .find(|w| w.starts_with("http://") && w.ends_with("/metrics"))
            .map(str::to_owned);
        Self {
            child,
            addr,
            metrics,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The metrics address the ready line names, if it names one.
    pub fn metrics_url(&self) -> String {
        self.metrics.clone().expect("started with --metrics-listen")
    }

    /// Kills the process with SIGKILL (no drain, no flush) and reaps it.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Sends SIGTERM and returns whether the process exited successfully.
    pub fn terminate(mut self) -> bool {
        let killed = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        self.child.wait().unwrap().success()
    }
}

/// An interceptor sending a bearer token.
#[derive(Clone, Debug)]
pub struct Auth(tonic::metadata::MetadataValue<tonic::metadata::Ascii>);

impl tonic::service::Interceptor for Auth {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        req.metadata_mut().insert("authorization", self.0.clone());
        Ok(req)
    }
}

pub type BearerClient = wenming_proto::registry::v1::registry_service_client::RegistryServiceClient<
    tonic::service::interceptor::InterceptedService<tonic::transport::Channel, Auth>,
>;

/// An interceptor sending `token` as the bearer token.
pub fn auth(token: &str) -> Auth {
    Auth(format!("Bearer {token}").parse().unwrap())
}

/// A channel to `url` and an interceptor sending `token` as its bearer token.
pub async fn authorized(url: &str, token: &str) -> (tonic::transport::Channel, Auth) {
    let channel = tonic::transport::Channel::from_shared(url.to_owned())
        .unwrap()
        .connect()
        .await
        .unwrap();
    (channel, Auth(format!("Bearer {token}").parse().unwrap()))
}

/// A registry client calling `addr` with `token` as its bearer token.
pub async fn bearer_client(addr: &str, token: &str) -> BearerClient {
    let (channel, auth) = authorized(&format!("http://{addr}"), token).await;
    wenming_proto::registry::v1::registry_service_client::RegistryServiceClient::with_interceptor(
        channel, auth,
    )
}

/// A development token printed by `wenming token ARGS --data-dir DIR`.
pub fn cli_token(args: &[&str], data_dir: &Path) -> String {
    let mut all = vec!["token"];
    all.extend_from_slice(args);
    let out = wenming(&all, data_dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

pub fn wenming(args: &[&str], data_dir: &Path) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .expect("run wenming")
}

/// `wenming serve registry` on the database `url`, listening on a free port, with the
/// internal identity `key` (base64); add the test's own settings to it.
pub fn serve_registry(url: &str, key: &str) -> Command {
    let mut command = Command::new(BIN);
    command.args(["serve", "registry"]).envs([
        ("WENMING_REGISTRY__DATABASE__URL", url),
        ("WENMING_REGISTRY__LISTEN", "127.0.0.1:0"),
        ("WENMING_IDENTITY__KEY", key),
    ]);
    command
}

/// `wenming serve gateway` on a free port, trusting the development key of `data_dir`
/// (`wenming token --data-dir` signs with it), forwarding registry calls to
/// `registry_url`, signing with the internal identity `key` (base64).
pub fn serve_gateway(data_dir: &Path, key: &str, registry_url: &str) -> Command {
    let jwks = data_dir.join("dev-jwks.json").display().to_string();
    let mut command = Command::new(BIN);
    command.args(["serve", "gateway"]).envs([
        ("WENMING_IDENTITY__KEY", key),
        ("WENMING_GATEWAY__LISTEN", "127.0.0.1:0"),
        ("WENMING_GATEWAY__AUTHN__ISSUER", "wenming-dev"),
        ("WENMING_GATEWAY__AUTHN__AUDIENCE", "wenming"),
        ("WENMING_GATEWAY__AUTHN__JWKS_FILE", jwks.as_str()),
        ("WENMING_GATEWAY__REGISTRY_URL", registry_url),
    ]);
    command
}
