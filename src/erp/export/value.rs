//! Cell values read back: the inverse of the value functions of [`crate::erp::columns`] and of
//! the import writer's formula guard, with the profile's decimal mark and date formats.
//!
//! Every function returns `Err` with a plain sentence (what is wrong, what to do) instead of a
//! guess: an export that a person can fix is better than a document that is silently wrong.

use jiff::civil::{Date, Time};
use rust_decimal::Decimal;

/// A cell's text: trimmed, `None` when empty; a leading `'` the import writer puts before
/// `= + - @`, a tab or a carriage return (against formula injection) is taken off again.
pub(crate) fn text(cell: &str) -> Option<&str> {
    let t = cell.trim();
    let t = match t.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => t,
    };
    (!t.is_empty()).then_some(t)
}

/// A control character other than TAB, CR and LF: never part of an ERP value, and unsafe to
/// pass on into an EDI file.
pub(crate) fn control(cell: &str) -> Option<char> {
    cell.chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n'))
}

/// An exact decimal: an optional sign, digits, and the profile's decimal mark with more digits.
/// Exponents (`1e3`), digit group separators (`1,000.5`, `1_000`), a second mark (`12.3.4`) and
/// more digits than a decimal holds exactly are refused.
pub(crate) fn decimal(s: &str, mark: u8) -> Result<Decimal, String> {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let mark = mark as char;
    let (int, frac) = match unsigned.split_once(mark) {
        Some((i, f)) => (i, Some(f)),
        None => (unsigned, None),
    };
    let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
    if !(digits(int) && frac.is_none_or(digits)) {
        let other = if mark == '.' { ',' } else { '.' };
        return Err(if s.contains(['e', 'E']) {
            format!(
                "is not a decimal: write it out without an exponent, with '{mark}' as the decimal mark"
            )
        } else if s.contains(other) {
            format!(
                "is not a decimal: the profile's decimal mark is '{mark}' and no digit group separators are read; export plain numbers such as 1234{mark}50"
            )
        } else {
            format!("is not a decimal: export a plain number such as 1234{mark}50")
        });
    }
    let normal = if mark == '.' {
        s.to_string()
    } else {
        s.replacen(mark, ".", 1)
    };
    Decimal::from_str_exact(&normal).map_err(|_| {
        "has more digits than a decimal holds exactly (28): round it in the ERP".into()
    })
}

/// A date by the first of the profile's formats that reads it whole.
pub(crate) fn date(s: &str, formats: &[String]) -> Result<Date, String> {
    formats
        .iter()
        .find_map(|f| Date::strptime(f, s).ok())
        .ok_or_else(|| {
            format!(
                "is not a date in the profile's format ({}): export it so, or add the format to `date_formats`",
                formats.join(", ")
            )
        })
}

/// A time of day by the first of the profile's formats that reads it whole.
pub(crate) fn time(s: &str, formats: &[String]) -> Result<Time, String> {
    formats
        .iter()
        .find_map(|f| Time::strptime(f, s).ok())
        .ok_or_else(|| {
            format!(
                "is not a time in the profile's format ({}): export it so, or add the format to `time_formats`",
                formats.join(", ")
            )
        })
}

/// A whole number of days.
pub(crate) fn days(s: &str) -> Result<u32, String> {
    if s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse()
            .map_err(|_| "is too large for a number of days".to_string())
    } else {
        Err("is not a whole number of days".into())
    }
}

/// `true` or `false`, as the import writer writes them.
pub(crate) fn boolean(s: &str) -> Result<bool, String> {
    match s {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("is neither `true` nor `false`".into()),
    }
}

/// The purpose by its serde name (`original`, `replace`...), as the import writer writes it.
pub(crate) fn purpose(s: &str) -> Result<crate::model::Purpose, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|_| {
        "is not a purpose: use original, replace, cancel, change, duplicate, confirmation, test or other".into()
    })
}

/// A list the import writer joined with a space (order references, tracking numbers).
pub(crate) fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(String::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn decimals_are_exact_with_the_profiles_mark() {
        assert_eq!(decimal("12.50", b'.').unwrap(), d("12.50"));
        assert_eq!(decimal("12.50", b'.').unwrap().scale(), 2);
        assert_eq!(decimal("-3", b'.').unwrap(), d("-3"));
        assert_eq!(decimal("+2.0", b'.').unwrap(), d("2.0"));
        assert_eq!(decimal("1,5", b',').unwrap(), d("1.5"));
        assert!(
            decimal("1,5", b'.')
                .unwrap_err()
                .contains("decimal mark is '.'")
        );
        assert!(
            decimal("1.5", b',')
                .unwrap_err()
                .contains("decimal mark is ','")
        );
    }

    #[test]
    fn decimals_refuse_what_would_be_a_guess() {
        for bad in [
            "1e3", "12.3.4", "1_000", "1,000.50", ".5", "5.", "", "-", "abc", "0x10",
        ] {
            assert!(decimal(bad, b'.').is_err(), "{bad}");
        }
        assert!(decimal("1e3", b'.').unwrap_err().contains("exponent"));
        assert!(decimal("1234567890123456789012345678901", b'.').is_err());
    }

    #[test]
    fn text_undoes_the_formula_guard_only() {
        assert_eq!(text("  '=1+1 "), Some("=1+1"));
        assert_eq!(text("'-12 cartons"), Some("-12 cartons"));
        assert_eq!(text("'quoted'"), Some("'quoted'"));
        assert_eq!(text("   "), None);
        assert_eq!(control("a\u{0}b"), Some('\u{0}'));
        assert_eq!(control("a\tb"), None);
    }

    #[test]
    fn dates_and_times_by_the_profiles_formats() {
        let iso = ["%Y-%m-%d".to_string()];
        let us = ["%m/%d/%Y".to_string(), "%Y%m%d".to_string()];
        assert_eq!(
            date("2024-03-11", &iso).unwrap(),
            jiff::civil::date(2024, 3, 11)
        );
        assert_eq!(
            date("03/11/2024", &us).unwrap(),
            jiff::civil::date(2024, 3, 11)
        );
        assert_eq!(
            date("20240311", &us).unwrap(),
            jiff::civil::date(2024, 3, 11)
        );
        assert!(date("2024-02-30", &iso).is_err());
        assert!(date("11.03.2024", &iso).unwrap_err().contains("%Y-%m-%d"));
        let t = ["%H:%M:%S".to_string(), "%H:%M".to_string()];
        assert_eq!(time("09:15", &t).unwrap(), jiff::civil::time(9, 15, 0, 0));
        assert!(time("25:00", &t).is_err());
    }

    #[test]
    fn small_values() {
        assert_eq!(days("30").unwrap(), 30);
        assert!(days("-1").is_err());
        assert!(boolean("yes").is_err());
        assert_eq!(purpose("replace").unwrap(), crate::model::Purpose::Replace);
        assert!(purpose("nope").is_err());
        assert_eq!(words(" A  B "), vec!["A", "B"]);
    }
}
