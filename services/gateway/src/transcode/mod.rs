//! JSON over HTTP (HTTP/1.1 and HTTP/2) for platforms that cannot speak gRPC: each RPC
//! with a `google.api.http` rule in the contracts is reached at its route, its request
//! built from the path, the query and the JSON body with protobuf's JSON mapping, and
//! sent through the same forwarding as a gRPC call (the same token check, rate limit,
//! policy, denial log and deadline). The answer comes back as JSON; a refusal as the
//! HTTP status of its gRPC code with the `google.rpc.Status` (its details included) as
//! the JSON body.

mod render;
mod template;

use bytes::{BufMut as _, Bytes, BytesMut};
use http::{Method, StatusCode};
use http_body_util::BodyExt as _;
use prost_reflect::{DescriptorPool, DynamicMessage, Kind, MessageDescriptor};
use tonic::Code;
use wenming_runtime::catalogue::render as render_zh;
use wenming_runtime::metrics::Answered;

use crate::messages;
use crate::proxy::Proxy;
use template::Template;

type Response = http::Response<tonic::body::Body>;

/// Which part of the request the HTTP body fills.
#[derive(Clone, Debug)]
enum BodyRule {
    /// No body: fields come from the path and the query.
    None,
    /// The whole request.
    Whole,
    /// One field of the request.
    Field(String),
}

/// One HTTP route to one RPC.
#[derive(Clone, Debug)]
struct Route {
    method: Method,
    template: Template,
    /// "package.Service/Method".
    rpc: String,
    body: BodyRule,
    input: MessageDescriptor,
    output: MessageDescriptor,
}

/// The routes of the contracts, and how to answer on them.
#[derive(Debug)]
pub struct Transcoder {
    routes: Vec<Route>,
    status: MessageDescriptor,
    max_body: usize,
}

impl Transcoder {
    /// The routes of every `google.api.http` rule in the compiled contracts; request
    /// bodies up to `max_body` bytes.
    pub fn from_contracts(max_body: usize) -> Result<Self, String> {
        let mut pool = DescriptorPool::new();
        // google.rpc.Status and its details, to render refusals.
        pool.decode_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
            .map_err(|e| format!("google.rpc descriptors: {e}"))?;
        pool.decode_file_descriptor_set(wenming_proto::FILE_DESCRIPTOR_SET)
            .map_err(|e| format!("wenming descriptors: {e}"))?;
        let http = pool
            .get_extension_by_name("google.api.http")
            .ok_or("the contracts lack google.api.http")?;
        let status = pool
            .get_message_by_name("google.rpc.Status")
            .ok_or("no google.rpc.Status")?;
        let mut routes = Vec::new();
        for service in pool.services() {
            if !service.package_name().starts_with("wenming.") {
                continue;
            }
            for method in service.methods() {
                let options = method.options();
                if !options.has_extension(&http) {
                    continue;
                }
                let rpc = format!("{}/{}", service.full_name(), method.name());
                if method.is_client_streaming() || method.is_server_streaming() {
                    return Err(format!("{rpc}: streaming RPCs have no HTTP route"));
                }
                let rule = options.get_extension(&http);
                let rule = rule
                    .as_message()
                    .ok_or_else(|| format!("{rpc}: google.api.http is not a message"))?;
                let mut rules = vec![rule.clone()];
                if let Some(more) = rule
                    .get_field_by_name("additional_bindings")
                    .and_then(|v| v.as_list().map(<[_]>::to_vec))
                {
                    rules.extend(more.iter().filter_map(|v| v.as_message().cloned()));
                }
                for rule in rules {
                    routes.push(route_of(&rpc, &method, &rule)?);
                }
            }
        }
        Ok(Self {
            routes,
            status,
            max_body,
        })
    }

    /// Whether a route takes `method` on `path`.
    #[cfg(test)]
    fn routes(&self, method: &Method, path: &str) -> bool {
        self.find(method, path).is_some()
    }

    fn find(&self, method: &Method, path: &str) -> Option<(&Route, Vec<(String, String)>)> {
        self.routes.iter().find_map(|route| {
            (route.method == *method)
                .then(|| route.template.matches(path))
                .flatten()
                .map(|vars| (route, vars))
        })
    }

    /// What a JSON call `method path?query` with `body` becomes: the RPC
    /// ("package.Service/Method") and the gRPC frame of its request, or the refusal the
    /// caller would get. The edge step alone (the fuzz target `json_call` drives it).
    pub fn request_bytes(
        &self,
        method: &Method,
        path_and_query: &str,
        body: &[u8],
    ) -> Result<(String, Bytes), tonic::Status> {
        let (path, query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (path_and_query, None),
        };
        let (route, vars) = self
            .find(method, path)
            .ok_or_else(|| tonic::Status::not_found(format!("no route {method} {path}")))?;
        let message = request_message(route, &vars, query, &Bytes::copy_from_slice(body))?;
        Ok((route.rpc.clone(), frame(&message)))
    }

