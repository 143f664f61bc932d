//! The quota service's catalogue: every rule it refuses a call by, with the zh-CN text an
//! official reads (the English sentence for integrators is written where the rule is
//! checked). Rules shared by every service are in `wenming_runtime::catalogue::common`.

use wenming_runtime::catalogue::{Noun, Rule};

// Resources.
/// 指标分配表.
pub const TABLE: Noun = Noun::new("allocation table", "指标分配表");
/// 重点培养对象.
pub const DESIGNATION: Noun = Noun::new("designation", "重点培养对象");
/// The service, as others name it.
pub const QUOTA_SERVICE: Noun = Noun::new("quota service", "指标分配服务");

// Who may.
/// Tables are the province's.
pub const PROVINCE_ONLY: Rule = Rule::new(
    "quota.province_only",
    "只有省文明办可以导入、确认和调整指标分配表",
);
/// Designations are the holders'.
pub const HOLDERS_ONLY: Rule = Rule::new(
    "quota.holders_only",
    "只有省辖市（含济源示范区）文明办和省直文明办在本单位指标内确定重点培养对象",
);
/// Fulfilment is read by the province and the holders.
pub const FULFILMENT_READERS: Rule = Rule::new(
    "quota.fulfilment_readers",
    "只有省文明办、省辖市（含济源示范区）文明办和省直文明办可以查看指标完成情况",
);

// The file.
/// Not a period like 2021-2023.
pub const PERIOD: Rule = Rule::new(
    "period",
    "“{value}”不是形如 allocationTables/2021-2023 的指标分配表名称（起止年份，最多 10 年）",
);
/// A version's name.
pub const VERSION_NAME: Rule = Rule::new(
    "version_name",
    "“{value}”不是形如 allocationTables/2021-2023/versions/1 的版本名称",
);
/// A file that is not text or a workbook.
pub const UNREADABLE: Rule = Rule::new("unreadable", "文件无法读取：{reason}");
/// Format neither given nor in the file's name.
pub const FORMAT: Rule = Rule::new(
    "format",
    "无法判断文件格式：请注明格式，或使用 .tsv、.txt、.csv、.xlsx 文件名",
);
/// No header row.
pub const HEADER: Rule = Rule::new(
    "table.header",
    "文件中没有表头行：第一列为地市，另两列为“河南省文明单位标兵（个）”和“河南省文明单位（个）”",
);
/// A header cell that names no tier.
pub const COLUMN: Rule = Rule::new(
    "table.column",
    "第 {row} 行第 {column} 列“{value}”不是指标列：应为“河南省文明单位标兵（个）”或“河南省文明单位（个）”",
);
/// A tier with no column, or two.
pub const COLUMN_COUNT: Rule = Rule::new(
    "table.column_count",
    "表头应有且只有一列{tier}指标，现有 {count} 列",
);
/// A row naming no holder.
pub const HOLDER_UNKNOWN: Rule = Rule::new(
    "table.holder_unknown",
    "第 {row} 行第 1 列“{value}”不是省辖市、济源示范区或省直",
);
/// A holder given twice.
pub const HOLDER_TWICE: Rule = Rule::new(
    "table.holder_twice",
    "第 {row} 行第 1 列：{holder}已在第 {first} 行出现",
);
/// A holder left out.
pub const HOLDER_MISSING: Rule = Rule::new("table.holder_missing", "表中缺少“{holder}”一行");
/// A cell that is not a whole number.
pub const NUMBER: Rule = Rule::new(
    "table.number",
    "第 {row} 行（{holder}）第 {column} 列（{header}）：“{value}”不是整数",
);
/// A negative cell.
pub const NEGATIVE: Rule = Rule::new(
    "table.negative",
    "第 {row} 行（{holder}）第 {column} 列（{header}）：{value} 不能为负数",
);
/// A row after the total row.
pub const AFTER_TOTAL: Rule = Rule::new(
    "table.after_total",
    "第 {row} 行在“合 计”行之后：合计行应为表的最后一行",
);
/// Too large a file.
pub const FILE_SIZE: Rule = Rule::new("file_size", "文件超过 {max} 字节，请检查是否选错了文件");

