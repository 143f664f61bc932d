//! The supervision service's catalogue: every rule it refuses a call by, with the zh-CN
//! text an official reads. Rules shared by every service are in
//! `wenming_runtime::catalogue::common`.

use wenming_runtime::catalogue::{Noun, Rule};

/// 督导检查.
pub const INSPECTION: Noun = Noun::new("inspection", "督导检查");

/// Only offices plan and record.
pub const OFFICES_ONLY: Rule = Rule::new(
    "supervision.offices_only",
    "只有文明办可以安排和记录督导检查",
);
/// Only the planning office records or cancels.
pub const PLANNING_OFFICE: Rule = Rule::new(
    "supervision.planning_office",
    "只有安排这次督导检查的文明办可以记录或取消它",
);
/// A target's name.
pub const TARGET: Rule = Rule::new(
    "inspection.target",
    "“{value}”不是督导对象：应为 regions/地区代码、units/单位编号 或 pairings/结对编号",
);
/// A region target outside the office's region.
pub const TARGET_REGION: Rule = Rule::new(
    "inspection.target_region",
    "{value} 不在本文明办辖区内，或不是市、县（市、区）",
);
/// Dates in order.
pub const DATES: Rule = Rule::new(
    "inspection.dates",
    "计划结束日期 {end} 早于开始日期 {start}",
);
/// At least one inspector.
pub const INSPECTORS: Rule = Rule::new("inspection.inspectors", "至少需要一名督导人员");
/// Too many inspectors or findings.
pub const TOO_MANY: Rule = Rule::new("too_many", "字段 {field} 最多 {max} 项");
/// A visit in the future.
pub const VISIT_DAY: Rule = Rule::new("visit.visited_on", "检查日期 {value} 晚于今天");
/// Not planned any more.
pub const NOT_PLANNED: Rule = Rule::new(
    "inspection.not_planned",
    "{inspection} 已{state}，不能再记录或取消",
);
/// A finding's cause, required for low enthusiasm.
pub const CAUSE: Rule = Rule::new(
    "finding.cause",
    "字段 {field}：“积极性不高”的发现需写明原因",
);

// Rectification (责任到人、具体到事).
/// 整改任务.
pub const TASK: Noun = Noun::new("rectification task", "整改任务");
/// A finding's name.
pub const FINDING_NAME: Rule = Rule::new(
    "task.finding",
    "“{value}”不是形如 inspections/编号/findings/1 的检查发现",
);
/// The follow-up office.
pub const FOLLOW_UP: Rule = Rule::new(
    "task.follow_up_office",
    "“{value}”不能跟进此任务：应为安排检查的文明办，或其下辖、管辖被检查对象的文明办",
);
/// Tasks come from recorded visits.
pub const NOT_RECORDED: Rule = Rule::new(
    "task.not_recorded",
    "{inspection} 尚未记录检查结果，不能据此开出整改任务",
);
/// No such finding.
pub const NO_FINDING: Rule = Rule::new("task.no_finding", "{inspection} 没有第 {n} 条发现");
/// A due date before the visit.
pub const DUE_DATE: Rule = Rule::new("task.due_date", "整改期限 {value} 早于检查日期 {visited}");
/// Who records progress.
pub const PROGRESS_BY: Rule = Rule::new(
    "task.progress_by",
    "只有被检查单位、其结对帮扶单位和跟进的文明办可以记录整改进展",
);
/// Who closes and reopens.
pub const FOLLOW_UP_ONLY: Rule = Rule::new(
    "task.follow_up_only",
    "只有跟进的文明办及其上级文明办可以关闭或重新打开整改任务",
);
/// A task in the wrong state.
pub const TASK_STATE: Rule = Rule::new("task.state", "{task} 当前为{state}，不能{action}");

// Consequences (通报表扬, 约谈).
/// 通报表扬.
pub const COMMENDATION: Noun = Noun::new("commendation", "通报表扬");
/// 约谈.
pub const TALK: Noun = Noun::new("admonishment talk", "约谈");
/// Only the province commends.
pub const COMMENDED_BY_PROVINCE: Rule =
    Rule::new("commendation.by_province", "结对帮扶通报表扬由省文明办作出");
/// Only pairings that worked are commended.
pub const PAIRING_NOT_WORKED: Rule = Rule::new(
    "commendation.pairing_state",
    "{pairing} 当前为{state}，只有进行中或已结束的结对可以通报表扬",
);
/// A day in the future.
pub const NOT_AFTER_TODAY: Rule =
    Rule::new("not_after_today", "字段 {field} 的日期 {value} 晚于今天");
/// Only the summoning office records or cancels.
pub const SUMMONING_OFFICE: Rule = Rule::new(
    "talk.summoning_office",
    "只有约谈的文明办可以记录或取消这次约谈",
);
/// Not scheduled any more.
pub const TALK_STATE: Rule = Rule::new("talk.state", "{talk} 已{state}，不能再记录或取消");
/// The finding that prompted a talk is about another unit.
pub const TALK_FINDING: Rule = Rule::new("talk.finding", "{finding} 不是对 {unit} 的检查发现");
/// A list that needs at least one entry.
pub const AT_LEAST_ONE: Rule = Rule::new("at_least_one", "字段 {field} 至少需要一项");
/// A follow-up due before the talk.
pub const TALK_DUE_DATE: Rule = Rule::new("talk.due_date", "整改期限 {value} 早于约谈日期 {held}");

// Progress reports.
/// A report region outside the caller's.
pub const REPORT_REGION: Rule = Rule::new("progress.region", "{value} 不在本文明办辖区内");
/// A period that ends before it starts.
pub const PERIOD: Rule = Rule::new(
    "progress.period",
    "统计期结束日期 {end} 早于开始日期 {start}",
);
