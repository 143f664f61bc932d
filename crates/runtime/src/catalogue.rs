//! What a refusal says to an official. Every rule a service can refuse a call by is a
//! [`Rule`]: a stable machine name (sent as `reason` or `type` for integrators) and the
//! zh-CN sentence sent beside the English one as a `google.rpc.LocalizedMessage`. Each
//! service keeps its rules in one catalogue module; the rules every service shares
//! (edge parsing, text fields, statuses) are in [`common`] here. A refusal cannot be
//! built without a rule, so it cannot go out without its Chinese text.

use std::fmt::Write as _;

use crate::status::Violation;

/// The locale of every localized message.
pub const LOCALE: &str = "zh-CN";

/// A rule a call can break.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable machine name, e.g. `check_character` or `nomination.batch_max`.
    pub name: &'static str,
    /// The zh-CN text; `{field}` and the violation's arguments (`{expected}`, …) are
    /// filled in.
    pub zh_cn: &'static str,
}

impl Rule {
    /// A rule named `name`, read in Chinese as `zh_cn`.
    pub const fn new(name: &'static str, zh_cn: &'static str) -> Self {
        Self { name, zh_cn }
    }
}

/// A kind of resource or a service, as both languages name it.
#[derive(Debug, PartialEq, Eq)]
pub struct Noun {
    /// English, e.g. "unit" (also the `resource_type` of ResourceInfo).
    pub en: &'static str,
    /// Chinese, e.g. "单位".
    pub zh_cn: &'static str,
}

impl Noun {
    /// A noun.
    pub const fn new(en: &'static str, zh_cn: &'static str) -> Self {
        Self { en, zh_cn }
    }
}

