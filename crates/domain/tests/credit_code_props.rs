//! Property tests of credit-code validation.

use proptest::prelude::*;
use wenming_domain::credit_code::CHARSET;
use wenming_domain::{CreditCode, CreditCodeError};

fn set_char() -> impl Strategy<Value = char> {
    proptest::sample::select(CHARSET.chars().collect::<Vec<_>>())
}

/// Positions 1–16 of a code: set characters, with digits at 3–8.
fn first16() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(set_char(), 2),
        "[0-9]{6}",
        proptest::collection::vec(set_char(), 8),
    )
        .prop_map(|(head, region, body)| {
            head.into_iter().chain(region.chars()).chain(body).collect()
        })
}

fn valid_code() -> impl Strategy<Value = CreditCode> {
    first16().prop_map(|p| CreditCode::complete(&p).expect("a valid prefix completes"))
}

proptest! {
    #[test]
    fn completed_codes_parse(code in valid_code()) {
        prop_assert_eq!(CreditCode::parse(code.as_str()), Ok(code.clone()));
    }

    /// Every single substitution is caught: the GB 32100 weights are powers of
    /// 3 modulo the prime 31, never 0, so changing any one of positions 1–17 by
    /// a non-zero value changes the weighted sum modulo 31; a change at 18
    /// contradicts the unchanged sum. (GB 11714 alone would miss some changes
    /// at 9–16, since it works modulo 11 on values up to 35, but position 18
    /// still catches them.)
    #[test]
    fn any_single_substitution_is_rejected(
        code in valid_code(),
        position in 0usize..18,
        replacement in set_char(),
    ) {
        let mut chars: Vec<char> = code.as_str().chars().collect();
        prop_assume!(chars[position] != replacement);
        chars[position] = replacement;
        let changed: String = chars.into_iter().collect();
        prop_assert!(CreditCode::parse(&changed).is_err());
    }

    #[test]
    fn parse_never_panics(text in "\\PC{0,40}") {
        let _ = CreditCode::parse(&text);
    }

    #[test]
    fn parse_never_panics_on_near_codes(
        code in valid_code(),
        position in 0usize..18,
        replacement in any::<char>(),
    ) {
        let mut chars: Vec<char> = code.as_str().chars().collect();
        chars[position] = replacement;
        let changed: String = chars.into_iter().collect();
        if let Err(CreditCodeError::Charset { position: p, found }) = CreditCode::parse(&changed) {
            prop_assert_eq!(p, position + 1);
            prop_assert_eq!(found, replacement.to_ascii_uppercase());
        }
    }

    #[test]
    fn lower_case_parses_the_same(code in valid_code()) {
        let lower = code.as_str().to_lowercase();
        prop_assert_eq!(CreditCode::parse(&lower), CreditCode::parse(code.as_str()));
    }
}
