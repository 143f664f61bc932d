//! `wenming health ADDR`: one Check of the standard health service, within 3 seconds,
//! for a container's HEALTHCHECK (the image has no grpc_health_probe).

use std::time::Duration;

use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use wenming_runtime::service::BoxError;

const WITHIN: Duration = Duration::from_secs(3);

/// The status `service` ("" for the whole server) of the server at `url` reports,
/// connecting within `within`.
pub async fn serving_status(url: &str, service: &str, within: Duration) -> Result<i32, BoxError> {
    status_at(
        tonic::transport::Endpoint::from_shared(url.to_owned())?,
        service,
        within,
    )
    .await
}

async fn status_at(
    endpoint: tonic::transport::Endpoint,
    service: &str,
    within: Duration,
) -> Result<i32, BoxError> {
    let channel = endpoint.connect_timeout(within).connect().await?;
    Ok(HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.to_owned(),
        })
        .await?
        .into_inner()
        .status)
}

pub async fn check(
    addr: &str,
    service: &str,
    ca_file: Option<&std::path::Path>,
) -> Result<(), BoxError> {
    let endpoint = crate::dial::endpoint(addr, ca_file)?;
    let answer = tokio::time::timeout(WITHIN, status_at(endpoint, service, WITHIN))
        .await
        .map_err(|_| format!("{addr}: no answer within {WITHIN:?}"))??;
    if answer == ServingStatus::Serving as i32 {
        #[allow(clippy::print_stdout)]
        {
            println!("{addr}: serving");
        }
        Ok(())
    } else {
        Err(format!(
            "{addr}: {}",
            ServingStatus::try_from(answer).map_or("unknown", |s| s.as_str_name())
        )
        .into())
    }
}
