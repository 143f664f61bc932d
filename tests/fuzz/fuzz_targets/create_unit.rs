//! A CreateUnit request as it arrives: protobuf bytes decoded (or refused), then every
//! field validated as the registry does before it writes; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message as _;
use wenming_proto::registry::v1 as pb;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = pb::CreateUnitRequest::decode(data)
        && let Some(unit) = request.unit
    {
        let _ = wenming_registry::check_new_unit(&unit);
    }
});
