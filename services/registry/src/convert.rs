//! Conversions between the wire enums and the domain vocabularies, and the parsing of
//! names, dates and ids at the edge.

pub(crate) use wenming_proto::convert::{
    campaign_deadline_from_pb, campaign_deadline_to_pb, kind_from_pb, kind_to_pb,
    nomination_status_from_pb, nomination_status_to_pb, scale_from_pb, scale_to_pb, tier_from_pb,
    tier_to_pb,
};

pub(crate) use wenming_runtime::edge::{
    optional_enum, parse_date, parse_name, parse_optional_date, required_enum, timestamp,
};
