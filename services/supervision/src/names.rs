//! Optional names and codes of list filters, parsed at the edge: empty means no filter.

use wenming_domain::{CampaignId, RegionCode, UnitId};
use wenming_runtime::catalogue::region_violation;
use wenming_runtime::edge::parse_name;

use crate::error::{Result, SupervisionError};

/// An optional "units/{id}" filter, as the unit id.
pub(crate) fn optional_unit(field: &str, name: &str) -> Result<Option<String>> {
    if name.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        parse_name(field, "units", name, |id| UnitId::parse(id).ok())?.to_string(),
    ))
}

/// An optional region code filter (a city or county code).
pub(crate) fn optional_region(field: &str, code: &str) -> Result<Option<String>> {
    if code.is_empty() {
        return Ok(None);
    }
    let code = RegionCode::parse(code)
        .map_err(|err| SupervisionError::from(region_violation(field, &err)))?;
    Ok(Some(code.to_string()))
}

/// An optional "campaigns/{id}" filter, as the name.
pub(crate) fn optional_campaign(field: &str, name: &str) -> Result<Option<String>> {
    if name.is_empty() {
        return Ok(None);
    }
    parse_name(field, "campaigns", name, |id| CampaignId::parse(id).ok())?;
    Ok(Some(name.to_owned()))
}
