//! The six-digit GB/T 2260 region code, checked for syntax only.
//!
//! Whether a code names a real division is a question for the division table
//! ([`crate::Divisions::resolve`]); this type only guarantees the shape.

use std::fmt;
use std::str::FromStr;

/// A GB/T 2260 administrative division code: exactly six decimal digits.
///
/// Stored as a number so that it is `Copy` and cheap to compare; always
/// displayed with six digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionCode(u32);

/// Why a text is not a region code (or not a known one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionCodeError {
    /// The text does not have six characters.
    #[error("a region code must be exactly 6 digits, but {found} characters were given")]
    Length {
        /// Number of characters found.
        found: usize,
    },
    /// A character is not an ASCII digit.
    #[error("character {position} of the region code is '{found}' but must be a digit 0-9")]
    NotDigit {
        /// 1-based position of the offending character.
        position: usize,
        /// The offending character.
        found: char,
    },
    /// The code is well formed but not in the division table.
    #[error("region code {0} is not in the division table")]
    Unknown(RegionCode),
}

impl RegionCodeError {
    /// Short stable machine name of the violated rule.
    pub fn rule(&self) -> &'static str {
        match self {
            RegionCodeError::Length { .. } => "length",
            RegionCodeError::NotDigit { .. } => "digits",
            RegionCodeError::Unknown(_) => "unknown",
        }
    }
}

impl RegionCode {
    /// Parses exactly six ASCII digits; no trimming, no signs.
    pub fn parse(text: &str) -> Result<RegionCode, RegionCodeError> {
        let found = text.chars().count();
        if found != 6 {
            return Err(RegionCodeError::Length { found });
        }
        let mut value = 0u32;
        for (i, c) in text.chars().enumerate() {
            // `to_digit` accepts ASCII digits only, so full-width digits fail here.
            let digit = c.to_digit(10).ok_or(RegionCodeError::NotDigit {
                position: i + 1,
                found: c,
            })?;
            value = value * 10 + digit;
        }
        Ok(RegionCode(value))
    }

    /// Builds a code from its numeric value (as stored in a database);
    /// `None` unless `0 <= value <= 999_999`.
    pub const fn from_u32(value: u32) -> Option<RegionCode> {
        if value <= 999_999 {
            Some(RegionCode(value))
        } else {
            None
        }
    }

    /// The numeric value, e.g. `410421`.
    pub const fn as_u32(self) -> u32 {
        self.0
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

impl fmt::Debug for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegionCode({:06})", self.0)
    }
}

impl FromStr for RegionCode {
    type Err = RegionCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RegionCode::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_six_digits_and_displays_them() {
        let code = RegionCode::parse("410421").unwrap();
        assert_eq!(code.as_u32(), 410_421);
        assert_eq!(code.to_string(), "410421");
        assert_eq!(RegionCode::from_u32(42).unwrap().to_string(), "000042");
    }

    #[test]
    fn reports_what_is_wrong() {
        assert_eq!(
            RegionCode::parse("41042"),
            Err(RegionCodeError::Length { found: 5 })
        );
        assert_eq!(
            RegionCode::parse(" 410421"),
            Err(RegionCodeError::Length { found: 7 })
        );
        assert_eq!(
            RegionCode::parse("4104a1"),
            Err(RegionCodeError::NotDigit {
                position: 5,
                found: 'a'
            })
        );
        // Full-width digits are digits to Unicode but not to GB/T 2260.
        assert_eq!(
            RegionCode::parse("41042１"),
            Err(RegionCodeError::NotDigit {
                position: 6,
                found: '１'
            })
        );
        assert_eq!(RegionCode::from_u32(1_000_000), None);
    }
}
