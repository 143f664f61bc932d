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

named_enum! {
    /// Where a unit's application to join stands (畅通非公单位参与文明单位创建渠道).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum ApplicationState: "application state" {
        /// With the county office.
        Pending = "pending",
        /// Accepted: the unit is registered.
        Accepted = "accepted",
        /// Declined, with a reason.
        Declined = "declined",
    }
}

impl ApplicationState {
    /// The name officials read.
    pub const fn label_zh(self) -> &'static str {
        match self {
            ApplicationState::Pending => "待受理",
            ApplicationState::Accepted => "已受理",
            ApplicationState::Declined => "未予受理",
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
