//! A version as the XLSX workbook officials file: the annex's layout (title line, a
//! header row, one row per holder, the total row "合 计") with, beside each tier's
//! quota, the places designated, the units titled and the gap. Fulfilment cells are
//! left empty for holders the caller may not read. The file imports again as it is:
//! the import skips the title lines and the fulfilment columns.

use std::collections::BTreeMap;

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};
use wenming_domain::{Divisions, QUOTA_TIERS, QuotaHolder};

use crate::error::{QuotaError, Result};
use crate::rules::{self, Period, TierCount};
use crate::store::VersionView;

/// The workbook's media type.
pub const CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The headers after a tier's quota column, in order. The import knows them as
/// fulfilment columns (see [`rules::is_fulfilment_header`]).
pub const FULFILMENT_HEADERS: [&str; 3] = ["已确定培养", "已获评", "缺口"];

/// "2021—2023年度全省重点培养结对帮创非公单位指标分配表（第2版）.xlsx".
pub fn file_name(period: Period, version: i64) -> String {
    format!("{}（第{version}版）.xlsx", title(period))
}

fn title(period: Period) -> String {
    format!(
        "{}年度全省重点培养结对帮创非公单位指标分配表",
        period.label_zh()
    )
}

fn state_label(state: &str) -> &'static str {
    match state {
        "draft" => "草稿，尚未确认",
        "confirmed" => "执行中",
        "superseded" => "已被新版本取代",
        _ => "已作废",
    }
}

/// The workbook of `view`, with `counts` for the holders the caller may read.
pub fn workbook(
    period: Period,
    view: &VersionView,
    counts: &BTreeMap<QuotaHolder, [TierCount; 2]>,
    divisions: &Divisions,
) -> Result<Vec<u8>> {
    build(period, view, counts, divisions)
        .map_err(|err| QuotaError::Internal(format!("xlsx: {err}")))
}

fn build(
    period: Period,
    view: &VersionView,
    counts: &BTreeMap<QuotaHolder, [TierCount; 2]>,
    divisions: &Divisions,
) -> std::result::Result<Vec<u8>, XlsxError> {
    let per_tier = 1 + FULFILMENT_HEADERS.len() as u16;
    let last_column = per_tier * QUOTA_TIERS.len() as u16;
    let title_format = Format::new()
        .set_bold()
        .set_font_size(16)
        .set_align(FormatAlign::Center);
    let cell = Format::new()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center);
    let header = cell.clone().set_bold().set_text_wrap();

    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("指标分配表")?;
    sheet.merge_range(0, 0, 0, last_column, &title(period), &title_format)?;
    sheet.merge_range(
        1,
        0,
        1,
        last_column,
        &format!(
            "第 {} 版（{}）；已确定培养、已获评、缺口为导出当日数字",
            view.record.version,
            state_label(&view.record.state)
        ),
        &Format::new().set_align(FormatAlign::Right),
    )?;
    sheet.write_string_with_format(2, 0, "地 市", &header)?;
    for (t, tier) in QUOTA_TIERS.iter().enumerate() {
        let first = 1 + per_tier * t as u16;
        sheet.write_string_with_format(
            2,
            first,
            format!("{}（个）", rules::tier_title(*tier)),
            &header,
        )?;
        for (k, text) in FULFILMENT_HEADERS.iter().enumerate() {
            sheet.write_string_with_format(2, first + 1 + k as u16, *text, &header)?;
        }
    }
    sheet.set_column_width(0, 14)?;
    sheet.set_column_range_width(1, last_column, 12)?;
    sheet.set_row_height(2, 36)?;

    let mut totals = [TierCount::default(); 2];
    let mut row = 3;
    for holder_row in &view.rows {
        sheet.write_string_with_format(row, 0, holder_row.holder.display_name(divisions), &cell)?;
        let count = counts.get(&holder_row.holder);
        for t in 0..QUOTA_TIERS.len() {
            let first = 1 + per_tier * t as u16;
            let quota = holder_row.quotas[t];
            sheet.write_number_with_format(row, first, quota as f64, &cell)?;
            if let Some(count) = count {
                let count = TierCount { quota, ..count[t] };
                totals[t] = totals[t].plus(count);
                write_fulfilment(sheet, row, first + 1, count, &cell)?;
            } else {
                for k in 0..FULFILMENT_HEADERS.len() as u16 {
                    sheet.write_blank(row, first + 1 + k, &cell)?;
                }
            }
        }
        row += 1;
    }
    sheet.write_string_with_format(row, 0, "合 计", &header)?;
    let sums = rules::totals(&view.rows);
    for t in 0..QUOTA_TIERS.len() {
        let first = 1 + per_tier * t as u16;
        sheet.write_number_with_format(row, first, sums[t] as f64, &header)?;
        if counts.is_empty() {
            for k in 0..FULFILMENT_HEADERS.len() as u16 {
                sheet.write_blank(row, first + 1 + k, &header)?;
            }
        } else {
            write_fulfilment(sheet, row, first + 1, totals[t], &header)?;
        }
    }
    book.save_to_buffer()
}

fn write_fulfilment(
    sheet: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    column: u16,
    count: TierCount,
    format: &Format,
) -> std::result::Result<(), XlsxError> {
    for (k, n) in [count.designated, count.titled, count.gap()]
        .into_iter()
        .enumerate()
    {
        sheet.write_number_with_format(row, column + k as u16, n as f64, format)?;
    }
    Ok(())
}
