//! Path templates of `google.api.http` rules: `/v1/titles:verify`,
//! `/v1/{name=applications/*}`. Literal segments, variables of one segment (`{field}`,
//! `{field=*}`) or of a pattern of literals and `*` (`{name=applications/*}`), `**` at
//! the end, and a `:verb` suffix.

/// One segment of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    /// Matches itself.
    Literal(String),
    /// Matches any one segment.
    Any,
    /// Matches the rest of the path (one or more segments).
    Rest,
}

/// A variable and the segments it covers.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Variable {
    field: String,
    /// Index of its first segment.
    start: usize,
    /// Number of segments (the rest of the path for a trailing `**`).
    len: usize,
}

/// A parsed template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    segments: Vec<Segment>,
    variables: Vec<Variable>,
    verb: Option<String>,
}

impl Template {
    /// Parses `text`; `Err` says what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let path = text
            .strip_prefix('/')
            .ok_or_else(|| format!("{text}: a path template starts with /"))?;
        // The verb follows the last ':' that is not inside a variable.
        let (path, verb) = match path.rfind(':') {
            Some(at) if !path[at..].contains('}') => (&path[..at], Some(path[at + 1..].to_owned())),
            _ => (path, None),
        };
        let mut segments = Vec::new();
        let mut variables = Vec::new();
        let mut rest = path;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('{') {
                let end = after
                    .find('}')
                    .ok_or_else(|| format!("{text}: unclosed variable"))?;
                let (field, pattern) = match after[..end].split_once('=') {
                    Some((field, pattern)) => (field, pattern),
                    None => (&after[..end], "*"),
                };
                let start = segments.len();
                for part in pattern.split('/') {
                    segments.push(segment(text, part)?);
                }
                variables.push(Variable {
                    field: field.to_owned(),
                    start,
                    len: segments.len() - start,
                });
                rest = after[end + 1..].trim_start_matches('/');
            } else {
                let (part, tail) = rest.split_once('/').unwrap_or((rest, ""));
                segments.push(segment(text, part)?);
                rest = tail;
            }
        }
        if segments.iter().rev().skip(1).any(|s| *s == Segment::Rest) {
            return Err(format!("{text}: ** only at the end"));
        }
        Ok(Self {
            segments,
            variables,
            verb,
        })
    }

    /// The variables bound by `path` (not percent-decoded), if it matches.
    pub fn matches(&self, path: &str) -> Option<Vec<(String, String)>> {
        let path = path.strip_prefix('/')?;
        let path = match &self.verb {
            Some(verb) => path.strip_suffix(verb.as_str())?.strip_suffix(':')?,
            None => path,
        };
        let parts: Vec<&str> = path.split('/').collect();
        let rest = self.segments.last() == Some(&Segment::Rest);
        if parts.len() < self.segments.len() || (!rest && parts.len() != self.segments.len()) {
            return None;
        }
        for (segment, part) in self.segments.iter().zip(&parts) {
            match segment {
                Segment::Literal(literal) if literal != part => return None,
                _ if part.is_empty() => return None,
                _ => {}
            }
        }
        Some(
            self.variables
                .iter()
                .map(|v| {
                    let end = if rest && v.start + v.len == self.segments.len() {
                        parts.len()
                    } else {
                        v.start + v.len
                    };
                    (v.field.clone(), parts[v.start..end].join("/"))
                })
                .collect(),
        )
    }
}

fn segment(text: &str, part: &str) -> Result<Segment, String> {
    match part {
        "" => Err(format!("{text}: empty segment")),
        "*" => Ok(Segment::Any),
        "**" => Ok(Segment::Rest),
        literal if literal.contains(['{', '}', '*', ':']) => {
            Err(format!("{text}: unexpected '{literal}'"))
        }
        literal => Ok(Segment::Literal(literal.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bound(template: &str, path: &str) -> Option<Vec<(String, String)>> {
        Template::parse(template).unwrap().matches(path)
    }

    #[test]
    fn literals_verbs_and_variables() {
        assert_eq!(
            bound("/v1/titles:verify", "/v1/titles:verify"),
            Some(vec![])
        );
        assert_eq!(bound("/v1/titles:verify", "/v1/titles"), None);
        assert_eq!(bound("/v1/titles:verify", "/v1/titles:verifyBatch"), None);
        assert_eq!(bound("/v1/titles:verifyBatch", "/v1/titles:verify"), None);
        assert_eq!(bound("/v1/attestationKeys", "/v1/attestationKeys/x"), None);
        assert_eq!(
            bound("/v1/{name=applications/*}", "/v1/applications/0193"),
            Some(vec![("name".into(), "applications/0193".into())])
        );
        assert_eq!(bound("/v1/{name=applications/*}", "/v1/units/0193"), None);
        assert_eq!(
            bound("/v1/{name=applications/*}", "/v1/applications/"),
            None
        );
        assert_eq!(
            bound("/v1/units/{unit}/titles", "/v1/units/42/titles"),
            Some(vec![("unit".into(), "42".into())])
        );
        assert_eq!(
            bound("/files/{path=**}", "/files/a/b/c"),
            Some(vec![("path".into(), "a/b/c".into())])
        );
    }

    #[test]
    fn bad_templates_are_refused() {
        for bad in ["v1/x", "/v1/{name", "/v1//x", "/v1/**/x", "/v1/a*b"] {
            assert!(Template::parse(bad).is_err(), "{bad}");
        }
    }
}
