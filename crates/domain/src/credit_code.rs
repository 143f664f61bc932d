//! The unified social credit code (统一社会信用代码, GB 32100-2015).
//!
//! Layout of the 18 characters (1-based):
//! 1 registration authority, 2 entity type, 3–8 the region code where the
//! entity was registered, 9–17 the organisation code (GB 11714: 8 body
//! characters and a check character at 17), 18 the overall check character.

use std::fmt;
use std::str::FromStr;

/// The 31 characters a code may use (no I, O, S, V, Z); a character's value is its index.
pub const CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Length of a complete code.
pub const LENGTH: usize = 18;

/// GB 32100 weights of positions 1..=17: 3^(i-1) mod 31.
const WEIGHTS_32100: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// GB 11714 weights of the organisation code body (positions 9..=16).
const WEIGHTS_11714: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// A valid unified social credit code: 18 upper-case characters whose two
/// check characters agree with the rest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CreditCode(String);

/// Why a text is not a valid credit code. Checks run in the order of the
/// variants, and the first failure is reported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    /// Wrong number of characters.
    #[error("the code must have {expected} characters but has {found}")]
    Length {
        /// Characters required.
        expected: usize,
        /// Characters found (after trimming surrounding whitespace).
        found: usize,
    },
    /// A character outside the 31-character set.
    #[error(
        "character {position} is '{found}' but only the digits and the letters A-Y without I, O, S and V are allowed"
    )]
    Charset {
        /// 1-based position.
        position: usize,
        /// The offending character (after upper-casing ASCII letters).
        found: char,
    },
    /// A character of the region part (positions 3–8) is not a digit.
    #[error(
        "character {position} is '{found}' but positions 3 to 8 hold the region code and must be digits"
    )]
    RegionDigits {
        /// 1-based position.
        position: usize,
        /// The offending character.
        found: char,
    },
    /// Position 17 disagrees with the GB 11714 check of positions 9–16.
    #[error(
        "character 17 is '{found}' but the organisation code check character must be '{expected}'"
    )]
    OrganisationCheck {
        /// The check character computed from positions 9–16.
        expected: char,
        /// The character found at position 17.
        found: char,
    },
    /// Position 18 disagrees with the GB 32100 check of positions 1–17.
    #[error("character 18 is '{found}' but the check character must be '{expected}'")]
    CheckCharacter {
        /// The check character computed from positions 1–17.
        expected: char,
        /// The character found at position 18.
        found: char,
    },
}

impl CreditCodeError {
    /// Short stable machine name of the violated rule.
    pub fn rule(&self) -> &'static str {
        match self {
            CreditCodeError::Length { .. } => "length",
            CreditCodeError::Charset { .. } => "charset",
            CreditCodeError::RegionDigits { .. } => "region_digits",
            CreditCodeError::OrganisationCheck { .. } => "organisation_check",
            CreditCodeError::CheckCharacter { .. } => "check_character",
        }
    }
}

impl CreditCode {
    /// Parses and validates a code.
    ///
    /// Surrounding whitespace is trimmed and ASCII lower-case letters are
    /// upper-cased (people type codes in lower case; the standard is upper case),
    /// so the stored form is always canonical. Then, in order: length, character
    /// set, digits in the region part, the GB 11714 check at 17, the GB 32100
    /// check at 18.
    pub fn parse(text: &str) -> Result<CreditCode, CreditCodeError> {
        let chars = normalise(text, LENGTH)?;
        check_organisation(&chars)?;
        let expected = check_char_32100(&chars[..17]);
        let found = chars[17];
        if expected != found {
            return Err(CreditCodeError::CheckCharacter { expected, found });
        }
        Ok(CreditCode(chars.into_iter().collect()))
    }

    /// Completes positions 1–16 into a valid code by computing the check
    /// characters at 17 and 18 (for tests and demo data). The same
    /// normalisation and checks as [`CreditCode::parse`] apply to the 16 given.
    pub fn complete(first16: &str) -> Result<CreditCode, CreditCodeError> {
        let mut chars = normalise(first16, 16)?;
        // 11714 yields 0-9 or X, all of which are in the 31-character set.
        chars.push(check_char_11714(&chars[8..16]));
        chars.push(check_char_32100(&chars));
        Ok(CreditCode(chars.into_iter().collect()))
    }

    /// The canonical 18-character text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Position 1: the registration authority (e.g. '9' market regulation, '5' civil affairs).
    pub fn registration_authority(&self) -> char {
        char::from(self.0.as_bytes()[0])
    }

    /// Position 2: the entity type within that authority.
    pub fn entity_type(&self) -> char {
        char::from(self.0.as_bytes()[1])
    }

    /// Positions 3–8: the region code as registered. It is historical and may
    /// not be in today's division table; never use it for scope decisions.
    pub fn region_part(&self) -> &str {
        &self.0[2..8]
    }

    /// Positions 9–17: the GB 11714 organisation code including its check character.
    pub fn organisation_code(&self) -> &str {
        &self.0[8..17]
    }
}

/// Trims, upper-cases ASCII, and checks length, character set and region digits.
fn normalise(text: &str, expected: usize) -> Result<Vec<char>, CreditCodeError> {
    // Only ASCII is upper-cased so the character count never changes.
    let chars: Vec<char> = text
        .trim()
        .chars()
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if chars.len() != expected {
        return Err(CreditCodeError::Length {
            expected,
            found: chars.len(),
        });
    }
    for (i, &c) in chars.iter().enumerate() {
        if value_32100(c).is_none() {
            return Err(CreditCodeError::Charset {
                position: i + 1,
                found: c,
            });
        }
    }
    for (i, &c) in chars.iter().enumerate().take(8).skip(2) {
        if !c.is_ascii_digit() {
            return Err(CreditCodeError::RegionDigits {
                position: i + 1,
                found: c,
            });
        }
    }
    Ok(chars)
}

