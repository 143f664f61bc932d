//! `wenming import units FILE`: reads CSV or XLSX and streams it through ImportUnits
//! (run by the binary through the gateway, with the caller's token).
//!
//! Columns (first row, any order; only the first four are required):
//! display_name, credit_code, region_code, kind, scale, nature, employees, main_business,
//! annual_revenue_10k_yuan, party_organisation_type, party_members, party_instructor,
//! party_service_centre, officer_name, officer_phone, base_level.
//! `kind` takes private_enterprise, foreign_funded_enterprise, social_organisation,
//! individual_business, administrative_agency, public_institution, state_owned_enterprise
//! or community_street (or the Chinese labels); `scale` micro/small/medium/large;
//! `party_organisation_type` none/branch/joint_branch/general_branch/committee;
//! `base_level` (基层单位) true/false, 1/0, 是/否 or yes/no (empty: false).

use std::collections::HashMap;
use std::path::Path;

use calamine::{Data, Reader as _};
use tonic::metadata::MetadataValue;
use wenming_domain::{UnitKind, UnitScale};
use wenming_proto::convert::{kind_to_pb, scale_to_pb};
use wenming_proto::registry::v1 as pb;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;

use tonic::transport::Channel;
use wenming_runtime::service::BoxError;

type CliResult<T = ()> = Result<T, BoxError>;

/// Rows per streamed message.
const BATCH: usize = 500;
/// Rows per ImportUnits call: a file of more rows is imported in several calls, each
/// far below the registry's limit (`registry.import_max_rows`, 100,000 by default).
const CALL_ROWS: usize = 10_000;

/// One data row: its 1-based line in the file and its cells by column name.
struct Row {
    number: u64,
    cells: HashMap<String, String>,
}

/// Imports the file and prints one line per refused row, then a summary.
pub async fn import_units(file: &Path, channel: Channel, token: &str) -> CliResult {
    let rows = read_rows(file)?;
    let mut local_errors = Vec::new();
    let mut batches = Vec::new();
    let mut batch = Vec::new();
    for row in rows {
        match to_unit(&row.cells) {
            Ok(unit) => batch.push(pb::ImportRow {
                row_number: row.number,
                unit: Some(unit),
            }),
            Err(message) => local_errors.push(format!("row {}: invalid: {message}", row.number)),
        }
        if batch.len() == BATCH {
            batches.push(pb::ImportUnitsRequest {
                rows: std::mem::take(&mut batch),
            });
        }
    }
    if !batch.is_empty() {
        batches.push(pb::ImportUnitsRequest { rows: batch });
    }
    let authorization: MetadataValue<_> = format!("Bearer {}", token.trim()).parse()?;
    let mut client =
        RegistryServiceClient::with_interceptor(channel, move |mut req: tonic::Request<()>| {
            req.metadata_mut()
                .insert("authorization", authorization.clone());
            Ok(req)
        })
        .max_encoding_message_size(64 * 1024 * 1024)
        .max_decoding_message_size(64 * 1024 * 1024);
    // Call after call: a failing call stops the import, and what the calls before it
    // created is kept (imported again, it comes back as duplicates).
    let mut response = pb::ImportUnitsResponse::default();
    let mut batches = batches.into_iter().peekable();
    let mut failed = None;
    while batches.peek().is_some() {
        let call: Vec<_> = batches.by_ref().take(CALL_ROWS / BATCH).collect();
        let rows_of_call = |at: Option<&pb::ImportRow>| at.map_or(0, |row| row.row_number);
        let first_row = rows_of_call(call.first().and_then(|batch| batch.rows.first()));
        let last_row = rows_of_call(call.last().and_then(|batch| batch.rows.last()));
        let done = match client.import_units(tokio_stream::iter(call)).await {
            Ok(done) => done.into_inner(),
            Err(status) => {
                failed = Some(format!(
                    "the import stopped at the call with rows {first_row} to {last_row} \
                     ({}: {}); the summary above counts the calls before it and the rows \
                     the file itself refused, and the rows after {last_row} were not sent",
                    status.code(),
                    status.message()
                ));
                break;
            }
        };
        response.results.extend(done.results);
        response.created += done.created;
        response.duplicates += done.duplicates;
        response.invalid += done.invalid;
    }
    let local_invalid = local_errors.len() as u64;
    let mut lines = local_errors;
    for result in &response.results {
        if result.outcome == pb::ImportOutcome::Duplicate as i32 {
            lines.push(format!("row {}: duplicate credit code", result.row_number));
        } else if result.outcome == pb::ImportOutcome::Invalid as i32 {
            let reasons: Vec<String> = result
                .errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.description))
                .collect();
            lines.push(format!(
                "row {}: invalid: {}",
                result.row_number,
                reasons.join("; ")
            ));
        }
    }
    let invalid = response.invalid + local_invalid;
    #[allow(clippy::print_stdout)]
    {
        for line in &lines {
            println!("{line}");
        }
        println!(
            "imported: {} created, {} duplicate, {} invalid",
            response.created, response.duplicates, invalid
        );
    }
    match failed {
        Some(failed) => Err(failed.into()),
        None => Ok(()),
    }
}

