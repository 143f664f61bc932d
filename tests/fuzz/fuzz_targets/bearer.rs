//! The gateway's `authorization` header: any text is refused with a reason or accepted
//! as a principal, never a panic; the trusted key is a development key made once.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wenming_gateway::dev_key::{DEV_AUDIENCE, DEV_ISSUER, DevKey};
use wenming_gateway::{Authenticator, AuthnSettings};

fn authenticator() -> &'static Authenticator {
    static AUTHENTICATOR: OnceLock<Authenticator> = OnceLock::new();
    AUTHENTICATOR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir").keep();
        let key = DevKey::load_or_create(&dir).expect("dev key");
        Authenticator::new(
            AuthnSettings {
                issuer: DEV_ISSUER.into(),
                audience: DEV_AUDIENCE.into(),
                jwks_file: Some(key.jwks_path().to_owned()),
                ..AuthnSettings::default()
            },
            key.trusted_keys().expect("keys"),
        )
        .expect("authenticator")
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = authenticator().authenticate(Some(&text));
    let _ = authenticator().authenticate(Some(&format!("Bearer {text}")));
});
