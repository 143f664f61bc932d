//! The symmetric key that signs internal identities. It never leaves the suite: the
//! gateway signs with it and the services verify with it.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore as _;

const KEY_BYTES: usize = 32;

/// A 256-bit HMAC key.
#[derive(Clone)]
pub struct IdentityKey(Vec<u8>);

impl std::fmt::Debug for IdentityKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdentityKey(..)")
    }
}

/// Why a key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Not base64.
    #[error("the internal identity key is not valid base64")]
    Encoding,
    /// Too short to be safe.
    #[error("the internal identity key must be at least {KEY_BYTES} bytes, found {0}")]
    TooShort(usize),
    /// The key file could not be read or written.
    #[error("internal identity key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

impl IdentityKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; KEY_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// Parses a base64 key (as kept in configuration).
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| KeyError::Encoding)?;
        if bytes.len() < KEY_BYTES {
            return Err(KeyError::TooShort(bytes.len()));
        }
        Ok(Self(bytes))
    }

    /// The key as base64.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(&self.0)
    }

    /// Reads the key file, or creates it (mode 0600) with a fresh key: the embedded
    /// default keeps its key in the data dir.
    pub fn load_or_create(path: &Path) -> Result<Self, KeyError> {
        let io = |source| KeyError::Io {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_base64(&text),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate();
                write_secret_file(path, key.to_base64().as_bytes()).map_err(io)?;
                Ok(key)
            }
            Err(err) => Err(io(err)),
        }
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The key's id: the start of its SHA-256, in the `kid` of identities it signs, so
    /// that a service accepting two keys during a rotation knows which one to check.
    /// It says nothing usable about the key.
    pub fn kid(&self) -> String {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(&self.0);
        digest[..6].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Creates `path` (and its folder) with mode 0600 and writes `contents`; refuses to
/// overwrite. For keys kept in a data dir.
pub fn write_secret_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_or_create_keeps_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("identity.key");
        let first = IdentityKey::load_or_create(&path).unwrap();
        let second = IdentityKey::load_or_create(&path).unwrap();
        assert_eq!(first.bytes(), second.bytes());
        assert_eq!(first.bytes().len(), KEY_BYTES);
    }

    #[test]
    fn short_keys_are_refused() {
        let short = STANDARD.encode([1u8; 8]);
        assert!(matches!(
            IdentityKey::from_base64(&short),
            Err(KeyError::TooShort(8))
        ));
        assert!(matches!(
            IdentityKey::from_base64("not base64!"),
            Err(KeyError::Encoding)
        ));
    }
}