fn read_rows(file: &Path) -> CliResult<Vec<Row>> {
    let extension = file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let format = match extension.as_deref() {
        Some("csv") => FileFormat::Csv,
        Some("xlsx" | "xls" | "ods") => FileFormat::Workbook,
        _ => return Err(format!("{}: expected a .csv or .xlsx file", file.display()).into()),
    };
    let bytes = std::fs::read(file).map_err(|err| format!("{}: {err}", file.display()))?;
    rows_of(&bytes, format)
}

/// How a file of units is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    /// CSV, UTF-8, first row the column names.
    Csv,
    /// XLSX, XLS or ODS: the first sheet, first row the column names.
    Workbook,
}

/// The units a file's bytes hold, by row number: each the unit `wenming import units`
/// would send, or why the row cannot be one. (Public for the fuzz targets.)
pub fn units_of(
    bytes: &[u8],
    format: FileFormat,
) -> CliResult<Vec<(u64, Result<pb::Unit, String>)>> {
    Ok(rows_of(bytes, format)?
        .into_iter()
        .map(|row| (row.number, to_unit(&row.cells)))
        .collect())
}

fn rows_of(bytes: &[u8], format: FileFormat) -> CliResult<Vec<Row>> {
    match format {
        FileFormat::Csv => read_csv(bytes),
        FileFormat::Workbook => read_sheet(bytes),
    }
}

fn read_csv(bytes: &[u8]) -> CliResult<Vec<Row>> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers: Vec<String> = reader.headers()?.iter().map(normalise_header).collect();
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record?;
        let cells = headers
            .iter()
            .cloned()
            .zip(record.iter().map(str::to_owned))
            .collect();
        rows.push(Row {
            number: i as u64 + 2,
            cells,
        });
    }
    Ok(rows)
}

fn read_sheet(bytes: &[u8]) -> CliResult<Vec<Row>> {
    let mut workbook = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))?;
    let sheet = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or("the workbook has no sheet")?;
    let range = workbook.worksheet_range(&sheet)?;
    let mut lines = range.rows();
    let headers: Vec<String> = lines
        .next()
        .ok_or("the sheet is empty")?
        .iter()
        .map(|cell| normalise_header(&cell_text(cell)))
        .collect();
    let first_line = range.start().map_or(0, |(row, _)| row);
    let mut rows = Vec::new();
    for (i, line) in lines.enumerate() {
        if line.iter().all(|cell| matches!(cell, Data::Empty)) {
            continue;
        }
        let cells = headers
            .iter()
            .cloned()
            .zip(line.iter().map(cell_text))
            .collect();
        rows.push(Row {
            number: u64::from(first_line) + i as u64 + 2,
            cells,
        });
    }
    Ok(rows)
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        // Spreadsheet numbers come as floats; whole numbers are written without ".0".
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

fn normalise_header(text: &str) -> String {
    text.trim()
        .trim_start_matches('\u{feff}')
        .to_ascii_lowercase()
}

