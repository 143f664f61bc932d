//! Loading and validating a division table from CSV.

use crate::division::{AdminLevel, Division};
use crate::region_code::{RegionCode, RegionCodeError};

/// The header line a division table starts with.
pub(crate) const HEADER: &str = "code,name,level,parent_code";

/// Why a division table could not be loaded. Line numbers are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DivisionError {
    /// The first line is not the expected header.
    #[error("the first line must be the header 'code,name,level,parent_code' but is '{found}'")]
    Header {
        /// The first line as found.
        found: String,
    },
    /// A row does not have four comma-separated fields.
    #[error("line {line}: expected 4 comma-separated fields but found {found}")]
    Columns {
        /// Line number.
        line: usize,
        /// Number of fields found.
        found: usize,
    },
    /// The code or parent code is not six digits.
    #[error("line {line}: {source}")]
    Code {
        /// Line number.
        line: usize,
        /// What is wrong with the code.
        source: RegionCodeError,
    },
    /// The name is empty.
    #[error("line {line}: the name is empty")]
    EmptyName {
        /// Line number.
        line: usize,
    },
    /// The level is not province, city or county.
    #[error("line {line}: unknown level '{found}', expected province, city or county")]
    Level {
        /// Line number.
        line: usize,
        /// The level as found.
        found: String,
    },
    /// The same code appears twice.
    #[error("line {line}: code {code} appears more than once")]
    Duplicate {
        /// Line number of the second occurrence.
        line: usize,
        /// The repeated code.
        code: RegionCode,
    },
    /// The province row has a parent.
    #[error("line {line}: the province {code} must not have a parent")]
    ProvinceHasParent {
        /// Line number.
        line: usize,
        /// The province code.
        code: RegionCode,
    },
    /// A city or county row has no parent.
    #[error("line {line}: {code} is not the province and must have a parent")]
    MissingParent {
        /// Line number.
        line: usize,
        /// The orphan code.
        code: RegionCode,
    },
    /// The parent code is not in the table.
    #[error("line {line}: the parent {parent} of {code} is not in the table")]
    UnknownParent {
        /// Line number.
        line: usize,
        /// The child code.
        code: RegionCode,
        /// The missing parent code.
        parent: RegionCode,
    },
    /// The parent is not exactly one level up.
    #[error(
        "line {line}: {code} is a {level} but its parent {parent} is a {parent_level}; the parent must be one level up"
    )]
    ParentLevel {
        /// Line number.
        line: usize,
        /// The child code.
        code: RegionCode,
        /// The child's level.
        level: AdminLevel,
        /// The parent code.
        parent: RegionCode,
        /// The parent's level.
        parent_level: AdminLevel,
    },
    /// There is not exactly one province.
    #[error("the table must have exactly one province but has {found}")]
    ProvinceCount {
        /// Number of province rows.
        found: usize,
    },
}

/// Parses and validates the rows; returns them sorted by code, with the province code.
pub(crate) fn parse_table(text: &str) -> Result<(Vec<Division>, RegionCode), DivisionError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty());

    match lines.next() {
        Some((_, header)) if header == HEADER => {}
        other => {
            return Err(DivisionError::Header {
                found: other.map(|(_, l)| l.to_owned()).unwrap_or_default(),
            });
        }
    }

    let mut rows: Vec<(usize, Division)> = Vec::new();
    for (line, text) in lines {
        rows.push((line, parse_row(line, text)?));
    }
    rows.sort_by_key(|(_, d)| d.code);
    if let Some(pair) = rows.windows(2).find(|w| w[0].1.code == w[1].1.code) {
        let line = pair[0].0.max(pair[1].0);
        return Err(DivisionError::Duplicate {
            line,
            code: pair[1].1.code,
        });
    }

    let provinces: Vec<_> = rows
        .iter()
        .filter(|(_, d)| d.level == AdminLevel::Province)
        .collect();
    let [(_, province)] = provinces.as_slice() else {
        return Err(DivisionError::ProvinceCount {
            found: provinces.len(),
        });
    };
    let province = province.code;

    let level_of = |code: RegionCode| {
        rows.binary_search_by_key(&code, |(_, d)| d.code)
            .ok()
            .map(|i| rows[i].1.level)
    };
    for (line, d) in &rows {
        let line = *line;
        match (d.level.parent_level(), d.parent) {
            (None, None) => {}
            (None, Some(_)) => {
                return Err(DivisionError::ProvinceHasParent { line, code: d.code });
            }
            (Some(_), None) => {
                return Err(DivisionError::MissingParent { line, code: d.code });
            }
            (Some(expected), Some(parent)) => {
                let parent_level = level_of(parent).ok_or(DivisionError::UnknownParent {
                    line,
                    code: d.code,
                    parent,
                })?;
                if parent_level != expected {
                    return Err(DivisionError::ParentLevel {
                        line,
                        code: d.code,
                        level: d.level,
                        parent,
                        parent_level,
                    });
                }
            }
        }
    }

    Ok((rows.into_iter().map(|(_, d)| d).collect(), province))
}

fn parse_row(line: usize, text: &str) -> Result<Division, DivisionError> {
    let fields: Vec<&str> = text.split(',').map(str::trim).collect();
    let [code, name, level, parent] = fields.as_slice() else {
        return Err(DivisionError::Columns {
            line,
            found: fields.len(),
        });
    };
    let code = RegionCode::parse(code).map_err(|source| DivisionError::Code { line, source })?;
    if name.is_empty() {
        return Err(DivisionError::EmptyName { line });
    }
    let level = level.parse().map_err(|_| DivisionError::Level {
        line,
        found: (*level).to_owned(),
    })?;
    let parent = match *parent {
        "" => None,
        p => Some(RegionCode::parse(p).map_err(|source| DivisionError::Code { line, source })?),
    };
    Ok(Division {
        code,
        name: (*name).to_owned(),
        level,
        parent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_tables() {
        let bad = |body: &str| parse_table(&format!("{HEADER}\n{body}")).unwrap_err();
        assert!(matches!(
            parse_table("410000,省,province,"),
            Err(DivisionError::Header { .. })
        ));
        assert!(matches!(
            bad("410000,省,province"),
            DivisionError::Columns { line: 2, found: 3 }
        ));
        assert!(matches!(
            bad("41000,省,province,"),
            DivisionError::Code { line: 2, .. }
        ));
        assert!(matches!(
            bad("410000,省,state,"),
            DivisionError::Level { line: 2, .. }
        ));
        assert!(matches!(
            bad("410000,,province,"),
            DivisionError::EmptyName { line: 2 }
        ));
        assert!(matches!(
            bad("410000,省,province,\n410000,省,province,"),
            DivisionError::Duplicate { line: 3, .. }
        ));
        assert!(matches!(
            bad("410000,省,province,\n410100,市,city,420000"),
            DivisionError::UnknownParent { line: 3, .. }
        ));
        assert!(matches!(
            bad("410000,省,province,\n420000,省,province,"),
            DivisionError::ProvinceCount { found: 2 }
        ));
        assert!(matches!(
            bad("410000,省,province,\n410101,县,county,410000"),
            DivisionError::ParentLevel { line: 3, .. }
        ));
        assert!(matches!(
            bad("410000,省,province,\n410100,市,city,"),
            DivisionError::MissingParent { line: 3, .. }
        ));
        assert!(matches!(
            bad("410000,省,province,410000"),
            DivisionError::ProvinceHasParent { line: 2, .. }
        ));
    }
}