// Business rules.
/// No confirmed table yet.
pub const NO_TABLE_IN_FORCE: Rule = Rule::new(
    "quota.no_table_in_force",
    "{table} 尚无经省文明办确认的版本，暂不能确定重点培养对象",
);
/// Only the newest draft is confirmed.
pub const NOT_A_DRAFT: Rule = Rule::new(
    "quota.not_a_draft",
    "{version} 不是待确认的最新草稿（当前状态：{state}）",
);
/// Declared totals that differ.
pub const DISCREPANCIES: Rule = Rule::new(
    "quota.discrepancies",
    "声明的合计与各行之和不符：{list}。请更正后重新导入，或确认按各行数字执行（accept_discrepancies）",
);
/// A quota below what is designated.
pub const BELOW_DESIGNATED: Rule = Rule::new(
    "quota.below_designated",
    "{holder}{tier}指标不能调为 {quota} 个：已确定 {used} 个重点培养对象，请先撤销",
);
/// A reallocation that changes a total.
pub const TOTAL_CHANGED: Rule = Rule::new(
    "quota.total_changed",
    "调整后{tier}总数由 {before} 个变为 {after} 个；如确需调整总数，请同时注明调整总数（change_totals）",
);
/// A reallocated quota out of range.
pub const QUOTA_RANGE: Rule = Rule::new(
    "quota.range",
    "字段 {field} 的指标 {value} 应在 0 到 {max} 之间",
);
/// A holder's tier changed twice in one reallocation.
pub const CHANGE_TWICE: Rule = Rule::new(
    "quota.change_twice",
    "字段 {field}：{holder}{tier}指标在本次调整中出现了两次",
);
/// A tier that has no quota.
pub const TIER: Rule = Rule::new(
    "quota.tier",
    "字段 {field} 应为河南省文明单位标兵或河南省文明单位",
);
/// A holder name.
pub const HOLDER: Rule = Rule::new(
    "quota.holder",
    "“{value}”不是指标单位：应为 offices/省辖市代码 或 offices/provincial-direct",
);
/// A unit that is not the holder's.
pub const UNIT_HOLDER: Rule = Rule::new(
    "quota.unit_holder",
    "“{unit}”的指标属于{holder}：省直单位由省直文明办确定，其他单位由所在省辖市文明办确定",
);
/// Only non-public units are designated.
pub const UNIT_NOT_NON_PUBLIC: Rule = Rule::new(
    "quota.unit_not_non_public",
    "“{unit}”不是非公单位，只有结对帮创的非公单位可以确定为重点培养对象",
);
/// A deregistered unit.
pub const UNIT_DEREGISTERED: Rule = Rule::new("quota.unit_deregistered", "“{unit}”已注销");
/// A unit without an open pairing.
pub const NOT_PAIRED: Rule = Rule::new(
    "quota.not_paired",
    "“{unit}”目前没有进行中的结对帮创，只有已结对的非公单位可以确定为重点培养对象",
);
/// A withdrawn designation.
pub const NOT_ACTIVE: Rule = Rule::new("quota.not_active", "{designation} 已撤销");
/// The quota is full (RESOURCE_EXHAUSTED).
pub const FULL: &str =
    "{holder}{tier}指标 {quota} 个已全部确定（已确定 {used} 个），请先撤销一个再确定";

