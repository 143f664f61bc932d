//! The permission policy (Cedar): one file an auditor can read, `policy/wenming.cedar`,
//! shipped in the binary and replaceable by configuration. Decisions touch no database.

use std::collections::HashMap;
use std::str::FromStr as _;
use std::sync::Mutex;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, EntityId, EntityTypeName, EntityUid, PolicySet,
    Request, RestrictedExpression,
};
use wenming_authz::{Principal, Role};

/// Decisions remembered (principals × RPCs in use).
const DECISIONS: usize = 100_000;

/// The policy that ships with the project.
pub const SHIPPED: &str = include_str!("../../../policy/wenming.cedar");

/// A parsed policy, ready to decide.
pub struct Policy {
    policies: PolicySet,
    authorizer: Authorizer,
    office: EntityTypeName,
    unit_user: EntityTypeName,
    platform: EntityTypeName,
    action: EntityTypeName,
    resource: EntityUid,
    entities: Entities,
    actions: Mutex<HashMap<String, EntityUid>>,
    /// Decisions by everything they depend on (the principal's kind, id, level and
    /// grants, and the RPC; the resource and the entities are constant), so a cached
    /// answer is the answer, whatever the policy says.
    decisions: quick_cache::sync::Cache<(Role, String), bool>,
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy")
            .field("policies", &self.policies.policies().count())
            .finish_non_exhaustive()
    }
}

impl Policy {
    /// Parses a policy text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let policies = PolicySet::from_str(text).map_err(|e| format!("policy: {e}"))?;
        let name = |n: &str| EntityTypeName::from_str(n).map_err(|e| e.to_string());
        Ok(Self {
            policies,
            authorizer: Authorizer::new(),
            office: name("Wenming::Office")?,
            unit_user: name("Wenming::UnitUser")?,
            platform: name("Wenming::Platform")?,
            action: name("Wenming::Action")?,
            resource: EntityUid::from_type_name_and_id(
                name("Wenming::Suite")?,
                EntityId::new("wenming"),
            ),
            entities: Entities::empty(),
            actions: Mutex::new(HashMap::new()),
            decisions: quick_cache::sync::Cache::new(DECISIONS),
        })
    }

    /// The shipped policy.
    pub fn shipped() -> Result<Self, String> {
        Self::parse(SHIPPED)
    }

    /// Whether `principal` may call `rpc` ("package.Service/Method").
    pub fn allows(&self, principal: &Principal, rpc: &str) -> bool {
        let cached = self
            .decisions
            .get(&crate::cache_key::PairRef(&principal.role, rpc));
        wenming_runtime::metrics::cache_lookup("gateway_policy", cached.is_some());
        if let Some(decision) = cached {
            return decision;
        }
        let decision = self.decide(principal, rpc);
        self.decisions
            .insert((principal.role.clone(), rpc.to_owned()), decision);
        decision
    }

    fn decide(&self, principal: &Principal, rpc: &str) -> bool {
        let (kind, id, level, actions) = match &principal.role {
            Role::Office { level, region } => {
                (&self.office, region.to_string(), level.as_str(), vec![])
            }
            Role::ProvincialDirect => (
                &self.office,
                wenming_domain::PROVINCIAL_DIRECT.to_owned(),
                "provincial_direct",
                vec![],
            ),
            Role::Unit { unit } => (&self.unit_user, unit.to_string(), "unit", vec![]),
            Role::Platform { name, actions } => (
                &self.platform,
                name.clone(),
                "platform",
                actions.iter().map(|a| a.as_str()).collect(),
            ),
        };
        let principal = EntityUid::from_type_name_and_id(kind.clone(), EntityId::new(id));
        let action = self.action_uid(rpc);
        let context = Context::from_pairs([
            (
                "level".to_owned(),
                RestrictedExpression::new_string(level.to_owned()),
            ),
            (
                "actions".to_owned(),
                RestrictedExpression::new_set(
                    actions
                        .into_iter()
                        .map(|a| RestrictedExpression::new_string(a.to_owned())),
                ),
            ),
        ]);
        let Ok(context) = context else {
            return false;
        };
        let Ok(request) = Request::new(principal, action, self.resource.clone(), context, None)
        else {
            return false;
        };
        self.authorizer
            .is_authorized(&request, &self.policies, &self.entities)
            .decision()
            == Decision::Allow
    }

    fn action_uid(&self, rpc: &str) -> EntityUid {
        let mut cache = self.actions.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(rpc.to_owned())
            .or_insert_with(|| {
                EntityUid::from_type_name_and_id(self.action.clone(), EntityId::new(rpc))
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use wenming_domain::{AdminLevel, RegionCode, UnitId};

    use super::*;

    const REGISTRY: &str = "wenming.registry.v1.RegistryService";

    #[test]
    fn the_shipped_policy_parses_and_decides_by_kind_and_level() {
        let policy = Policy::shipped().unwrap();
        let county = Principal::office(
            "c",
            AdminLevel::County,
            RegionCode::parse("410421").unwrap(),
        );
        let city = Principal::office("p", AdminLevel::City, RegionCode::parse("410400").unwrap());
        let unit = Principal::unit("u", UnitId::new());
        let platform = Principal::platform("t", "tax");
        let rpc = |m: &str| format!("{REGISTRY}/{m}");
        assert!(policy.allows(&county, &rpc("CreateUnit")));
        assert!(policy.allows(&county, &rpc("SubmitNominations")));
        assert!(!policy.allows(&county, &rpc("AwardTitle")));
        assert!(policy.allows(&city, &rpc("AwardTitle")));
        assert!(!policy.allows(&city, &rpc("SubmitNominations")));
        assert!(policy.allows(&unit, &rpc("GetUnit")));
        assert!(!policy.allows(&unit, &rpc("ListUnits")));
        assert!(policy.allows(&platform, &rpc("VerifyTitle")));
        assert!(!policy.allows(&platform, &rpc("GetUnit")));
        assert!(!policy.allows(&county, "wenming.unknown.v1.X/Y"));
        let ungranted = Principal {
            subject: "t".into(),
            role: Role::Platform {
                name: "t".into(),
                actions: vec![],
            },
        };
        assert!(!policy.allows(&ungranted, &rpc("VerifyTitle")));
        // Remembered decisions are the decisions, for every caller and both answers.
        for principal in [&county, &city, &unit, &platform, &ungranted] {
            for method in ["CreateUnit", "AwardTitle", "VerifyTitle", "GetUnit"] {
                assert_eq!(
                    policy.allows(principal, &rpc(method)),
                    policy.decide(principal, &rpc(method)),
                    "{principal:?} {method}"
                );
            }
        }
    }
}