    /// Answers one JSON call through `proxy`, counted in the metrics as a call of the
    /// RPC of its route.
    pub async fn call(&self, proxy: &Proxy, request: http::Request<axum::body::Body>) -> Response {
        let path = request.uri().path();
        let Some((route, vars)) = self.find(request.method(), path) else {
            let message = format!("no route {} {path}", request.method());
            return render::status_json(
                &self.status,
                &wenming_runtime::status::plain(
                    Code::NotFound,
                    message,
                    render_zh(messages::NO_ROUTE, &[("path", path.to_owned())]),
                ),
            );
        };
        let mut response = self.answer(proxy, route, &vars, request).await;
        if let Some(answered) = response.extensions_mut().get_mut::<Answered>() {
            *answered = answered.of_rpc(&route.rpc);
        }
        response
    }

    /// The answer to a JSON call of `route` with the path's `vars`.
    async fn answer(
        &self,
        proxy: &Proxy,
        route: &Route,
        vars: &[(String, String)],
        request: http::Request<axum::body::Body>,
    ) -> Response {
        let (parts, body) = request.into_parts();
        let body = match http_body_util::Limited::new(body, self.max_body)
            .collect()
            .await
        {
            Ok(collected) => collected.to_bytes(),
            Err(err) if err.is::<http_body_util::LengthLimitError>() => {
                return render::status_json(&self.status, &render::too_large(self.max_body));
            }
            Err(err) => {
                return render::status_json(
                    &self.status,
                    &render::bad_request("", &format!("the body could not be read: {err}")),
                );
            }
        };
        let message = match request_message(route, vars, parts.uri.query(), &body) {
            Ok(message) => message,
            Err(status) => return render::status_json(&self.status, &status),
        };
        let mut forwarded = http::Request::new(axum::body::Body::from(frame(&message)));
        *forwarded.method_mut() = Method::POST;
        *forwarded.uri_mut() = match format!("/{}", route.rpc).parse() {
            Ok(uri) => uri,
            Err(_) => {
                return render::status_json(
                    &self.status,
                    &wenming_runtime::status::internal(&"route uri"),
                );
            }
        };
        // The caller's address (denial log) and the headers forwarding reads.
        *forwarded.extensions_mut() = parts.extensions;
        let headers = forwarded.headers_mut();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/grpc"),
        );
        headers.insert(http::header::TE, http::HeaderValue::from_static("trailers"));
        for name in [
            http::header::AUTHORIZATION.as_str(),
            "grpc-timeout",
            "traceparent",
            "tracestate",
        ] {
            if let Some(value) = parts.headers.get(name) {
                headers.insert(name, value.clone());
            }
        }
        match proxy.forward(forwarded).await {
            Err(status) => render::status_json(&self.status, &status),
            Ok(response) => render::answer_json(&self.status, &route.output, response).await,
        }
    }
}

fn route_of(
    rpc: &str,
    method: &prost_reflect::MethodDescriptor,
    rule: &DynamicMessage,
) -> Result<Route, String> {
    let text = |name: &str| {
        rule.get_field_by_name(name)
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    let (verb, path) = ["get", "put", "post", "delete", "patch"]
        .into_iter()
        .map(|verb| (verb, text(verb)))
        .find(|(_, path)| !path.is_empty())
        .ok_or_else(|| format!("{rpc}: an HTTP rule without a method"))?;
    let body = match text("body").as_str() {
        "" => BodyRule::None,
        "*" => BodyRule::Whole,
        field => {
            if method.input().get_field_by_name(field).is_none() {
                return Err(format!("{rpc}: body names no field {field}"));
            }
            BodyRule::Field(field.to_owned())
        }
    };
    Ok(Route {
        method: verb
            .to_uppercase()
            .parse()
            .map_err(|_| format!("{rpc}: {verb}"))?,
        template: Template::parse(&path).map_err(|e| format!("{rpc}: {e}"))?,
        rpc: rpc.to_owned(),
        body,
        input: method.input(),
        output: method.output(),
    })
}

/// The request message: the body (as the rule says), then the path's variables and the
/// query's parameters, read with protobuf's JSON mapping (unknown fields refused).
fn request_message(
    route: &Route,
    vars: &[(String, String)],
    query: Option<&str>,
    body: &Bytes,
) -> Result<DynamicMessage, tonic::Status> {
    let parsed = || -> Result<serde_json::Value, tonic::Status> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(serde_json::Value::Object(Default::default()));
        }
        serde_json::from_slice(body)
            .map_err(|e| render::bad_request("", &format!("the body is not JSON: {e}")))
    };
    let mut object = match &route.body {
        BodyRule::None => serde_json::Map::new(),
        BodyRule::Whole => match parsed()? {
            serde_json::Value::Object(object) => object,
            _ => return Err(render::bad_request("", "the body is a JSON object")),
        },
        BodyRule::Field(field) => [(field.clone(), parsed()?)].into_iter().collect(),
    };
    for (field, raw) in vars {
        let value = percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .map_err(|_| render::bad_request(field, "not UTF-8"))?;
        object.insert(field.clone(), serde_json::Value::String(value.into_owned()));
    }
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let field = route
            .input
            .get_field_by_name(&key)
            .or_else(|| route.input.get_field_by_json_name(&key))
            .ok_or_else(|| render::bad_request(&key, "no such field"))?;
        let value = match field.kind() {
            Kind::Bool => match value.as_ref() {
                "true" => serde_json::Value::Bool(true),
                "false" => serde_json::Value::Bool(false),
                _ => return Err(render::bad_request(&key, "true or false")),
            },
            _ => serde_json::Value::String(value.into_owned()),
        };
        let name = field.name().to_owned();
        if field.is_list() {
            match object
                .entry(name)
                .or_insert_with(|| serde_json::Value::Array(Vec::new()))
            {
                serde_json::Value::Array(items) => items.push(value),
                _ => return Err(render::bad_request(&key, "given twice")),
            }
        } else {
            object.insert(name, value);
        }
    }
    DynamicMessage::deserialize(route.input.clone(), serde_json::Value::Object(object))
        .map_err(|e| render::bad_request("", &e.to_string()))
}

