//! A small macro for the closed vocabularies of the domain (levels, kinds, tiers, …).
//!
//! Each such enum has a stable snake_case name used on the wire and in the
//! database; the macro writes `as_str`, `ALL`, `Display` and `FromStr` once so the
//! name tables cannot drift apart.

/// The error returned when a name does not belong to a vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{found}' is not a known {what}; expected one of: {}", expected.join(", "))]
pub struct UnknownName {
    /// What was being parsed, e.g. "unit kind".
    pub what: &'static str,
    /// The text that was given.
    pub found: String,
    /// The accepted names.
    pub expected: &'static [&'static str],
}

impl UnknownName {
    /// Short stable machine name of the violated rule.
    pub fn rule(&self) -> &'static str {
        "unknown_name"
    }
}

/// Declares an enum whose variants each carry a stable name.
///
/// `named_enum! { #[derive(..)] pub enum Foo: "foo" { A = "a", B = "b", } }`
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )+ ];

            /// The stable name used on the wire and in storage.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::named_enum::UnknownName;

            /// Parses the stable name exactly (case-sensitive, no trimming).
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( $text => Ok($name::$variant), )+
                    _ => Err($crate::named_enum::UnknownName {
                        what: $what,
                        found: s.to_owned(),
                        expected: &[ $( $text, )+ ],
                    }),
                }
            }
        }
    };
}

pub(crate) use named_enum;
