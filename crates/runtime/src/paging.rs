//! Page sizes and opaque page tokens for `List*` calls.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Page size when the caller sends 0.
pub const DEFAULT_PAGE_SIZE: i64 = 50;
/// Largest page any list returns; larger requests are capped, not refused (AIP-158).
pub const MAX_PAGE_SIZE: i64 = 500;

/// The page size to use, or `None` when the request is negative.
pub fn page_size(requested: i32) -> Option<i64> {
    match requested {
        n if n < 0 => None,
        0 => Some(DEFAULT_PAGE_SIZE),
        n => Some(i64::from(n).min(MAX_PAGE_SIZE)),
    }
}

/// Encodes a cursor (the last key of a page) as an opaque token.
pub fn encode_token(cursor: &str) -> String {
    URL_SAFE_NO_PAD.encode(cursor.as_bytes())
}

/// Decodes a token made by [`encode_token`]; `None` when it is not one.
pub fn decode_token(token: &str) -> Option<String> {
    URL_SAFE_NO_PAD
        .decode(token.as_bytes())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_garbage_is_refused() {
        let token = encode_token("0193b4c2-7d7a-7cc0-8f1e-000000000001");
        assert_eq!(
            decode_token(&token).as_deref(),
            Some("0193b4c2-7d7a-7cc0-8f1e-000000000001")
        );
        assert_eq!(decode_token("%%%"), None);
    }

    #[test]
    fn page_sizes_are_capped() {
        assert_eq!(page_size(0), Some(DEFAULT_PAGE_SIZE));
        assert_eq!(page_size(10_000), Some(MAX_PAGE_SIZE));
        assert_eq!(page_size(7), Some(7));
        assert_eq!(page_size(-1), None);
    }
}
