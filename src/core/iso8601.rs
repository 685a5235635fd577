//! ISO 8601 date-times: those Django's serializers write
//! (`2024-05-02T09:30:15.123Z`, with an offset, or naive) read as Unix
//! seconds, and Unix seconds written as DRF writes UTC (`2024-05-02T09:30:15Z`).

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

/// `2024-05-02T09:30:15Z` (proleptic Gregorian calendar, UTC).
pub fn format_utc(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let second_of_day = unix_seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3_600,
        second_of_day % 3_600 / 60,
        second_of_day % 60
    )
}

/// The date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, the inverse of `days_from_civil`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
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
    fn unix_seconds_are_written_as_utc_and_read_back() {
        for (seconds, text) in [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (1_795_905_005, "2026-11-28T22:30:05Z"),
            (-1, "1969-12-31T23:59:59Z"),
        ] {
            assert_eq!(format_utc(seconds), text);
            assert_eq!(unix_seconds(text), Some(seconds));
        }
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
