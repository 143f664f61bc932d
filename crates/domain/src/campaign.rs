//! A campaign's deadlines: which one, and who owns it.

use crate::named_enum::named_enum;

named_enum! {
    /// The two deadlines of a campaign.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum CampaignDeadline: "campaign deadline" {
        /// 推荐培育对象截止日 (the city's: 20 April in the seed).
        Nomination = "nomination",
        /// 帮创名单上报截止日 (the province's: 1 May in the seed).
        PairingList = "pairing_list",
    }
}

impl CampaignDeadline {
    /// The name officials read.
    pub const fn label_zh(self) -> &'static str {
        match self {
            CampaignDeadline::Nomination => "培育对象推荐截止日期",
            CampaignDeadline::PairingList => "帮创名单上报截止日期",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for deadline in CampaignDeadline::ALL {
            assert_eq!(deadline.as_str().parse::<CampaignDeadline>(), Ok(*deadline));
            assert!(!deadline.label_zh().is_empty());
        }
    }
}
