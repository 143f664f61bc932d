//! The list of the suite's services. Outside a service's own folder, its contract, its
//! policy rules and `deploy/`, this is the one place that names a service: the
//! binary's `up`, `serve`, `migrate`, `import` and the gateway's backends, the
//! cross-service tests, the benchmarks and the fuzzer all go through it. A new service
//! is one line here (in dependency order: a service after those it calls) and its
//! crate among this one's dependencies.
#![forbid(unsafe_code)]

use wenming_runtime::service::{Export, Import, ServiceDef};

/// Every service, callees before callers.
pub static SERVICES: &[&ServiceDef] = &[
    &wenming_registry::SERVICE,
    &wenming_pairing::SERVICE,
    &wenming_quota::SERVICE,
    &wenming_supervision::SERVICE,
];

/// The service named `name`.
pub fn find(name: &str) -> Option<&'static ServiceDef> {
    SERVICES.iter().copied().find(|def| def.name == name)
}

/// The names `wenming serve` takes: every service, and the gateway.
pub fn serve_names() -> Vec<&'static str> {
    SERVICES
        .iter()
        .map(|def| def.name)
        .chain(std::iter::once("gateway"))
        .collect()
}

/// Every kind of file `wenming import` takes, with its service.
pub fn imports() -> impl Iterator<Item = &'static Import> {
    SERVICES.iter().flat_map(|def| def.imports.iter())
}

/// Every kind of file `wenming export` writes, by what it is called.
pub fn exports() -> impl Iterator<Item = &'static Export> {
    SERVICES.iter().flat_map(|def| def.exports.iter())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_upstream_is_a_service_listed_before_its_caller() {
        for (i, def) in SERVICES.iter().enumerate() {
            for upstream in def.upstreams {
                let at = SERVICES.iter().position(|d| d.name == *upstream);
                assert!(
                    at.is_some_and(|at| at < i),
                    "{} calls {upstream}, which must be listed before it",
                    def.name
                );
            }
        }
        let mut names: Vec<_> = SERVICES.iter().map(|d| d.name).collect();
        let listed = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), listed, "a name is listed twice");
    }
}
