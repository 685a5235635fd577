//! Whether addresses are verified, and whether sign-in waits for it: the
//! setting itself, which the settings and the core hold (what it does is in
//! [`email_verification`](super::email_verification)).

/// django-allauth's `ACCOUNT_EMAIL_VERIFICATION`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EmailVerification {
    /// No links are sent; every address counts as the account's.
    None,
    /// A link is sent; sign-in does not wait for it.
    #[default]
    Optional,
    /// Sign-up needs an address, and sign-in waits for its verification.
    Mandatory,
}

impl EmailVerification {
    pub const NAMES: [&'static str; 3] = ["none", "optional", "mandatory"];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Optional => "optional",
            Self::Mandatory => "mandatory",
        }
    }
}

impl std::str::FromStr for EmailVerification {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "none" => Ok(Self::None),
            "optional" => Ok(Self::Optional),
            "mandatory" => Ok(Self::Mandatory),
            other => Err(format!(
                "{other:?} is not one of {}",
                Self::NAMES.join(", ")
            )),
        }
    }
}

impl std::fmt::Display for EmailVerification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