fn check_organisation(chars: &[char]) -> Result<(), CreditCodeError> {
    let expected = check_char_11714(&chars[8..16]);
    let found = chars[16];
    if expected == found {
        Ok(())
    } else {
        Err(CreditCodeError::OrganisationCheck { expected, found })
    }
}

/// Value of a character in the GB 32100 set: its index in [`CHARSET`].
fn value_32100(c: char) -> Option<u32> {
    CHARSET
        .chars()
        .position(|x| x == c)
        .and_then(|i| u32::try_from(i).ok())
}

/// The GB 32100 check character of positions 1–17.
fn check_char_32100(first17: &[char]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS_32100)
        .map(|(&c, w)| value_32100(c).unwrap_or(0) * w)
        .sum();
    let index = (31 - sum % 31) % 31;
    CHARSET
        .chars()
        .nth(index as usize)
        .expect("index is below 31")
}

/// The GB 11714 check character of an 8-character organisation code body.
/// Characters are valued 0–9 and A=10 … Z=35 (the plain alphabet, unlike GB 32100).
fn check_char_11714(body: &[char]) -> char {
    let sum: u32 = body
        .iter()
        .zip(WEIGHTS_11714)
        .map(|(&c, w)| c.to_digit(36).unwrap_or(0) * w)
        .sum();
    match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        c => char::from_digit(c, 10).expect("c is below 10"),
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for CreditCode {
    type Err = CreditCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CreditCode::parse(s)
    }
}

impl AsRef<str> for CreditCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_powers_of_three() {
        let mut w = 1;
        for expected in WEIGHTS_32100 {
            assert_eq!(w, expected);
            w = w * 3 % 31;
        }
        assert_eq!(CHARSET.len(), 31);
    }

    #[test]
    fn public_codes_validate() {
        for text in [
            "91350100M000100Y43",
            "911100001000128855",
            "12100000400000624D",
        ] {
            let code = CreditCode::parse(text).unwrap();
            assert_eq!(code.as_str(), text);
        }
    }

    #[test]
    fn accessors_split_the_code() {
        let code = CreditCode::parse("91350100M000100Y43").unwrap();
        assert_eq!(code.registration_authority(), '9');
        assert_eq!(code.entity_type(), '1');
        assert_eq!(code.region_part(), "350100");
        assert_eq!(code.organisation_code(), "M000100Y4");
        assert_eq!(code.to_string(), "91350100M000100Y43");
    }

    #[test]
    fn trims_and_uppercases() {
        let code = CreditCode::parse("  91350100m000100y43\n").unwrap();
        assert_eq!(code.as_str(), "91350100M000100Y43");
    }

    #[test]
    fn reports_each_rule_in_order() {
        let err = CreditCode::parse("91350100M000100Y4").unwrap_err();
        assert_eq!(
            err,
            CreditCodeError::Length {
                expected: 18,
                found: 17
            }
        );
        assert_eq!(err.rule(), "length");

        let err = CreditCode::parse("91350100M00010OY43").unwrap_err();
        assert_eq!(
            err,
            CreditCodeError::Charset {
                position: 15,
                found: 'O'
            }
        );
        assert_eq!(err.rule(), "charset");

        let err = CreditCode::parse("9135010０M000100Y43").unwrap_err();
        assert_eq!(
            err,
            CreditCodeError::Charset {
                position: 8,
                found: '０'
            }
        );

        let err = CreditCode::parse("913501A0M000100Y43").unwrap_err();
        assert_eq!(
            err,
            CreditCodeError::RegionDigits {
                position: 7,
                found: 'A'
            }
        );
        assert_eq!(err.rule(), "region_digits");

        let err = CreditCode::parse("91350100M000100Y53").unwrap_err();
        assert_eq!(
            err,
            CreditCodeError::OrganisationCheck {
                expected: '4',
                found: '5'
            }
        );
        assert_eq!(err.rule(), "organisation_check");

        let err = CreditCode::parse("91350100M000100Y4X").unwrap_err();
        assert_eq!(
            err,
            CreditCodeError::CheckCharacter {
                expected: '3',
                found: 'X'
            }
        );
        assert_eq!(err.rule(), "check_character");
        assert_eq!(
            err.to_string(),
            "character 18 is 'X' but the check character must be '3'"
        );
    }

    #[test]
    fn complete_builds_the_check_characters() {
        let code = CreditCode::complete("91350100M000100Y").unwrap();
        assert_eq!(code.as_str(), "91350100M000100Y43");
        assert!(matches!(
            CreditCode::complete("91350100M000100Y4"),
            Err(CreditCodeError::Length {
                expected: 16,
                found: 17
            })
        ));
    }

    #[test]
    fn organisation_check_can_be_x() {
        // Find a body whose GB 11714 check is 'X' and make sure it round-trips.
        let code = (0..1000)
            .map(|n| format!("91410421{n:08}"))
            .find_map(|p| {
                let c = CreditCode::complete(&p).ok()?;
                (c.as_str().as_bytes()[16] == b'X').then_some(c)
            })
            .unwrap();
        assert_eq!(CreditCode::parse(code.as_str()), Ok(code));
    }
}
