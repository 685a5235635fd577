//! The date-times Django's serializers write (`2024-05-02T09:30:15.123Z`,
//! with an offset, or naive), as Unix seconds.

/// Unix seconds of an ISO 8601 date-time; a naive one is taken as UTC
/// (Django with `USE_TZ = False` wrote local time of a zone the file does not name).
pub fn unix_seconds(text: &str) -> Option<i64> {
    let (date, time) = text.split_once(['T', ' '])?;
    let mut date_parts = date.split('-');
    let year: i64 = date_parts.next()?.parse().ok()?;
    let month: u32 = date_parts.next()?.parse().ok()?;
    let day: u32 = date_parts.next()?.parse().ok()?;
    if date_parts.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let (clock, offset) = split_offset(time)?;
    let clock = clock.split('.').next()?;
    let mut clock_parts = clock.split(':');
    let hour: i64 = clock_parts.next()?.parse().ok()?;
    let minute: i64 = clock_parts.next()?.parse().ok()?;
    let second: i64 = clock_parts.next().map_or(Some(0), |s| s.parse().ok())?;
    if clock_parts.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

/// `09:30:15.123+02:00` → (`09:30:15.123`, 7200 s); `Z` and none are 0.
fn split_offset(time: &str) -> Option<(&str, i64)> {
    if let Some(clock) = time.strip_suffix('Z') {
        return Some((clock, 0));
    }
    let Some(at) = time.rfind(['+', '-']) else {
        return Some((time, 0));
    };
    let (clock, offset) = time.split_at(at);
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let (hours, minutes) = offset[1..].split_once(':').unwrap_or((&offset[1..], "0"));
    let hours: i64 = hours.parse().ok()?;
    let minutes: i64 = minutes.parse().ok()?;
    Some((clock, sign * (hours * 3600 + minutes * 60)))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn djangos_date_times_read_as_unix_seconds() {
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        // date -u -d 2024-05-02T09:30:15Z +%s
        assert_eq!(
            unix_seconds("2024-05-02T09:30:15.123Z"),
            Some(1_714_642_215)
        );
        assert_eq!(
            unix_seconds("2024-05-02T11:30:15+02:00"),
            Some(1_714_642_215)
        );
        assert_eq!(
            unix_seconds("2024-05-02T04:30:15.5-05:00"),
            Some(1_714_642_215)
        );
        assert_eq!(unix_seconds("2024-05-02 09:30:15"), Some(1_714_642_215));
        assert_eq!(unix_seconds("2000-02-29T00:00:00Z"), Some(951_782_400));
    }

    #[test]
    fn anything_else_is_refused() {
        for text in [
            "",
            "2024-05-02",
            "2024-13-01T00:00:00Z",
            "2024-05-02T25:00:00Z",
            "yesterday",
        ] {
            assert_eq!(unix_seconds(text), None, "{text}");
        }
    }
}
