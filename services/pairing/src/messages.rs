//! The pairing service's catalogue: every rule it refuses a call by, with the zh-CN text
//! an official reads (the English sentence for integrators is written where the rule is
//! checked). Rules shared by every service are in `wenming_runtime::catalogue::common`.

use wenming_runtime::catalogue::{Noun, Rule};

// Resources.
/// 结对.
pub const PAIRING: Noun = Noun::new("pairing", "结对帮创");
/// 帮创名单.
pub const PAIRING_LIST: Noun = Noun::new("pairing list", "帮创名单");
/// 一对一例外.
pub const PAIRING_EXCEPTION: Noun = Noun::new("pairing exception", "一对一结对例外");
/// 文明办 as a helper.
pub const OFFICE: Noun = Noun::new("office", "文明办");
/// 创建工作方案.
pub const WORK_PLAN: Noun = Noun::new("work plan", "创建工作方案");
/// 工作台账.
pub const LEDGER_ENTRY: Noun = Noun::new("ledger entry", "工作台账记录");
/// 创建活动 of a pairing.
pub const ACTIVITY: Noun = Noun::new("activity", "创建活动记录");

// Fields.
/// Lists are kept by city and county offices.
pub const LIST_OFFICE: Rule = Rule::new(
    "list_office",
    "{value} 不是市级或县级文明办，只有市、县（市、区）文明办和省直文明办有帮创名单",
);
/// A date after today.
pub const NOT_IN_FUTURE: Rule =
    Rule::new("not_in_future", "{field} 不能晚于今天（北京时间 {today}）");
/// An office helper of the wrong level.
pub const HELPER_LEVEL: Rule = Rule::new("helper_level", "{value} 不是{level}文明办");
/// A unit helping itself.
pub const SELF: Rule = Rule::new("self", "单位不能与自己结对");
/// An activity ending before it starts.
pub const NOT_BEFORE_START: Rule = Rule::new("not_before_start", "活动结束日期早于开始日期");
/// A ledger entry naming another pairing's activity.
pub const UNKNOWN_ACTIVITY: Rule = Rule::new("unknown_activity", "该活动不属于本结对");

// Business rules.
/// A deregistered helper unit.
pub const HELPER_DEREGISTERED: Rule =
    Rule::new("pairing.helper_deregistered", "帮创单位“{helper}”已注销");
/// A helper unit without the title its kind needs.
pub const HELPER_TITLE: Rule = Rule::new(
    "pairing.helper_title",
    "帮创单位“{helper}”在今天（{today}）未持有有效的{tier}称号",
);
/// Only non-public units are helped.
pub const UNIT_NOT_NON_PUBLIC: Rule = Rule::new(
    "pairing.unit_not_non_public",
    "“{unit}”不是非公单位，只有非公单位可以结对帮创",
);
/// A unit another office pairs.
pub const UNIT_OFFICE: Rule = Rule::new(
    "pairing.unit_office",
    "“{unit}”不由本办安排结对：省直单位由省直文明办安排，其他单位由所在市、县文明办安排",
);
/// A deregistered unit.
pub const UNIT_DEREGISTERED: Rule = Rule::new("pairing.unit_deregistered", "该单位已注销");
/// One helper, one unit.
pub const ONE_TO_ONE: Rule = Rule::new(
    "pairing.one_to_one",
    "该帮创单位或非公单位已有进行中的结对；按“一对一”原则，再结对需经省文明办批准例外",
);
/// A lifecycle step the state does not allow.
pub const LIFECYCLE: Rule = Rule::new("pairing.lifecycle", "结对当前为“{from}”，不能变为“{to}”");
/// Work on a closed pairing.
pub const CLOSED: Rule = Rule::new("pairing.closed", "结对已结束或解除，其工作不能再修改");
/// Ledger entries need an active pairing.
pub const NOT_ACTIVE: Rule = Rule::new(
    "pairing.not_active",
    "工作台账记录的是已确认结对的工作，请先确认结对",
);
/// A reported list.
pub const LIST_REPORTED: Rule = Rule::new(
    "pairing_list.reported",
    "帮创名单已上报省文明办，需省文明办退回后才能修改",
);
/// A list that is not reported.
pub const LIST_OPEN: Rule = Rule::new("pairing_list.open", "该帮创名单尚未上报，无需退回");

// Who may (the policy lets the kind of caller in; these are the service's own checks
// for a direct call and for the levels inside a kind).
/// Arranging pairings.
pub const ARRANGE: Rule = Rule::new("arrange", "只有市级、县级文明办可以安排结对帮创");
/// Exceptions to one-to-one.
pub const GRANT_EXCEPTIONS: Rule =
    Rule::new("grant_exceptions", "只有省文明办可以批准一对一结对的例外");
/// Reopening lists.
pub const REOPEN_LISTS: Rule = Rule::new("reopen_lists", "只有省文明办可以退回已上报的帮创名单");
/// Following every office's list.
pub const FOLLOW_REPORTS: Rule =
    Rule::new("follow_reports", "只有省文明办可以查看全省帮创名单上报情况");
/// The roll-up is of a provincial campaign.
pub const NOT_PROVINCIAL: Rule = Rule::new(
    "campaign.not_provincial",
    "“{campaign}”不是省文明办组织的创建活动，没有全省帮创名单上报情况",
);
/// Reading lists.
pub const READ_LISTS: Rule = Rule::new("read_lists", "只有文明办可以查看帮创名单");
/// Reporting lists.
pub const REPORT_LISTS: Rule = Rule::new("report_lists", "只有市级、县级文明办可以上报帮创名单");
/// A list is reported by its own office.
pub const REPORT_OWN_LIST: Rule = Rule::new("report_own_list", "帮创名单由其所属的文明办自行上报");
/// Confirming a pairing.
pub const CONFIRM: Rule = Rule::new(
    "confirm",
    "只有安排结对的文明办、其上级文明办或帮创方可以确认结对",
);
/// Ending a pairing.
pub const END: Rule = Rule::new(
    "end",
    "只有安排结对的文明办或其上级文明办可以结束或解除结对",
);
/// Writing a pairing's work.
pub const WORK: Rule = Rule::new(
    "work",
    "只有帮创方和受帮扶单位可以填写结对的工作，上级文明办只能查看",
);
