//! Human durations on the command line: `30s`, `5m`, `24h`, `7d`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A whole number of seconds written with a unit, as the flags take them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct HumanDuration(pub Duration);

impl HumanDuration {
    pub fn as_secs(self) -> i64 {
        self.0.as_secs() as i64
    }

    pub fn from_secs(secs: u64) -> Self {
        Self(Duration::from_secs(secs))
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "invalid duration {0:?}: use a whole number with a unit s, m, h or d (e.g. 30s, 5m, 24h, 7d)"
)]
pub struct ParseDurationError(String);

impl FromStr for HumanDuration {
    type Err = ParseDurationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || ParseDurationError(text.to_owned());
        let trimmed = text.trim();
        let split = trimmed
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(invalid)?;
        let (number, unit) = trimmed.split_at(split);
        let number: u64 = number.parse().map_err(|_| invalid())?;
        let unit_secs = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3_600,
            "d" => 86_400,
            _ => return Err(invalid()),
        };
        number
            .checked_mul(unit_secs)
            .filter(|secs| *secs <= i64::MAX as u64 / 1_000)
            .map(Self::from_secs)
            .ok_or_else(invalid)
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.as_secs();
        match secs {
            0 => write!(f, "0s"),
            s if s % 86_400 == 0 => write!(f, "{}d", s / 86_400),
            s if s % 3_600 == 0 => write!(f, "{}h", s / 3_600),
            s if s % 60 == 0 => write!(f, "{}m", s / 60),
            s => write!(f, "{s}s"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit() {
        assert_eq!("2s".parse::<HumanDuration>().unwrap().as_secs(), 2);
        assert_eq!("5m".parse::<HumanDuration>().unwrap().as_secs(), 300);
        assert_eq!("24h".parse::<HumanDuration>().unwrap().as_secs(), 86_400);
        assert_eq!("7d".parse::<HumanDuration>().unwrap().as_secs(), 604_800);
        assert_eq!("0s".parse::<HumanDuration>().unwrap().as_secs(), 0);
    }

    #[test]
    fn rejects_missing_or_unknown_units_and_overflow() {
        for bad in [
            "",
            "5",
            "m",
            "5x",
            "-5s",
            "1.5h",
            "5 m",
            "99999999999999999999d",
        ] {
            assert!(
                bad.parse::<HumanDuration>().is_err(),
                "{bad:?} was accepted"
            );
        }
    }

    #[test]
    fn displays_in_the_largest_exact_unit() {
        assert_eq!(HumanDuration::from_secs(300).to_string(), "5m");
        assert_eq!(HumanDuration::from_secs(86_400).to_string(), "1d");
        assert_eq!(HumanDuration::from_secs(90).to_string(), "90s");
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// Any text: a duration or the documented error, never a panic.
        #[test]
        fn any_text_parses_or_is_refused(text in ".{0,40}") {
            if let Err(error) = text.parse::<HumanDuration>() {
                prop_assert!(error.to_string().starts_with("invalid duration"));
            }
        }

        /// What is displayed parses back to the same duration.
        #[test]
        fn display_and_parse_agree(secs in 0u64..10_000_000) {
            let duration = HumanDuration::from_secs(secs);
            prop_assert_eq!(duration.to_string().parse::<HumanDuration>(), Ok(duration));
        }
    }
}
