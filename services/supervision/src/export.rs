//! `wenming export progress --region CODE FILE`: asks the gateway for a region's
//! progress workbook with the caller's token and writes it to FILE.

use std::path::Path;

use tonic::metadata::MetadataValue;
use tonic::transport::Channel;
use wenming_proto::supervision::v1 as pb;
use wenming_proto::supervision::v1::supervision_service_client::SupervisionServiceClient;
use wenming_runtime::service::BoxError;

pub async fn progress(
    file: &Path,
    channel: Channel,
    token: &str,
    region: &str,
) -> Result<(), BoxError> {
    let authorization: MetadataValue<_> = format!("Bearer {}", token.trim()).parse()?;
    let mut client =
        SupervisionServiceClient::with_interceptor(channel, move |mut req: tonic::Request<()>| {
            req.metadata_mut()
                .insert("authorization", authorization.clone());
            Ok(req)
        });
    let answer = client
        .export_progress_report(pb::ExportProgressReportRequest {
            report: Some(pb::GetProgressReportRequest {
                region_code: region.to_owned(),
                ..Default::default()
            }),
        })
        .await
        .map_err(|status| format!("{}: {}", status.code(), status.message()))?
        .into_inner();
    std::fs::write(file, &answer.content).map_err(|err| format!("{}: {err}", file.display()))?;
    #[allow(clippy::print_stdout)]
    {
        println!(
            "wrote {} ({}, {} bytes)",
            file.display(),
            answer.file_name,
            answer.content.len()
        );
    }
    Ok(())
}
