//! Ownership kinds of units (所有制类型). The programme targets the
//! non-public kinds; public kinds matter for recommendation-quota shares.

use crate::named_enum::named_enum;

named_enum! {
    /// The ownership kind of a unit.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum UnitKind: "unit kind" {
        /// 民营企业
        PrivateEnterprise = "private_enterprise",
        /// 外资企业
        ForeignFundedEnterprise = "foreign_funded_enterprise",
        /// 社会组织
        SocialOrganisation = "social_organisation",
        /// 个体工商户
        IndividualBusiness = "individual_business",
        /// 行政机关
        AdministrativeAgency = "administrative_agency",
        /// 事业单位
        PublicInstitution = "public_institution",
        /// 国有企业
        StateOwnedEnterprise = "state_owned_enterprise",
        /// 社区（街道）
        CommunityStreet = "community_street",
    }
}

impl UnitKind {
    /// Whether the kind is non-public (非公), i.e. a target of this programme.
    pub const fn is_non_public(self) -> bool {
        matches!(
            self,
            UnitKind::PrivateEnterprise
                | UnitKind::ForeignFundedEnterprise
                | UnitKind::SocialOrganisation
                | UnitKind::IndividualBusiness
        )
    }

    /// The Chinese label used in documents.
    pub const fn label_zh(self) -> &'static str {
        match self {
            UnitKind::PrivateEnterprise => "民营企业",
            UnitKind::ForeignFundedEnterprise => "外资企业",
            UnitKind::SocialOrganisation => "社会组织",
            UnitKind::IndividualBusiness => "个体工商户",
            UnitKind::AdministrativeAgency => "行政机关",
            UnitKind::PublicInstitution => "事业单位",
            UnitKind::StateOwnedEnterprise => "国有企业",
            UnitKind::CommunityStreet => "社区（街道）",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(UnitKind::ALL.len(), 8);
        for kind in UnitKind::ALL {
            assert_eq!(kind.as_str().parse::<UnitKind>(), Ok(*kind));
            assert_eq!(kind.to_string(), kind.as_str());
        }
        let err = "private".parse::<UnitKind>().unwrap_err();
        assert_eq!(err.rule(), "unknown_name");
        assert!(err.to_string().contains("private_enterprise"));
    }

    #[test]
    fn four_kinds_are_non_public() {
        let non_public: Vec<_> = UnitKind::ALL.iter().filter(|k| k.is_non_public()).collect();
        assert_eq!(non_public.len(), 4);
        assert!(!UnitKind::CommunityStreet.is_non_public());
        assert_eq!(UnitKind::CommunityStreet.label_zh(), "社区（街道）");
    }
}
