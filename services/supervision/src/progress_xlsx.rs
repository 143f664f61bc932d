//! A progress report as the workbook officials file: one sheet per level (省、市、县),
//! a title line, Chinese headers, one row per region.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};
use wenming_proto::supervision::v1 as pb;

use crate::error::{Result, SupervisionError};

/// The workbook's media type.
pub const CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The column headers, in order.
pub const HEADERS: [&str; 19] = [
    "地区代码",
    "地区",
    "单位数",
    "后备库",
    "推荐待审",
    "确定培育对象",
    "推荐退回",
    "结对中",
    "帮创台账（条）",
    "创建活动（次）",
    "获评单位",
    "逾期事项",
    "督导检查（次）",
    "整改中任务",
    "通报表扬",
    "约谈",
    "重点培养指标",
    "已确定培养",
    "上级地区代码",
];

/// "平顶山市创建工作进度（2021-05-03）.xlsx".
pub fn file_name(report: &pb::ProgressReport) -> String {
    let name = report
        .rows
        .first()
        .map_or(report.region_code.as_str(), |r| r.display_name.as_str());
    format!("{name}创建工作进度（{}）.xlsx", report.as_of)
}

fn sheet_name(level: i32) -> &'static str {
    match pb::ProgressLevel::try_from(level) {
        Ok(pb::ProgressLevel::Province) => "省级",
        Ok(pb::ProgressLevel::City) => "市级",
        _ => "县级",
    }
}

/// The workbook of `report`.
pub fn workbook(report: &pb::ProgressReport) -> Result<Vec<u8>> {
    build(report).map_err(|err| SupervisionError::Internal(format!("xlsx: {err}")))
}

fn build(report: &pb::ProgressReport) -> std::result::Result<Vec<u8>, XlsxError> {
    let title_format = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    let cell = Format::new().set_border(FormatBorder::Thin);
    let header = cell.clone().set_bold().set_text_wrap();
    let last = HEADERS.len() as u16 - 1;
    let mut book = Workbook::new();
    let mut levels: Vec<i32> = report.rows.iter().map(|r| r.level).collect();
    levels.dedup();
    for level in levels {
        let sheet = book.add_worksheet();
        sheet.set_name(sheet_name(level))?;
        let title = format!(
            "{}非公单位文明单位创建工作进度（截至 {}）",
            report.rows.first().map_or("", |r| r.display_name.as_str()),
            report.as_of
        );
        sheet.merge_range(0, 0, 0, last, &title, &title_format)?;
        for (c, text) in HEADERS.iter().enumerate() {
            sheet.write_string_with_format(1, c as u16, *text, &header)?;
        }
        sheet.set_column_range_width(0, last, 12)?;
        for (at, row) in (2..).zip(report.rows.iter().filter(|r| r.level == level)) {
            sheet.write_string_with_format(at, 0, &row.region_code, &cell)?;
            sheet.write_string_with_format(at, 1, &row.display_name, &cell)?;
            let numbers = [
                row.units,
                row.reserve_pool,
                row.nominations_submitted,
                row.nominations_accepted,
                row.nominations_returned,
                row.open_pairings,
                row.ledger_entries,
                row.activities,
                row.titled_units,
                row.overdue_items,
                row.inspections_done,
                row.open_tasks,
                row.commendations,
                row.admonishment_talks,
                row.places,
                row.designated,
            ];
            for (k, n) in numbers.into_iter().enumerate() {
                sheet.write_number_with_format(at, 2 + k as u16, n as f64, &cell)?;
            }
            sheet.write_string_with_format(at, last, &row.parent_code, &cell)?;
        }
    }
    book.save_to_buffer()
}
