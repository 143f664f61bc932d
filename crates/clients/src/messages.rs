//! What a refusal passed on from another service says (zh-CN beside English).

use wenming_runtime::catalogue::{Noun, Rule};

/// The registry service.
pub const REGISTRY: Noun = Noun::new("registry", "单位名录服务");
/// The pairing service.
pub const PAIRING_SERVICE: Noun = Noun::new("pairing", "结对帮创服务");
/// The quota service.
pub const QUOTA_SERVICE: Noun = Noun::new("quota", "指标分配服务");
/// 指标分配表.
pub const ALLOCATION_TABLE: Noun = Noun::new("allocation table", "指标分配表");
/// 单位.
pub const UNIT: Noun = Noun::new("unit", "单位");
/// 创建活动.
pub const CAMPAIGN: Noun = Noun::new("campaign", "创建活动");
/// 结对.
pub const PAIRING: Noun = Noun::new("pairing", "结对帮创");

/// The registry refused a name this service passed on.
pub const REGISTRY_REFUSED: Rule =
    Rule::new("registry_refused", "{service}不接受“{value}”：{reason}");
/// The pairing service refused a name this service passed on.
pub const PAIRING_REFUSED: Rule =
    Rule::new("pairing_refused", "{service}不接受“{value}”：{reason}");
/// Another service refused the caller the lookup.
pub const REFUSED_CALLER: Rule = Rule::new("upstream_refuses", "被调用的服务拒绝了本次查询");