/// A message as one gRPC frame: no compression, its length, its bytes.
fn frame(message: &DynamicMessage) -> Bytes {
    use prost::Message as _;
    let len = message.encoded_len();
    let mut framed = BytesMut::with_capacity(5 + len);
    framed.put_u8(0);
    framed.put_u32(u32::try_from(len).unwrap_or(u32::MAX));
    // Encoding into a buffer of the right size cannot fail.
    let _ = message.encode(&mut framed);
    framed.freeze()
}

/// The HTTP status of a gRPC code (google.rpc.Code's table).
pub fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::Cancelled => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
            StatusCode::BAD_REQUEST
        }
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_http_rule_of_the_contracts_makes_a_route() {
        let transcoder = Transcoder::from_contracts(1 << 20).unwrap();
        for (method, path) in [
            (Method::GET, "/v1/titles:verify"),
            (Method::POST, "/v1/titles:verify"),
            (Method::POST, "/v1/titles:verifyBatch"),
            (Method::GET, "/v1/attestationKeys"),
            (Method::GET, "/v1/titleChanges"),
            (Method::POST, "/v1/applications"),
            (Method::GET, "/v1/applications/0193"),
        ] {
            assert!(transcoder.routes(&method, path), "{method} {path}");
        }
        assert!(!transcoder.routes(&Method::DELETE, "/v1/titles:verify"));
        assert!(!transcoder.routes(&Method::GET, "/v1/units"));
    }

    #[test]
    fn query_parameters_take_proto_and_json_names_and_bools() {
        let transcoder = Transcoder::from_contracts(1 << 20).unwrap();
        let (route, vars) = transcoder.find(&Method::GET, "/v1/titles:verify").unwrap();
        let message = request_message(
            route,
            &vars,
            Some("creditCode=91410421000000019H&as_of=2024-03-01&attest=true"),
            &Bytes::new(),
        )
        .unwrap();
        let json = serde_json::to_value(&message).unwrap();
        assert_eq!(json["creditCode"], "91410421000000019H");
        assert_eq!(json["asOf"], "2024-03-01");
        assert_eq!(json["attest"], true);
        for bad in ["attest=maybe", "nope=1"] {
            assert_eq!(
                request_message(route, &vars, Some(bad), &Bytes::new())
                    .unwrap_err()
                    .code(),
                Code::InvalidArgument,
                "{bad}"
            );
        }
    }

    #[test]
    fn a_body_with_an_unknown_field_is_refused() {
        let transcoder = Transcoder::from_contracts(1 << 20).unwrap();
        let (route, vars) = transcoder
            .find(&Method::POST, "/v1/titles:verifyBatch")
            .unwrap();
        let ok = request_message(
            route,
            &vars,
            None,
            &Bytes::from_static(br#"{"creditCodes": ["a", "b"]}"#),
        )
        .unwrap();
        assert_eq!(serde_json::to_value(&ok).unwrap()["creditCodes"][1], "b");
        let err = request_message(
            route,
            &vars,
            None,
            &Bytes::from_static(br#"{"creditCodez": []}"#),
        )
        .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
    }
}
