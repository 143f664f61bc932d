//! The gateway's catalogue: the zh-CN text of every refusal it answers itself (the
//! services answer the rest with their own catalogues).

use wenming_runtime::catalogue::Rule;

use crate::AuthError;

/// A kind of caller the policy does not let call an RPC.
pub const POLICY: Rule = Rule::new("policy", "{caller}无权调用{service}的 {method} 接口");
/// Too many calls from one caller.
pub const RATE_LIMITED: Rule = Rule::new("rate_limited", "调用过于频繁，请在 {wait_ms} 毫秒后重试");
/// Too many open server streams of one caller.
pub const TOO_MANY_STREAMS: Rule = Rule::new(
    "too_many_streams",
    "同一调用方最多同时打开 {max} 个订阅流，请先关闭已打开的订阅",
);
/// A path that is no RPC of the suite.
pub const UNKNOWN_RPC: &str = "系统中没有该接口：{rpc}";
/// A JSON call to a path no route takes.
pub const NO_ROUTE: &str = "没有该 HTTP 接口：{path}";
/// A JSON call whose body, path or query does not make the RPC's request.
pub const JSON_REQUEST: Rule = Rule::new(
    "json",
    "请求无法解析（字段“{field}”）：请按接口文档填写 JSON 请求体与查询参数",
);
/// A JSON body over the size limit.
pub const BODY_TOO_LARGE: &str = "请求内容超过了大小上限（{limit} 字节）";
/// A service that is down.
pub const BACKEND_UNAVAILABLE: &str = "{service} 暂时不可用，请稍后重试";

/// Why a token was refused, as an official reads it.
pub fn auth_zh(err: &AuthError) -> &'static str {
    match err {
        AuthError::Missing => "未携带访问令牌（Authorization: Bearer …），请先登录",
        AuthError::Malformed => "访问令牌格式不正确",
        AuthError::Unsigned => "访问令牌未签名，已拒绝",
        AuthError::AlgorithmNotAllowed(_) => "访问令牌的签名算法不被接受",
        AuthError::UnknownKey => "访问令牌的签名密钥不受信任",
        AuthError::BadSignature => "访问令牌签名无效",
        AuthError::Expired => "访问令牌已过期，请重新登录",
        AuthError::NotYetValid => "访问令牌尚未生效",
        AuthError::WrongIssuer => "访问令牌的签发方不受信任",
        AuthError::WrongAudience => "访问令牌不是签发给本系统的",
        AuthError::MissingClaim(_) => "访问令牌缺少必需的声明",
        AuthError::InvalidClaims(_) => "访问令牌中的身份信息无法识别",
    }
}

/// How an official names a kind of caller.
pub fn caller_zh(principal: &wenming_authz::Principal) -> String {
    match &principal.role {
        wenming_authz::Role::Office { level, .. } => match level {
            wenming_domain::AdminLevel::Province => "省文明办".to_owned(),
            wenming_domain::AdminLevel::City => "市级文明办".to_owned(),
            wenming_domain::AdminLevel::County => "县级文明办".to_owned(),
        },
        wenming_authz::Role::ProvincialDirect => "省直文明办".to_owned(),
        wenming_authz::Role::Unit { .. } => "单位用户".to_owned(),
        wenming_authz::Role::Platform { name, .. } => format!("政务平台“{name}”"),
    }
}