fn to_unit(cells: &HashMap<String, String>) -> Result<pb::Unit, String> {
    let text = |name: &str| {
        cells
            .get(name)
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    };
    let number = |name: &str| -> Result<u64, String> {
        let value = text(name);
        if value.is_empty() {
            return Ok(0);
        }
        value
            .parse()
            .map_err(|_| format!("{name}: '{value}' is not a whole number"))
    };
    let kind = text("kind");
    let kind = UnitKind::ALL
        .iter()
        .find(|k| k.as_str() == kind || k.label_zh() == kind)
        .ok_or_else(|| format!("kind: '{kind}' is not a unit kind"))?;
    let scale = match text("scale").as_str() {
        "" => pb::UnitScale::Unspecified,
        s => scale_to_pb(Some(
            s.parse::<UnitScale>().map_err(|e| format!("scale: {e}"))?,
        )),
    };
    let party_type = match text("party_organisation_type").as_str() {
        "" => pb::PartyOrganisationType::Unspecified,
        s => pb::PartyOrganisationType::from_str_name(&format!(
            "PARTY_ORGANISATION_TYPE_{}",
            s.to_ascii_uppercase()
        ))
        .ok_or_else(|| format!("party_organisation_type: '{s}' is not known"))?,
    };
    let base_level = text("base_level");
    let base_level = flag(&base_level).ok_or_else(|| {
        format!("base_level: '{base_level}' is not true/false, 1/0, 是/否 or yes/no")
    })?;
    let small = |name: &str| -> Result<u32, String> {
        u32::try_from(number(name)?).map_err(|_| format!("{name}: too large"))
    };
    Ok(pb::Unit {
        display_name: text("display_name"),
        credit_code: text("credit_code"),
        region_code: text("region_code"),
        kind: kind_to_pb(*kind) as i32,
        scale: scale as i32,
        nature: text("nature"),
        business: Some(pb::BusinessManagement {
            employees: small("employees")?,
            main_business: text("main_business"),
            annual_revenue_10k_yuan: number("annual_revenue_10k_yuan")?,
        }),
        party_building: Some(pb::PartyBuilding {
            organisation_type: party_type as i32,
            party_members: small("party_members")?,
            instructor_name: text("party_instructor"),
            service_centre: text("party_service_centre"),
        }),
        civilisation_officer: Some(pb::CivilisationOfficer {
            person_name: text("officer_name"),
            phone: text("officer_phone"),
        }),
        base_level,
        ..Default::default()
    })
}

/// A yes/no cell: true/false, 1/0, 是/否 or yes/no (any case); empty is false.
fn flag(value: &str) -> Option<bool> {
    match value.to_lowercase().as_str() {
        "" | "false" | "0" | "否" | "no" => Some(false),
        "true" | "1" | "是" | "yes" => Some(true),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(extra: &[(&str, &str)]) -> HashMap<String, String> {
        let mut cells: HashMap<String, String> = [
            ("display_name", "平顶山宝丰耐材有限公司"),
            ("credit_code", "91410421000000019H"),
            ("region_code", "410421"),
            ("kind", "private_enterprise"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        cells.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        cells
    }

    #[test]
    fn base_level_takes_yes_and_no_in_either_language() {
        for (cell, expected) in [
            ("是", true),
            ("否", false),
            ("true", true),
            ("FALSE", false),
            ("1", true),
            ("0", false),
            ("Yes", true),
            ("no", false),
            ("", false),
            (" 是 ", true),
        ] {
            let unit = to_unit(&row(&[("base_level", cell)])).unwrap();
            assert_eq!(unit.base_level, expected, "{cell:?}");
        }
        // Without the column the unit is not base-level.
        assert!(!to_unit(&row(&[])).unwrap().base_level);
    }

    #[test]
    fn a_bad_base_level_names_the_column() {
        let err = to_unit(&row(&[("base_level", "基层")])).unwrap_err();
        assert!(err.starts_with("base_level: '基层'"), "{err}");
    }

    /// The column read from a CSV file: 是 is true, a bad value refuses that row only.
    #[test]
    fn base_level_from_a_csv_file() {
        let dir = std::env::temp_dir().join(format!("wenming-import-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("units.csv");
        std::fs::write(
            &file,
            "display_name,credit_code,region_code,kind,Base_Level\n\
             宝丰县某社区,91410421000000019H,410421,social_organisation,是\n\
             宝丰县某公司,91410421000000027C,410421,private_enterprise,也许\n",
        )
        .unwrap();
        let rows = read_rows(&file).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(rows.len(), 2);
        assert!(to_unit(&rows[0].cells).unwrap().base_level);
        let err = to_unit(&rows[1].cells).unwrap_err();
        assert!(err.starts_with("base_level:"), "{err}");
        assert_eq!(rows[1].number, 3);
    }
}
