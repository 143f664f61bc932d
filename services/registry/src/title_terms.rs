//! How long a title is held when its award names no end: a term per tier, in years, from
//! the registry's table of the configuration (`[registry.title_terms]`). Every title has
//! a term because the province reviews titles on a cycle; an award names its own end
//! when the awarding document does.

use serde::Deserialize;
use wenming_domain::TitleTier;
use wenming_runtime::config::{ConfigError, Figment, optional};

/// The longest term the configuration may set, in years.
pub const MAX_YEARS: u8 = 10;

/// The term of each tier, in years (1 to [`MAX_YEARS`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TitleTerms {
    /// 市级文明单位.
    pub city_years: u8,
    /// 省级文明单位.
    pub provincial_years: u8,
    /// 省级文明单位标兵.
    pub provincial_model_years: u8,
    /// 全国文明单位 (recorded by the province).
    pub national_years: u8,
}

impl Default for TitleTerms {
    /// Three years each: the review cycle of Henan's civilised units and of the
    /// national selection.
    fn default() -> Self {
        Self {
            city_years: 3,
            provincial_years: 3,
            provincial_model_years: 3,
            national_years: 3,
        }
    }
}

/// Why the configured terms cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TitleTermsError {
    /// The table does not parse.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A term outside 1 to [`MAX_YEARS`] years.
    #[error(
        "configuration: registry.title_terms.{key} = {years}: a term is 1 to {MAX_YEARS} years (every title has a term)"
    )]
    OutOfRange {
        /// The key at fault.
        key: &'static str,
        /// Its value.
        years: u8,
    },
}

impl TitleTerms {
    /// The terms in `config` (the registry's own table), defaults for those it omits.
    pub fn from_config(config: &Figment) -> Result<Self, TitleTermsError> {
        let terms: Self = optional(config, "title_terms")?.unwrap_or_default();
        for (key, years) in [
            ("city_years", terms.city_years),
            ("provincial_years", terms.provincial_years),
            ("provincial_model_years", terms.provincial_model_years),
            ("national_years", terms.national_years),
        ] {
            if !(1..=MAX_YEARS).contains(&years) {
                return Err(TitleTermsError::OutOfRange { key, years });
            }
        }
        Ok(terms)
    }

    /// The term of `tier`, in years.
    pub fn years(&self, tier: TitleTier) -> u8 {
        match tier {
            TitleTier::City => self.city_years,
            TitleTier::Provincial => self.provincial_years,
            TitleTier::ProvincialModel => self.provincial_model_years,
            TitleTier::National => self.national_years,
        }
    }
}

#[cfg(test)]
mod tests {
    use figment::providers::{Format as _, Toml};

    use super::*;

    #[test]
    fn defaults_fill_what_the_table_omits() {
        let config = Figment::from(Toml::string("[title_terms]\ncity_years = 2\n"));
        let terms = TitleTerms::from_config(&config).unwrap();
        assert_eq!(terms.years(TitleTier::City), 2);
        assert_eq!(terms.years(TitleTier::Provincial), 3);
        assert_eq!(
            TitleTerms::from_config(&Figment::new()).unwrap(),
            TitleTerms::default()
        );
    }

    #[test]
    fn a_term_of_no_years_is_refused() {
        let config = Figment::from(Toml::string("[title_terms]\nnational_years = 0\n"));
        let err = TitleTerms::from_config(&config).unwrap_err();
        assert!(
            err.to_string()
                .contains("registry.title_terms.national_years = 0"),
            "{err}"
        );
        let unknown = Figment::from(Toml::string("[title_terms]\ncity = 3\n"));
        assert!(TitleTerms::from_config(&unknown).is_err());
    }
}
