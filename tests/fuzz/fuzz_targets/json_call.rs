//! A JSON call as it reaches the gateway: the first line is `METHOD PATH?QUERY`, the rest
//! the body. Turned into its RPC's request (path template, query parameters, protobuf's
//! JSON mapping) or refused with a status; never a panic. An accepted call's frame
//! decodes back as one message of its length.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wenming_gateway::transcode::Transcoder;

fn transcoder() -> &'static Transcoder {
    static TRANSCODER: OnceLock<Transcoder> = OnceLock::new();
    TRANSCODER.get_or_init(|| Transcoder::from_contracts(4 << 20).expect("routes"))
}

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let line = String::from_utf8_lossy(&data[..split]);
    let body = data.get(split + 1..).unwrap_or_default();
    let (method, target) = line.split_once(' ').unwrap_or((&line, "/"));
    let Ok(method) = method.parse::<http::Method>() else {
        return;
    };
    if let Ok((rpc, frame)) = transcoder().request_bytes(&method, target, body) {
        assert!(rpc.starts_with("wenming."), "{rpc}");
        assert_eq!(frame[0], 0, "uncompressed");
        let len = u32::from_be_bytes([frame[1], frame[2], frame[3], frame[4]]) as usize;
        assert_eq!(len, frame.len() - 5);
    }
});
