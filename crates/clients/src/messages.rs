//! What a refusal passed on from another service says (zh-CN beside English).

use wenming_runtime::catalogue::{Noun, Rule};

/// The registry service.
pub const REGISTRY: Noun = Noun::new("registry", "单位名录服务");
/// The pairing service.
pub const PAIRING_SERVICE: Noun = Noun::new("pairing", "结对帮创服务");
/// 单位.
pub const UNIT: Noun = Noun::new("unit", "单位");
/// 创建活动.
pub const CAMPAIGN: Noun = Noun::new("campaign", "创建活动");
/// 结对.
pub const PAIRING: Noun = Noun::new("pairing", "结对帮创");

/// Another service refused a name this service passed on.
pub const REFUSED_NAME: Rule = Rule::new("upstream_refused", "{service}不接受“{value}”：{reason}");
/// Another service refused the caller the lookup.
pub const REFUSED_CALLER: Rule = Rule::new("upstream_refuses", "被调用的服务拒绝了本次查询");
