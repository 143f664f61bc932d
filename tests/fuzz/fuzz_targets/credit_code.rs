//! The unified social credit code parser (GB 32100-2015): never panics, and what it
//! accepts is 18 characters that parse back to the same code.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wenming_domain::CreditCode;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(code) = CreditCode::parse(text) {
        assert_eq!(code.as_str().chars().count(), 18, "{text:?}");
        assert_eq!(CreditCode::parse(code.as_str()).ok(), Some(code));
    }
});