/// Named values a rule's text refers to.
pub type Args = Vec<(&'static str, String)>;

/// Fills `{name}` placeholders of `template` from `args`; an unknown placeholder stays
/// as written. The test kit's readers of refusals (`fixtures::zh_cn`,
/// `field_violations`, `precondition_types`) fail a test on any placeholder left, so
/// every refusal a test provokes is checked.
pub fn render(template: &str, args: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match args.iter().find(|(n, _)| *n == name) {
                    Some((_, value)) => out.push_str(value),
                    None => {
                        let _ = write!(out, "{{{name}}}");
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Placeholders of a template, for catalogue tests.
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        names.push(&after[..close]);
        rest = &after[close + 1..];
    }
    names
}

/// Rules and texts every service shares.
pub mod common {
    use super::Rule;

    /// A required field or value is missing.
    pub const REQUIRED: Rule = Rule::new("required", "字段 {field} 为必填项");
    /// An enum value the contract does not define.
    pub const UNKNOWN_VALUE: Rule = Rule::new("unknown_value", "字段 {field} 的取值无法识别");
    /// Not a calendar date.
    pub const DATE: Rule = Rule::new(
        "date",
        "字段 {field} 应为“2021-04-20”格式的日期，收到的是“{value}”",
    );
    /// Not a resource name of the expected collection.
    pub const RESOURCE_NAME: Rule = Rule::new(
        "resource_name",
        "字段 {field} 应为“{collection}/编号”形式的资源名，收到的是“{value}”",
    );
    /// A request id longer than allowed.
    pub const REQUEST_ID_TOO_LONG: Rule =
        Rule::new("too_long", "请求编号 request_id 最多 100 个字符");
    /// A request id used before for another call.
    pub const REUSED: Rule = Rule::new(
        "reused",
        "该请求编号 request_id 已用于另一次操作（{operation}），请换用新的编号",
    );
    /// Not an etag the service issued.
    pub const ETAG: Rule = Rule::new("etag", "字段 {field} 不是本系统签发的版本标记（etag）");
    /// A negative number where none may be.
    pub const NON_NEGATIVE: Rule = Rule::new("non_negative", "字段 {field} 不能为负数");
    /// A page token not made by the service.
    pub const PAGE_TOKEN: Rule = Rule::new(
        "page_token",
        "分页标记 page_token 无效，请使用上一页返回的标记",
    );
    /// Text shorter than allowed.
    pub const TOO_SHORT: Rule = Rule::new("too_short", "字段 {field} 至少需要 {min} 个字符");
    /// Text longer than allowed.
    pub const TOO_LONG: Rule = Rule::new("too_long", "字段 {field} 最多 {max} 个字符");
    /// A control character in text.
    pub const CONTROL_CHARACTER: Rule = Rule::new(
        "control_character",
        "字段 {field} 的第 {position} 个字符是控制字符，不允许使用",
    );
    /// More items than allowed.
    pub const TOO_MANY: Rule = Rule::new(
        "too_many",
        "字段 {field} 最多允许 {max} 项，收到 {found} 项",
    );
    /// A tier the campaign does not cultivate for.
    pub const TIER_NOT_TARGETED: Rule = Rule::new(
        "tier_not_targeted",
        "该创建活动的培育目标是{tiers}，不包括{tier}",
    );
    /// A region code that is not six digits in the division table.
    pub const REGION_LENGTH: Rule = Rule::new("length", "字段 {field} 的行政区划代码应为 6 位数字");
    /// A non-digit in a region code.
    pub const REGION_DIGITS: Rule = Rule::new(
        "digits",
        "字段 {field} 的行政区划代码第 {position} 位应为数字",
    );
    /// A region code missing from GB/T 2260.
    pub const REGION_UNKNOWN: Rule = Rule::new(
        "unknown",
        "字段 {field} 的行政区划代码 {value} 不在河南省行政区划表（GB/T 2260）中",
    );

    /// Texts of statuses that name no rule.
    pub mod status {
        /// NOT_FOUND: absent or outside the caller's scope.
        pub const NOT_FOUND: &str = "未找到{noun}“{name}”：它不存在，或不在您的管辖范围内";
        /// ALREADY_EXISTS.
        pub const ALREADY_EXISTS: &str = "{noun}“{name}”已存在";
        /// ABORTED on a stale etag.
        pub const ETAG_MISMATCH: &str = "“{name}”已被他人修改，请重新读取后再提交";
        /// UNAVAILABLE: the database or a dependency is down.
        pub const UNAVAILABLE: &str = "服务暂时不可用，本次未做任何修改，请稍后重试";
        /// UNAVAILABLE: a stream ended because its server is stopping.
        pub const DRAINING: &str = "服务正在重启，请使用最后收到的游标重新连接";
        /// UNAVAILABLE from another service.
        pub const UPSTREAM_UNAVAILABLE: &str = "{service}暂时不可用，本次未做任何修改，请稍后重试";
        /// DEADLINE_EXCEEDED from another service.
        pub const UPSTREAM_DEADLINE: &str = "{service}未能在时限内答复，本次未做任何修改";
        /// INTERNAL.
        pub const INTERNAL: &str = "系统内部错误，已记录，请联系运维人员";
        /// A call past the server's time limit.
        pub const TIMEOUT: &str = "调用超过了时限，已被取消，请稍后重试";
        /// A message over the size limit.
        pub const TOO_LARGE: &str = "请求或答复超过了大小上限，请分批提交";
        /// A message that cannot be decoded.
        pub const UNREADABLE: &str = "请求无法解析，请检查客户端与接口版本";
        /// A path that is no RPC.
        pub const UNIMPLEMENTED: &str = "系统中没有该接口";
        /// UNAUTHENTICATED inside the suite.
        pub const NO_IDENTITY: &str = "调用未携带有效的内部身份，请通过网关访问";
    }
}

/// A text field's violation, in both languages.
pub fn text_violation(field: &str, err: &wenming_domain::TextError) -> Violation {
    use wenming_domain::TextError;
    let violation = |rule| Violation::new(field, rule, err.to_string());
    match *err {
        TextError::TooShort { min, .. } => violation(&common::TOO_SHORT).arg("min", min),
        TextError::TooLong { max, .. } => violation(&common::TOO_LONG).arg("max", max),
        TextError::ControlCharacter { position, .. } => {
            violation(&common::CONTROL_CHARACTER).arg("position", position)
        }
    }
}

/// A tier choice's violation (a nomination's or a pairing's target tier), in both
/// languages.
pub fn tier_violation(field: &str, err: &wenming_domain::TierChoiceError) -> Violation {
    use wenming_domain::TierChoiceError;
    let violation = |rule| Violation::new(field, rule, err.to_string());
    match err {
        TierChoiceError::Required => violation(&common::REQUIRED),
        TierChoiceError::NotTargeted { tier, targets } => violation(&common::TIER_NOT_TARGETED)
            .arg("tier", tier.label_zh())
            .arg(
                "tiers",
                targets
                    .iter()
                    .map(|t| t.label_zh())
                    .collect::<Vec<_>>()
                    .join("、"),
            ),
    }
}

/// A region code's violation, in both languages.
pub fn region_violation(field: &str, err: &wenming_domain::RegionCodeError) -> Violation {
    use wenming_domain::RegionCodeError;
    let violation = |rule| Violation::new(field, rule, err.to_string());
    match *err {
        RegionCodeError::Length { .. } => violation(&common::REGION_LENGTH),
        RegionCodeError::NotDigit { position, .. } => {
            violation(&common::REGION_DIGITS).arg("position", position)
        }
        RegionCodeError::Unknown(code) => violation(&common::REGION_UNKNOWN).arg("value", code),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The domain names each failure; the catalogue's rule for it carries the same name.
    #[test]
    fn domain_rule_names_and_catalogue_names_agree() {
        use wenming_domain::{Divisions, Reason, RegionCode};
        for text in ["缺", &"因".repeat(501), "因为\u{7}"] {
            let err = Reason::parse(text).unwrap_err();
            let violation = text_violation("reason", &err);
            assert_eq!(violation.rule.name, err.rule(), "{text}");
            assert!(!violation.zh_cn().contains('{'), "{}", violation.zh_cn());
        }
        for text in ["41042", "41a421", "419999"] {
            let err = Divisions::henan().resolve(text).unwrap_err();
            let violation = region_violation("region_code", &err);
            assert_eq!(violation.rule.name, err.rule(), "{text}");
            assert!(!violation.zh_cn().contains('{'), "{}", violation.zh_cn());
        }
        let _ = RegionCode::parse("410421").unwrap();
    }

    #[test]
    fn placeholders_are_filled_and_unknown_ones_kept() {
        let text = render(
            "第{position}位应为{expected}{missing}",
            &[("position", "18".into()), ("expected", "H".into())],
        );
        assert_eq!(text, "第18位应为H{missing}");
        assert_eq!(render("无占位符", &[]), "无占位符");
        assert_eq!(render("未闭合{", &[]), "未闭合{");
        assert_eq!(placeholders("{a}和{b}"), ["a", "b"]);
    }
}
