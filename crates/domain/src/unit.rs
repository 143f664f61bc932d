//! Validated values describing a unit and its people, parsed at the edge.
//!
//! Values holding personal data ([`PersonName`], [`PhoneNumber`]) have no
//! `Display` and a masking `Debug`, so they cannot end up in logs by accident;
//! read them with `as_str()` where they are really needed.

use std::fmt;

use crate::named_enum::named_enum;

/// Why a free text (unit name, person name, reason) was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Fewer characters than required (after trimming).
    #[error("the {field} must have at least {min} characters but has {found}")]
    TooShort {
        /// What the text is, e.g. "unit name".
        field: &'static str,
        /// Minimum number of characters.
        min: usize,
        /// Characters found.
        found: usize,
    },
    /// More characters than allowed.
    #[error("the {field} must have at most {max} characters but has {found}")]
    TooLong {
        /// What the text is.
        field: &'static str,
        /// Maximum number of characters.
        max: usize,
        /// Characters found.
        found: usize,
    },
    /// A control character (newline, tab, …) where none is allowed.
    #[error("character {position} of the {field} is a control character, which is not allowed")]
    ControlCharacter {
        /// What the text is.
        field: &'static str,
        /// 1-based position in the trimmed text.
        position: usize,
    },
}

impl TextError {
    /// Short stable machine name of the violated rule.
    pub fn rule(&self) -> &'static str {
        match self {
            TextError::TooShort { .. } => "too_short",
            TextError::TooLong { .. } => "too_long",
            TextError::ControlCharacter { .. } => "control_character",
        }
    }
}

/// Error of [`UnitName::parse`].
pub type UnitNameError = TextError;
/// Error of [`PersonName::parse`].
pub type PersonNameError = TextError;
/// Error of [`Reason::parse`].
pub type ReasonError = TextError;

/// Trims and checks a text; lengths count characters, not bytes.
pub(crate) fn checked_text(
    text: &str,
    field: &'static str,
    min: usize,
    max: usize,
    allowed_control: &[char],
) -> Result<String, TextError> {
    let text = text.trim();
    if let Some(position) = text
        .chars()
        .position(|c| c.is_control() && !allowed_control.contains(&c))
    {
        return Err(TextError::ControlCharacter {
            field,
            position: position + 1,
        });
    }
    let found = text.chars().count();
    if found < min {
        return Err(TextError::TooShort { field, min, found });
    }
    if found > max {
        return Err(TextError::TooLong { field, max, found });
    }
    Ok(text.to_owned())
}

/// The registered name of a unit: trimmed, 2 to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitName(String);

impl UnitName {
    /// Validates and trims a unit name.
    pub fn parse(text: &str) -> Result<UnitName, UnitNameError> {
        checked_text(text, "unit name", 2, 100, &[]).map(UnitName)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UnitName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name of a person (contact, civilisation officer, instructor): trimmed,
/// 1 to 50 characters, no control characters. Personal data: `Debug` is redacted.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PersonName(String);

impl PersonName {
    /// Validates and trims a person's name.
    pub fn parse(text: &str) -> Result<PersonName, PersonNameError> {
        checked_text(text, "person name", 1, 50, &[]).map(PersonName)
    }

    /// The name; keep it out of logs.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonName(<redacted>)")
    }
}

/// Why a phone number was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneNumberError {
    /// A character other than a digit, '-', a space, or a leading '+'.
    #[error(
        "character {position} of the phone number is '{found}' but only digits, '-', spaces and a leading '+' are allowed"
    )]
    InvalidCharacter {
        /// 1-based position in the trimmed text.
        position: usize,
        /// The offending character.
        found: char,
    },
    /// Too few digits.
    #[error("the phone number must have at least {min} digits but has {found}")]
    TooFewDigits {
        /// Minimum number of digits.
        min: usize,
        /// Digits found.
        found: usize,
    },
    /// Too many digits.
    #[error("the phone number must have at most {max} digits but has {found}")]
    TooManyDigits {
        /// Maximum number of digits.
        max: usize,
        /// Digits found.
        found: usize,
    },
}

impl PhoneNumberError {
    /// Short stable machine name of the violated rule.
    pub fn rule(&self) -> &'static str {
        match self {
            PhoneNumberError::InvalidCharacter { .. } => "invalid_character",
            PhoneNumberError::TooFewDigits { .. } => "too_few_digits",
            PhoneNumberError::TooManyDigits { .. } => "too_many_digits",
        }
    }
}

