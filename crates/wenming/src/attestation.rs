//! `wenming attestation`: check a title attestation offline against a saved key set, and
//! make the key of the next rotation.

use std::path::Path;

use wenming_registry::attestation;

use crate::cli::CliResult;

/// Checks the attestation in `file` against the JWKS in `jwks_file`; prints what it
/// attests (JSON) when it checks, fails naming why when it does not.
pub fn verify(file: &Path, jwks_file: &Path) -> CliResult {
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|err| format!("{}: {err}", path.display()))
    };
    let jws = read(file)?;
    let keys = attestation::parse_key_set(&read(jwks_file)?)?;
    let claims = attestation::verify(&jws, &keys)
        .map_err(|err| format!("{}: the attestation does not check: {err}", file.display()))?;
    #[allow(clippy::print_stdout)]
    {
        println!("{}", serde_json::to_string_pretty(&claims)?);
    }
    Ok(())
}

/// Writes a new attestation key to `file` (mode 0600, never over an existing one) and
/// prints its public JWK, to add to the published key set before it signs.
pub fn new_key(file: &Path) -> CliResult {
    let key = wenming_authz::SigningKey::create(file, attestation::KID_PREFIX)?;
    #[allow(clippy::print_stdout)]
    {
        println!("{}", serde_json::to_string_pretty(key.public_jwk())?);
    }
    Ok(())
}
