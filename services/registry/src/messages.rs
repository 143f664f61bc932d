//! The registry's catalogue: every rule it refuses a call by, with the zh-CN text an
//! official reads (the English sentence for integrators is written where the rule is
//! checked). Rules shared by every service are in `wenming_runtime::catalogue::common`.

use wenming_domain::{CreditCodeError, PhoneNumberError};
use wenming_runtime::catalogue::{Noun, Rule};
use wenming_runtime::status::Violation;

// Resources.
/// 单位.
pub const UNIT: Noun = Noun::new("unit", "单位");
/// 创建活动.
pub const CAMPAIGN: Noun = Noun::new("campaign", "创建活动");
/// 培育对象推荐.
pub const NOMINATION: Noun = Noun::new("nomination", "培育对象推荐");
/// 入驻申请.
pub const APPLICATION: Noun = Noun::new("application", "非公单位创建申请");
/// 文明单位称号.
pub const TITLE: Noun = Noun::new("title", "文明单位称号");

/// An ImportUnits stream with more rows than one call takes.
pub const IMPORT_TOO_MANY_ROWS: Rule = Rule::new(
    "import_too_many_rows",
    "一次导入最多 {max} 行：前 {read} 行已处理（新建 {created}，重复 {duplicates}，无效 {invalid}），其余未读取，请分批导入",
);

// The unified social credit code (GB 32100-2015).
/// Not 18 characters.
pub const CREDIT_CODE_LENGTH: Rule = Rule::new(
    "length",
    "统一社会信用代码应为 {expected} 位，收到的是 {found} 位",
);
/// A character outside the code's character set.
pub const CREDIT_CODE_CHARSET: Rule = Rule::new(
    "charset",
    "统一社会信用代码第 {position} 位“{found}”不是允许的字符（数字及除 I、O、S、V、Z 以外的大写字母）",
);
/// Positions 3 to 8 are the registering region.
pub const CREDIT_CODE_REGION_DIGITS: Rule = Rule::new(
    "region_digits",
    "统一社会信用代码第 {position} 位应为数字（第 3 至 8 位是登记管理机关行政区划码）",
);
/// Position 17, the organisation code check (GB 11714).
pub const ORGANISATION_CHECK: Rule = Rule::new(
    "organisation_check",
    "统一社会信用代码第17位（组织机构代码校验码）应为{expected}，收到的是{found}",
);
/// Position 18, the code's own check (GB 32100).
pub const CHECK_CHARACTER: Rule = Rule::new(
    "check_character",
    "统一社会信用代码第18位校验码应为{expected}，收到的是{found}",
);

// The civilisation officer's phone.
/// A character a phone number cannot hold.
pub const PHONE_CHARACTER: Rule = Rule::new(
    "invalid_character",
    "联系电话第 {position} 位“{found}”无效，只能使用数字、“-”、空格和开头的“+”",
);
/// Too few digits.
pub const PHONE_TOO_FEW: Rule = Rule::new("too_few_digits", "联系电话至少需要 {min} 位数字");
/// Too many digits.
pub const PHONE_TOO_MANY: Rule = Rule::new("too_many_digits", "联系电话最多 {max} 位数字");

// Fields.
/// A unit belongs to a county-level region.
pub const UNIT_REGION: Rule = Rule::new(
    "unit_region",
    "{value} 不是县级行政区划，单位应登记在县（市、区）",
);
/// A region outside the caller's office.
pub const OUT_OF_SCOPE: Rule = Rule::new("out_of_scope", "{value} 不在本文明办的管辖范围内");
/// An update mask path that names no updatable field.
pub const UPDATABLE: Rule = Rule::new("updatable", "“{value}”不是可以修改的字段");
/// A field only offices change.
pub const OFFICE_ONLY: Rule = Rule::new("office_only", "字段“{value}”只能由文明办修改");
/// A campaign's batch limits.
pub const BATCH_RANGE: Rule = Rule::new(
    "batch_range",
    "推荐数量范围应满足 1 ≤ 最少 ≤ 最多 ≤ 100（两者都为 0 时按通知要求为 3 至 5 个）",
);
/// A date that must come after the award.
pub const AFTER_AWARD: Rule = Rule::new("after_award", "{field} 应晚于称号授予日期");
/// The same unit twice in one submission.
pub const DISTINCT: Rule = Rule::new("distinct", "同一单位在本次推荐中重复出现");

