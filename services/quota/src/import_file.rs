//! `wenming import quota FILE`: sends the province's allocation table (TSV, CSV or XLSX
//! in the annex's layout) through ImportAllocationTable, run by the binary through the
//! gateway with the caller's token. The period is read from the file's name
//! ("2021-2023年度指标分配表.xlsx", "2021—2023.csv"); the draft it makes is confirmed by
//! ConfirmAllocationTable.

use std::path::Path;

use tonic::metadata::MetadataValue;
use tonic::transport::Channel;
use tonic_types::StatusExt as _;
use wenming_proto::quota::v1 as pb;
use wenming_proto::quota::v1::quota_service_client::QuotaServiceClient;
use wenming_runtime::service::BoxError;

use crate::rules::Period;
use crate::service::MAX_FILE_BYTES;

/// The period a file's name gives: the first "YYYY-YYYY" in it, the dash also as "—"
/// or "–".
pub fn period_in_file_name(name: &str) -> Option<Period> {
    let chars: Vec<char> = name.chars().collect();
    chars.windows(9).find_map(|w| {
        let digits = |part: &[char]| part.iter().all(char::is_ascii_digit);
        (digits(&w[..4]) && matches!(w[4], '-' | '—' | '–') && digits(&w[5..]))
            .then(|| {
                Period::parse(&format!(
                    "{}-{}",
                    String::from_iter(&w[..4]),
                    String::from_iter(&w[5..])
                ))
            })
            .flatten()
    })
}

/// Imports the file and prints the draft it made, or every problem the service found.
pub async fn import_quota(file: &Path, channel: Channel, token: &str) -> Result<(), BoxError> {
    let file_name = file
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| format!("{}: not a file name", file.display()))?
        .to_owned();
    let period = period_in_file_name(&file_name).ok_or_else(|| {
        format!(
            "{file_name}: name the period in the file's name, e.g. 2021-2023年度指标分配表.xlsx"
        )
    })?;
    let content = std::fs::read(file).map_err(|err| format!("{}: {err}", file.display()))?;
    if content.len() > MAX_FILE_BYTES {
        return Err(format!("{}: larger than {MAX_FILE_BYTES} bytes", file.display()).into());
    }
    let authorization: MetadataValue<_> = format!("Bearer {}", token.trim()).parse()?;
    let mut client =
        QuotaServiceClient::with_interceptor(channel, move |mut req: tonic::Request<()>| {
            req.metadata_mut()
                .insert("authorization", authorization.clone());
            Ok(req)
        });
    let answer = client
        .import_allocation_table(pb::ImportAllocationTableRequest {
            table: format!("allocationTables/{period}"),
            content,
            format: pb::FileFormat::Unspecified as i32,
            file_name: file_name.clone(),
            request_id: String::new(),
        })
        .await;
    let version = match answer {
        Ok(version) => version.into_inner(),
        Err(status) => {
            let details = status.get_error_details();
            let lines: Vec<String> = details
                .bad_request()
                .map(|bad| {
                    bad.field_violations
                        .iter()
                        .map(|v| format!("{}: {}", v.field, v.description))
                        .collect()
                })
                .unwrap_or_default();
            if lines.is_empty() {
                return Err(status.into());
            }
            return Err(format!("{file_name} was not imported:\n{}", lines.join("\n")).into());
        }
    };
    #[allow(clippy::print_stdout)]
    {
        println!("imported {} as a draft", version.name);
        for d in &version.discrepancies {
            println!(
                "declared total differs: {} declares {}, its rows sum to {}",
                d.column, d.declared, d.sum
            );
        }
        let totals: Vec<String> = version.totals.iter().map(|t| t.quota.to_string()).collect();
        println!(
            "totals: {} (provincial model, provincial); confirm it with ConfirmAllocationTable \
             (name {}, etag {}{})",
            totals.join(", "),
            version.name,
            version.etag,
            if version.discrepancies.is_empty() {
                ""
            } else {
                ", accept_discrepancies to keep the rows as they are"
            }
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_period_comes_from_the_file_name() {
        for (name, period) in [
            ("2021-2023年度指标分配表.xlsx", Some("2021-2023")),
            ("附件：2021—2023年度全省重点培养.csv", Some("2021-2023")),
            ("quota 2024–2026.tsv", Some("2024-2026")),
            ("指标分配表.xlsx", None),
            ("2023-2021.xlsx", None),
        ] {
            assert_eq!(
                period_in_file_name(name).map(|p| p.to_string()).as_deref(),
                period,
                "{name}"
            );
        }
    }
}