/// A phone number, stored as an optional '+' followed by 5 to 20 digits
/// (separators removed). Personal data: `Debug` shows only the last 4 digits.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Accepts digits with an optional leading '+', and '-' or spaces between them.
    pub fn parse(text: &str) -> Result<PhoneNumber, PhoneNumberError> {
        let text = text.trim();
        let mut normalised = String::with_capacity(text.len());
        for (i, c) in text.chars().enumerate() {
            match c {
                '0'..='9' => normalised.push(c),
                '+' if i == 0 => normalised.push(c),
                '-' | ' ' => {}
                _ => {
                    return Err(PhoneNumberError::InvalidCharacter {
                        position: i + 1,
                        found: c,
                    });
                }
            }
        }
        let found = normalised.chars().filter(char::is_ascii_digit).count();
        if found < 5 {
            return Err(PhoneNumberError::TooFewDigits { min: 5, found });
        }
        if found > 20 {
            return Err(PhoneNumberError::TooManyDigits { max: 20, found });
        }
        Ok(PhoneNumber(normalised))
    }

    /// The normalised number, e.g. "+8613800000000"; keep it out of logs.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.0.chars().filter(char::is_ascii_digit).count();
        let keep_from = digits.saturating_sub(4);
        let mut seen = 0;
        let masked: String = self
            .0
            .chars()
            .map(|c| {
                if !c.is_ascii_digit() {
                    return c;
                }
                seen += 1;
                if seen > keep_from { c } else { '*' }
            })
            .collect();
        write!(f, "PhoneNumber({masked:?})")
    }
}

/// The reason given for a state change (return, revocation, removal): trimmed,
/// 2 to 500 characters. Line breaks and tabs are allowed; other control characters are not.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reason(String);

impl Reason {
    /// Validates and trims a reason.
    pub fn parse(text: &str) -> Result<Reason, ReasonError> {
        checked_text(text, "reason", 2, 500, &['\n', '\r', '\t']).map(Reason)
    }

    /// The reason.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

named_enum! {
    /// The size of a unit (企业规模).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
    pub enum UnitScale: "unit scale" {
        /// 微型
        Micro = "micro",
        /// 小型
        Small = "small",
        /// 中型
        Medium = "medium",
        /// 大型
        Large = "large",
    }
}

impl UnitScale {
    /// The Chinese label used in documents.
    pub const fn label_zh(self) -> &'static str {
        match self {
            UnitScale::Micro => "微型",
            UnitScale::Small => "小型",
            UnitScale::Medium => "中型",
            UnitScale::Large => "大型",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_name_counts_characters_not_bytes() {
        // Two CJK characters are 6 bytes but 2 characters.
        assert_eq!(UnitName::parse(" 宝丰 ").unwrap().as_str(), "宝丰");
        let err = UnitName::parse("宝").unwrap_err();
        assert_eq!(
            err,
            TextError::TooShort {
                field: "unit name",
                min: 2,
                found: 1
            }
        );
        assert_eq!(err.rule(), "too_short");
        assert!(UnitName::parse(&"企".repeat(100)).is_ok());
        let err = UnitName::parse(&"企".repeat(101)).unwrap_err();
        assert_eq!(err.rule(), "too_long");
        assert_eq!(
            err.to_string(),
            "the unit name must have at most 100 characters but has 101"
        );
    }

    #[test]
    fn names_reject_control_characters() {
        let err = UnitName::parse("宝丰\n公司").unwrap_err();
        assert_eq!(
            err,
            TextError::ControlCharacter {
                field: "unit name",
                position: 3
            }
        );
        assert_eq!(err.rule(), "control_character");
        assert!(PersonName::parse("张\t三").is_err());
        assert_eq!(PersonName::parse("  ").unwrap_err().rule(), "too_short");
        assert!(PersonName::parse("张").is_ok());
        assert!(PersonName::parse(&"张".repeat(51)).is_err());
    }

    #[test]
    fn person_name_is_redacted_in_debug() {
        let name = PersonName::parse("张三").unwrap();
        assert!(!format!("{name:?}").contains("张"));
    }

    #[test]
    fn phone_numbers_are_normalised() {
        let phone = PhoneNumber::parse(" +86 138-0000-1234 ").unwrap();
        assert_eq!(phone.as_str(), "+8613800001234");
        assert_eq!(
            PhoneNumber::parse("0375-1234567").unwrap().as_str(),
            "03751234567"
        );
        assert_eq!(
            PhoneNumber::parse("1234").unwrap_err(),
            PhoneNumberError::TooFewDigits { min: 5, found: 4 }
        );
        assert_eq!(
            PhoneNumber::parse(&"1".repeat(21)).unwrap_err().rule(),
            "too_many_digits"
        );
        assert_eq!(
            PhoneNumber::parse("138+0000").unwrap_err(),
            PhoneNumberError::InvalidCharacter {
                position: 4,
                found: '+'
            }
        );
        assert_eq!(
            PhoneNumber::parse("１３８00001234").unwrap_err().rule(),
            "invalid_character"
        );
    }

    #[test]
    fn phone_debug_shows_only_last_four_digits() {
        let phone = PhoneNumber::parse("+86 138-0000-1234").unwrap();
        let debug = format!("{phone:?}");
        assert_eq!(debug, r#"PhoneNumber("+*********1234")"#);
        assert!(!debug.contains("138"));
    }

    #[test]
    fn reasons_allow_line_breaks() {
        assert!(Reason::parse("材料不全\n请补充").is_ok());
        assert_eq!(Reason::parse("缺").unwrap_err().rule(), "too_short");
        assert_eq!(
            Reason::parse(&"因".repeat(501)).unwrap_err().rule(),
            "too_long"
        );
        assert!(Reason::parse("a\u{0}b").is_err());
    }

    #[test]
    fn scales_round_trip() {
        for scale in UnitScale::ALL {
            assert_eq!(scale.as_str().parse::<UnitScale>(), Ok(*scale));
        }
    }
}