// Business rules.
/// A deregistered unit.
pub const UNIT_ACTIVE: Rule = Rule::new("unit.active", "单位“{unit}”已注销，不能办理此事项");
/// Only non-public units.
pub const UNIT_NON_PUBLIC: Rule = Rule::new(
    "unit.non_public",
    "单位“{unit}”不是非公单位，只有非公单位可以办理此事项",
);
/// A provincial-direct unit is the provincial-direct office's to nominate or pair.
pub const UNIT_PROVINCIAL_DIRECT: Rule = Rule::new(
    "unit.provincial_direct",
    "“{unit}”属于省直单位，由省直文明办推荐",
);
/// Only the province marks units provincial-direct.
pub const PROVINCIAL_DIRECT_MARK: Rule = Rule::new(
    "provincial_direct_mark",
    "只有省文明办可以把单位标为（或取消）省直单位",
);
/// Counties nominate for their own city's campaign.
pub const NOMINATION_ORGANISER: Rule = Rule::new(
    "nomination.organiser",
    "该创建活动由 {organiser} 组织，本办只能向 {city} 组织的创建活动推荐",
);
/// The nomination deadline has passed.
pub const NOMINATION_DEADLINE: Rule = Rule::new(
    "nomination.deadline",
    "推荐截止日期 {deadline} 已过（以北京时间当日24时为准）",
);
/// Too few active nominations.
pub const NOMINATION_BATCH_MIN: Rule = Rule::new(
    "nomination.batch_min",
    "每个县（市、区）至少推荐 {min} 个非公单位，提交后本县将有 {found} 个",
);
/// Too many active nominations.
pub const NOMINATION_BATCH_MAX: Rule = Rule::new(
    "nomination.batch_max",
    "每个县（市、区）最多推荐 {max} 个非公单位，提交后本县将有 {found} 个",
);
/// A unit nominated twice in one campaign.
pub const NOMINATION_UNIQUE: Rule =
    Rule::new("nomination.unique", "单位“{unit}”已在本次创建活动中被推荐");
/// A nomination already decided.
pub const NOMINATION_STATUS: Rule = Rule::new(
    "nomination.status",
    "该推荐已处理（{status}），不能再次决定",
);
/// A title of the tier still held.
pub const TITLE_ALREADY_HELD: Rule =
    Rule::new("title.already_held", "该单位已持有有效的{tier}称号");
/// Only current titles are revoked.
pub const TITLE_CURRENT: Rule = Rule::new("title.current", "该称号当前状态为{state}，不能撤销");
/// Already in the reserve pool.
pub const RESERVE_POOL_ABSENT: Rule = Rule::new("reserve_pool.absent", "单位“{unit}”已在后备库中");
/// Not in the reserve pool.
pub const RESERVE_POOL_PRESENT: Rule =
    Rule::new("reserve_pool.present", "单位“{unit}”不在后备库中");