// Recommendation places (R8).
/// 评选推荐.
pub const ROUND: Noun = Noun::new("recommendation round", "评选推荐");
/// 推荐名单.
pub const LIST: Noun = Noun::new("recommendation list", "推荐名单");
/// A round's name.
pub const ROUND_NAME: Rule = Rule::new(
    "round_name",
    "“{value}”不是形如 recommendationRounds/2022 的评选推荐名称",
);
/// A list's name.
pub const LIST_NAME: Rule = Rule::new(
    "list_name",
    "“{value}”不是形如 recommendationRounds/2022/lists/410400 的推荐名单名称（地市代码、provincial-direct 或 province）",
);
/// A round's tier.
pub const ROUND_TIER: Rule = Rule::new(
    "round.tier",
    "字段 {field} 应为全国文明单位、河南省文明单位标兵或河南省文明单位",
);
/// A percentage.
pub const PERCENT: Rule = Rule::new("round.percent", "字段 {field} 应为 0 到 100 之间的百分比");
/// Places out of range.
pub const PLACES_RANGE: Rule = Rule::new(
    "round.places_range",
    "字段 {field} 的名额 {value} 应在 0 到 {max} 之间",
);
/// Lines above the places.
pub const LINES: Rule = Rule::new(
    "round.lines",
    "字段 {field}：非公单位 {non_public} 个与社区（街道）{community} 个之和超过名额 {places} 个",
);
/// A holder given twice in a round.
pub const ROUND_HOLDER_TWICE: Rule =
    Rule::new("round.holder_twice", "字段 {field}：{holder}出现了两次");
/// The province's own places, set exactly for national rounds.
pub const PROVINCE_PLACES: Rule = Rule::new(
    "round.province_places",
    "字段 {field}：只有全国文明单位评选推荐设省文明办本级名额（holder 为 offices/410000）",
);
/// A round already set for the year.
pub const ROUND_EXISTS: &str = "the year already has a recommendation round";
/// A unit twice on one list.
pub const UNIT_TWICE: Rule = Rule::new(
    "list.unit_twice",
    "字段 {field}：“{value}”在名单中出现了两次",
);
/// Whose list the caller submits.
pub const LIST_OWNER: Rule = Rule::new(
    "recommendation.list_owner",
    "只能提交本单位的推荐名单：省辖市（含济源示范区）文明办和省直文明办提交本地区名单，省文明办提交全国文明单位推荐名单",
);
/// A province list in a round that is not national.
pub const NOT_NATIONAL: Rule = Rule::new(
    "recommendation.not_national",
    "{round} 不是全国文明单位评选推荐，省文明办不提交本级名单",
);
/// Holders' lists are closed once the province has submitted its national list.
pub const ROUND_CLOSED: Rule = Rule::new(
    "recommendation.round_closed",
    "省文明办已提交{round}的全国推荐名单，各地名单不再调整",
);
/// A holder without places.
pub const NO_PLACES: Rule = Rule::new(
    "recommendation.no_places",
    "{round} 未给{holder}分配推荐名额",
);
/// Too many units.
pub const REC_PLACES: Rule = Rule::new(
    "recommendation.places",
    "名单共 {units} 个单位，超过推荐名额 {places} 个",
);
/// The agency cap.
pub const REC_AGENCY_CAP: Rule = Rule::new(
    "recommendation.agency_cap",
    "行政机关 {count} 个，占全部 {units} 个的 {share}%，超过上限 {cap}%",
);
/// The non-public line.
pub const REC_NON_PUBLIC: Rule = Rule::new(
    "recommendation.non_public_minimum",
    "非公单位 {count} 个，少于单列指标 {minimum} 个",
);
/// The community line.
pub const REC_COMMUNITY: Rule = Rule::new(
    "recommendation.community_minimum",
    "社区（街道）{count} 个，少于单列指标 {minimum} 个",
);
/// The base-level share.
pub const REC_BASE_LEVEL: Rule = Rule::new(
    "recommendation.base_level_share",
    "基层单位 {count} 个，占全部 {units} 个的 {share}%，低于要求的 {minimum}%",
);
/// A unit of another holder.
pub const REC_UNIT_HOLDER: Rule =
    Rule::new("recommendation.unit_holder", "“{unit}”应由{holder}推荐");
/// A deregistered unit.
pub const REC_DEREGISTERED: Rule = Rule::new("recommendation.unit_deregistered", "“{unit}”已注销");
/// Not among the holders' candidates.
pub const REC_NOT_A_CANDIDATE: Rule = Rule::new(
    "recommendation.not_a_candidate",
    "“{unit}”不在各地已通过的推荐名单中",
);
/// A list breaking rules (FAILED_PRECONDITION).
pub const LIST_BREAKS: &str = "推荐名单不符合评选推荐规则，未予接收：{list}";
