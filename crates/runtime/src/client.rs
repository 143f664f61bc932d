//! Client side of the internal identity: what the gateway (and tools) attach to calls.

use tonic::service::Interceptor;
use wenming_authz::{IDENTITY_HEADER, IdentityKey, IdentitySigner, Principal};

/// Signs an internal identity onto every outgoing call, as the gateway does.
#[derive(Clone, Debug)]
pub struct AsPrincipal {
    signer: IdentitySigner,
    principal: Principal,
}

impl AsPrincipal {
    /// Calls as `principal`, signed with `key`.
    pub fn new(key: &IdentityKey, principal: Principal) -> Self {
        Self {
            signer: IdentitySigner::new(key),
            principal,
        }
    }
}

impl Interceptor for AsPrincipal {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        let token = self.signer.sign(&self.principal);
        let value = token
            .parse()
            .map_err(|_| tonic::Status::internal("identity is not ASCII"))?;
        request.metadata_mut().insert(IDENTITY_HEADER, value);
        Ok(request)
    }
}