// Who may (the policy lets the kind of caller in; these are the service's own checks
// for a direct call and for the levels inside a kind).
/// Registering units.
pub const OFFICES_REGISTER: Rule = Rule::new("offices_register", "只有文明办可以登记单位");
/// A unit named both by name and by credit code, or by neither.
pub const UNIT_OR_CODE: Rule = Rule::new(
    "unit_or_credit_code",
    "请填写单位名称标识（unit）或统一社会信用代码（credit_code）其中之一",
);
/// Submitting applications.
pub const PLATFORMS_SUBMIT: Rule = Rule::new(
    "platforms_submit_applications",
    "只有获得授权的政务平台可以代非公单位提交创建申请",
);
/// Reading applications.
pub const READ_APPLICATIONS: Rule = Rule::new(
    "read_applications",
    "只有提交申请的政务平台和文明办可以查看创建申请",
);
/// Applications are for non-public units.
pub const APPLICATION_NON_PUBLIC: Rule = Rule::new(
    "application_non_public",
    "字段 {field} 应为非公单位类型：申请渠道只面向非公单位",
);
/// Deciding applications.
pub const DECIDES_APPLICATIONS: Rule = Rule::new(
    "decides_applications",
    "创建申请由单位所在县（市、区）文明办受理",
);
/// An application already decided.
pub const APPLICATION_DECIDED: Rule = Rule::new(
    "application.decided",
    "该申请已于此前处理（{state}），不能再次处理",
);
/// Asking whether a unit can help in a pairing.
pub const OFFICES_ASK_HELPERS: Rule = Rule::new(
    "offices_ask_helpers",
    "只有文明办可以查询单位能否作为结对帮创的帮扶方",
);
/// Deregistering units.
pub const OFFICES_DEREGISTER: Rule = Rule::new("offices_deregister", "只有文明办可以注销单位");
/// Keeping the reserve pool.
pub const OFFICES_POOL: Rule = Rule::new("offices_pool", "只有文明办可以管理后备库");
/// Provincial-direct units are kept by their office.
pub const KEPT_BY_PROVINCIAL_DIRECT: Rule = Rule::new(
    "kept_by_provincial_direct",
    "省直单位由省直文明办和省文明办管理，市、县文明办只能查看",
);
/// Organising campaigns.
pub const ORGANISE_CAMPAIGNS: Rule =
    Rule::new("organise_campaigns", "只有市级和省级文明办可以组织创建活动");
/// Moving a campaign's deadline.
pub const MOVE_DEADLINE_ORGANISER: Rule = Rule::new(
    "deadline_organiser",
    "只有组织该创建活动的文明办可以调整其截止日期",
);
/// A campaign that belongs to a provincial one carries the province's pairing-list
/// deadline.
pub const PAIRING_DEADLINE_PROVINCES: Rule = Rule::new(
    "campaign.pairing_deadline_provinces",
    "该创建活动隶属于省级创建活动“{parent}”，帮创名单上报截止日期由省文明办统一设定，请在省级创建活动上调整",
);
/// A deadline moved into the past.
pub const DEADLINE_IN_PAST: Rule = Rule::new(
    "deadline_in_past",
    "字段 {field} 的日期已过：截止日期只能调整到今天（{today}）或以后",
);
/// Only a city's campaign belongs to a provincial one.
pub const PARENT_FOR_CITIES: Rule = Rule::new(
    "parent_for_cities",
    "只有市级文明办组织的创建活动可以隶属于省级创建活动",
);
/// The parent must be the province's.
pub const PARENT_PROVINCIAL: Rule = Rule::new(
    "parent_provincial",
    "字段 {field} 应为省文明办组织的创建活动",
);
/// The pairing-list deadline comes from the parent.
pub const PAIRING_DEADLINE_INHERITED: Rule = Rule::new(
    "pairing_deadline_inherited",
    "隶属于省级创建活动的活动沿用省级的帮创名单上报截止日期，字段 {field} 应留空",
);
/// Reading campaigns.
pub const OFFICES_READ_CAMPAIGNS: Rule =
    Rule::new("offices_read_campaigns", "只有文明办可以查看创建活动");
/// Platforms only verify.
pub const PLATFORMS_VERIFY_ONLY: Rule =
    Rule::new("platforms_verify_only", "政务平台只能核验文明单位称号");
/// VerifyTitle asked to attest by a registry that holds no attestation key.
pub const NO_ATTESTATION_KEY: Rule = Rule::new(
    "attestation_key",
    "本系统未配置称号核验签名密钥，暂不能出具签名核验结果",
);
/// The title-change feed is read by granted platforms and the province only.
pub const TITLE_FEED_READERS: Rule = Rule::new(
    "title_feed_readers",
    "称号变更订阅仅限获授权的政务平台和省文明办",
);
/// A platform without the grant.
pub const PLATFORM_NOT_GRANTED: Rule =
    Rule::new("platform_not_granted", "该政务平台未获授权核验文明单位称号");
/// Counties nominate.
pub const COUNTIES_NOMINATE: Rule = Rule::new(
    "counties_nominate",
    "只有县（市、区）文明办和省直文明办可以推荐培育对象",
);
/// The organiser decides.
pub const ORGANISER_DECIDES: Rule = Rule::new(
    "organiser_decides",
    "只有组织该创建活动的文明办可以审核推荐",
);
/// City titles.
pub const CITY_TITLES: Rule = Rule::new(
    "city_titles",
    "市级文明单位称号由单位所在市的文明办授予和撤销",
);
/// Provincial and national titles.
/// Only the province commends pairings (通报表扬).
pub const COMMENDED_BY_PROVINCE: Rule =
    Rule::new("commended_by_province", "结对帮扶通报表扬由省文明办作出");
pub const PROVINCIAL_TITLES: Rule = Rule::new(
    "provincial_titles",
    "省级文明单位（标兵）和全国文明单位称号由省文明办授予、记录和撤销",
);

/// A credit code's violation, in both languages.
pub fn credit_code_violation(field: &str, err: &CreditCodeError) -> Violation {
    let violation = |rule| Violation::new(field, rule, err.to_string());
    match *err {
        CreditCodeError::Length { expected, found } => violation(&CREDIT_CODE_LENGTH)
            .arg("expected", expected)
            .arg("found", found),
        CreditCodeError::Charset { position, found } => violation(&CREDIT_CODE_CHARSET)
            .arg("position", position)
            .arg("found", found),
        CreditCodeError::RegionDigits { position, .. } => {
            violation(&CREDIT_CODE_REGION_DIGITS).arg("position", position)
        }
        CreditCodeError::OrganisationCheck { expected, found } => violation(&ORGANISATION_CHECK)
            .arg("expected", expected)
            .arg("found", found),
        CreditCodeError::CheckCharacter { expected, found } => violation(&CHECK_CHARACTER)
            .arg("expected", expected)
            .arg("found", found),
    }
}

/// A phone number's violation, in both languages.
pub fn phone_violation(field: &str, err: &PhoneNumberError) -> Violation {
    let violation = |rule| Violation::new(field, rule, err.to_string());
    match *err {
        PhoneNumberError::InvalidCharacter { position, found } => violation(&PHONE_CHARACTER)
            .arg("position", position)
            .arg("found", found),
        PhoneNumberError::TooFewDigits { min, .. } => violation(&PHONE_TOO_FEW).arg("min", min),
        PhoneNumberError::TooManyDigits { max, .. } => violation(&PHONE_TOO_MANY).arg("max", max),
    }
}

#[cfg(test)]
mod tests {
    use wenming_domain::{CreditCode, PhoneNumber};

    use super::*;

    /// The domain names each failure; the catalogue's rule for it carries the same name.
    #[test]
    fn domain_rule_names_and_catalogue_names_agree() {
        let valid = CreditCode::complete("91410421MA000001").unwrap();
        let mut wrong_check = valid.as_str().to_owned();
        let last = wrong_check.pop().unwrap();
        wrong_check.push(if last == '0' { '1' } else { '0' });
        let mut wrong_org = valid.as_str()[..16].to_owned();
        wrong_org.push(if valid.as_str().as_bytes()[16] == b'0' {
            '1'
        } else {
            '0'
        });
        wrong_org.push('0');
        for text in [
            "914104",
            "91410421MA00000I1X",
            "91A10421MA0000011X",
            &wrong_org,
            &wrong_check,
        ] {
            let err = CreditCode::parse(text).unwrap_err();
            let violation = credit_code_violation("f", &err);
            assert_eq!(violation.rule.name, err.rule(), "{text}");
            assert!(!violation.zh_cn().contains('{'), "{}", violation.zh_cn());
        }
        for text in ["1380000123a", "123", "1234567890123456789012"] {
            let err = PhoneNumber::parse(text).unwrap_err();
            let violation = phone_violation("f", &err);
            assert_eq!(violation.rule.name, err.rule(), "{text}");
            assert!(!violation.zh_cn().contains('{'), "{}", violation.zh_cn());
        }
    }
}
