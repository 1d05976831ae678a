//! Values as the standards define them: numbers, dates, and the characters a value may carry.
//!
//! Phase: between the tokenizers and meaning. The grammar validator and the mapping both read
//! values through these functions, so what the validator lets through is what the mapping can
//! hold, and a value that is refused is refused for the same reason in both places. A value is
//! never turned into "nothing" here: the caller gets the reason and reports it.
//!
//! ```
//! use tallyman::syntax::values::{Notation, decimal};
//! assert_eq!(decimal(b"12,50", Notation::Edifact).unwrap().to_string(), "12.50");
//! assert!(decimal(b"1E28", Notation::Edifact).is_err());
//! assert!(decimal(b"1E40", Notation::X12).is_err()); // X12 allows exponents, the model not 10^40
//! ```

use jiff::civil::{Date, Time};
use rust_decimal::Decimal;
use std::borrow::Cow;

/// Why a value cannot be read as its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Characters other than digits, one decimal mark, a leading minus (and, in X12 `R`, an
    /// exponent).
    #[error("is not a number")]
    NotANumber,
    /// An exponent (`1E3`): EDIFACT numeric values (ISO 9735 clause 10) have none.
    #[error("has an exponent, which an EDIFACT numeric value may not have")]
    Exponent,
    /// More digits or a larger magnitude than the model's decimals (28 significant digits, at
    /// most 28 after the point) hold exactly; it would be rounded or overflow.
    #[error("cannot be held exactly as a decimal of at most 28 significant digits")]
    OutOfRange,
    /// A count (of lines, of days) that is negative or has a fraction.
    #[error("is not a count (a whole number, not negative)")]
    NotACount,
    /// Not a date of the calendar (month 13, day 00, 30 February), or not in its format.
    #[error("is not a real date ({0})")]
    NotADate(&'static str),
    /// Not a time of the clock (hour 24, minute 60).
    #[error("is not a real time ({0})")]
    NotATime(&'static str),
}

/// How a standard writes decimal numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notation {
    /// X12 `R`: digits, one `.`, a leading `-`, and an optional base-10 exponent `E` with an
    /// optional `-` (X12.6 3.5.1: "a base 10 exponential may be appended").
    X12,
    /// EDIFACT `n`: digits, one decimal mark `.` or `,`, a leading `-`; no exponent, no triad
    /// separators.
    Edifact,
}

/// Reads a decimal number exactly as the standard writes it, or says why it cannot be.
///
/// The grammar validator calls this for every numeric value, so it allocates nothing.
pub fn decimal(v: &[u8], notation: Notation) -> Result<Decimal, Error> {
    if let Some(d) = short(v, notation) {
        return Ok(d);
    }
    let (neg, body) = match v.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, v),
    };
    let (mantissa, exponent) = match body.iter().position(|&b| b == b'E') {
        Some(p) => (&body[..p], Some(&body[p + 1..])),
        None => (body, None),
    };
    let mut digits = Digits::default();
    let mut fraction: Option<i64> = None;
    for &b in mantissa {
        match b {
            b'0'..=b'9' => {
                digits.push(b - b'0')?;
                if let Some(f) = fraction.as_mut() {
                    *f += 1;
                }
            }
            b'.' if fraction.is_none() => fraction = Some(0),
            b',' if notation == Notation::Edifact && fraction.is_none() => fraction = Some(0),
            _ => return Err(Error::NotANumber),
        }
    }
    if !digits.any {
        return Err(Error::NotANumber);
    }
    let exp: i64 = match exponent {
        None => 0,
        Some(e) => {
            let unsigned = e.strip_prefix(b"-").unwrap_or(e);
            if unsigned.is_empty() || !unsigned.iter().all(u8::is_ascii_digit) {
                return Err(Error::NotANumber);
            }
            if notation == Notation::Edifact {
                return Err(Error::Exponent);
            }
            // An exponent too long for i64 is far beyond what the model holds either way.
            std::str::from_utf8(e)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or(Error::OutOfRange)?
        }
    };
    let scale = fraction
        .unwrap_or(0)
        .checked_sub(exp)
        .ok_or(Error::OutOfRange)?;
    digits.finish(neg, scale)
}

/// The common case in a few instructions a byte: at most 18 digits, at most one decimal mark,
/// no exponent, which an `i64` always holds. Anything else goes the general way.
fn short(v: &[u8], notation: Notation) -> Option<Decimal> {
    let (neg, body) = match v.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, v),
    };
    // 18 bytes hold at most 18 digits, which an i64 never overflows on.
    if body.is_empty() || body.len() > 18 {
        return None;
    }
    let mut n: i64 = 0;
    let mut digits = 0;
    let mut fraction: Option<u32> = None;
    for &b in body {
        match b {
            b'0'..=b'9' => {
                n = n * 10 + i64::from(b - b'0');
                digits += 1;
                if let Some(f) = fraction.as_mut() {
                    *f += 1;
                }
            }
            b'.' if fraction.is_none() => fraction = Some(0),
            b',' if notation == Notation::Edifact && fraction.is_none() => fraction = Some(0),
            _ => return None,
        }
    }
    if digits == 0 {
        return None;
    }
    Some(Decimal::new(
        if neg { -n } else { n },
        fraction.unwrap_or(0),
    ))
}

/// Reads an X12 `Nn` value: digits with an optional leading minus and `places` implied
/// decimals (`107290` with N2 is 1072.90).
pub fn implied(v: &[u8], places: u32) -> Result<Decimal, Error> {
    let (neg, body) = match v.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, v),
    };
    if body.is_empty() || !body.iter().all(u8::is_ascii_digit) {
        return Err(Error::NotANumber);
    }
    let mut digits = Digits::default();
    for &b in body {
        digits.push(b - b'0')?;
    }
    digits.finish(neg, i64::from(places))
}

/// Digits read one by one without allocating: the value so far is `n` × 10^`zeros`, trailing
/// zeros kept apart so that a long run of them (`1.000…0`) neither overflows nor is lost.
#[derive(Default)]
struct Digits {
    n: i128,
    zeros: i64,
    any: bool,
}

/// The largest mantissa a `Decimal` holds, plus one.
const LIMIT: i128 = 1 << 96;

fn times_ten(n: i128, k: i64) -> Result<i128, Error> {
    let mut n = n;
    for _ in 0..k {
        // Past 2^96 after at most 29 steps for any n ≥ 1: the loop ends early.
        n = n
            .checked_mul(10)
            .filter(|n| *n < LIMIT)
            .ok_or(Error::OutOfRange)?;
    }
    Ok(n)
}

impl Digits {
    fn push(&mut self, d: u8) -> Result<(), Error> {
        self.any = true;
        if d == 0 {
            if self.n != 0 {
                self.zeros += 1;
            }
            return Ok(());
        }
        self.n = times_ten(self.n, self.zeros + 1)? + i128::from(d);
        self.zeros = 0;
        if self.n >= LIMIT {
            return Err(Error::OutOfRange);
        }
        Ok(())
    }

    /// The value with `scale` digits after the point as written (negative: whole zeros to
    /// append), if a `Decimal` holds it without rounding.
    fn finish(self, neg: bool, scale: i64) -> Result<Decimal, Error> {
        if self.n == 0 {
            // Zero whatever the exponent; keep the scale written (`0.00`) where the model can.
            return Ok(Decimal::new(0, scale.clamp(0, 28) as u32));
        }
        let (mut zeros, mut scale) = (self.zeros, scale);
        if scale > 28 {
            // Trailing zeros past what the model can place after the point change nothing.
            let drop = zeros.min(scale - 28);
            zeros -= drop;
            scale -= drop;
            if scale > 28 {
                return Err(Error::OutOfRange);
            }
        }
        if scale < 0 {
            zeros = zeros.saturating_sub(scale);
            scale = 0;
        }
        let n = times_ten(self.n, zeros)?;
        let n = if neg { -n } else { n };
        Decimal::try_from_i128_with_scale(n, scale as u32).map_err(|_| Error::OutOfRange)
    }
}

fn two(v: &[u8]) -> i8 {
    ((v[0] - b'0') * 10 + (v[1] - b'0')) as i8
}

fn digits_only(v: &[u8]) -> bool {
    v.iter().all(u8::is_ascii_digit)
}

/// CCYYMMDD, a date of the calendar.
pub fn ccyymmdd(v: &[u8]) -> Result<Date, Error> {
    const WHAT: &str = "CCYYMMDD";
    if v.len() != 8 || !digits_only(v) {
        return Err(Error::NotADate(WHAT));
    }
    let year = i16::from(two(&v[..2])) * 100 + i16::from(two(&v[2..4]));
    Date::new(year, two(&v[4..6]), two(&v[6..8])).map_err(|_| Error::NotADate(WHAT))
}

/// YYMMDD, years 00-49 in this century and 50-99 in the last.
pub fn yymmdd(v: &[u8]) -> Result<Date, Error> {
    const WHAT: &str = "YYMMDD";
    if v.len() != 6 || !digits_only(v) {
        return Err(Error::NotADate(WHAT));
    }
    let yy = i16::from(two(v));
    let year = if yy < 50 { 2000 + yy } else { 1900 + yy };
    Date::new(year, two(&v[2..4]), two(&v[4..6])).map_err(|_| Error::NotADate(WHAT))
}

/// An X12 `DT` value: YYMMDD when it has six digits, CCYYMMDD otherwise (the grammar's
/// checks, its fast path and the mapping into the model all read dates by this one rule).
pub fn x12_date(v: &[u8]) -> Result<Date, Error> {
    match v.len() {
        6 => yymmdd(v),
        _ => ccyymmdd(v),
    }
}

/// HHMM or HHMMSS, a time of the clock.
pub fn hhmm_ss(v: &[u8]) -> Result<Time, Error> {
    const WHAT: &str = "HHMM or HHMMSS";
    if !matches!(v.len(), 4 | 6) || !digits_only(v) {
        return Err(Error::NotATime(WHAT));
    }
    let sec = if v.len() == 6 { two(&v[4..6]) } else { 0 };
    Time::new(two(v), two(&v[2..4]), sec, 0).map_err(|_| Error::NotATime(WHAT))
}

/// An EDIFACT DTM value (2380) in its format (2379): `Ok(Some(..))` for a date the model reads,
/// `Ok(None)` for a value in a format it does not read into a calendar date (a week, a month,
/// a time alone) or a format it does not know, `Err` for a date or time that does not exist.
///
/// Dates are read by their length as well as by their format: real senders write
/// `199910060000` with format 102, and that is a real date and time.
pub fn edifact_date_time(
    value: &[u8],
    format: &[u8],
) -> Result<Option<(Date, Option<Time>)>, Error> {
    match format {
        b"717" | b"718" | b"719" => {
            let Some(dash) = value.iter().position(|&b| b == b'-') else {
                return Err(Error::NotADate("a period, start-end"));
            };
            let start = by_length(&value[..dash], format)?;
            by_length(&value[dash + 1..], format)?;
            Ok(start.map(|(d, t)| (d, if format == b"718" { None } else { t })))
        }
        b"401" | b"402" => {
            let (len, what) = if format == b"401" {
                (4, "HHMM")
            } else {
                (6, "HHMMSS")
            };
            if value.len() != len {
                return Err(Error::NotATime(what));
            }
            hhmm_ss(value).map(|_| None)
        }
        _ => by_length(value, format),
    }
}

/// The formats whose values are calendar dates by length: 101 YYMMDD, 102 CCYYMMDD, 203
/// CCYYMMDDHHMM, 204 CCYYMMDDHHMMSS, and no format at all.
fn by_length(v: &[u8], format: &[u8]) -> Result<Option<(Date, Option<Time>)>, Error> {
    let known = matches!(
        format,
        b"" | b"101" | b"102" | b"203" | b"204" | b"717" | b"718" | b"719"
    );
    if !known {
        return Ok(None);
    }
    if !digits_only(v) {
        return Err(Error::NotADate(format_name(format)));
    }
    match v.len() {
        6 if matches!(format, b"" | b"101" | b"717") => Ok(Some((yymmdd(v)?, None))),
        8 => Ok(Some((ccyymmdd(v)?, None))),
        12 | 14 => Ok(Some((ccyymmdd(&v[..8])?, Some(hhmm_ss(&v[8..])?)))),
        _ => Err(Error::NotADate(format_name(format))),
    }
}

fn format_name(format: &[u8]) -> &'static str {
    match format {
        b"101" | b"717" => "YYMMDD",
        b"102" | b"718" => "CCYYMMDD",
        b"203" | b"719" => "CCYYMMDDHHMM",
        b"204" => "CCYYMMDDHHMMSS",
        _ => "CCYYMMDD",
    }
}

/// The first C0 control character (0x00-0x1F) in `v` that is not one of `allowed` (the
/// separators of the segment, which may be control characters themselves), with its index.
///
/// X12's basic and extended character sets and EDIFACT's UNOA..UNOY repertoires carry no C0
/// controls in data; the line breaks of wrapped files are removed by the tokenizers before.
pub fn control_character(v: &[u8], allowed: &[u8]) -> Option<(usize, u8)> {
    // Every value of every segment passes here: a plain comparison the compiler vectorizes
    // first, the search only for the rare value that has one.
    if v.iter().all(|&b| b >= 0x20) {
        return None;
    }
    v.iter()
        .position(|&b| b < 0x20 && !allowed.contains(&b))
        .map(|i| (i, v[i]))
}

/// Text without C0 control characters: what the canonical model gets of a value that carried
/// some (the finding that reported them says so).
pub fn without_controls(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b < 0x20) {
        Cow::Owned(s.chars().filter(|&c| c >= ' ').collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// CCYYMMDD digits that name a day of the calendar (envelope headers, grammar checks).
pub(crate) fn valid_ccyymmdd(v: &[u8]) -> bool {
    ccyymmdd(v).is_ok()
}

/// YYMMDD digits that name a day of the calendar. [`yymmdd`] reads 50-99 as 19YY, which names
/// the same days as 20YY would: the two centuries agree on every leap year but 1900/2000, and
/// 00 is 2000 in both readings.
pub(crate) fn valid_yymmdd(v: &[u8]) -> bool {
    yymmdd(v).is_ok()
}

/// HHMM digits (at least four; what follows is not looked at) that name a time of day.
pub(crate) fn valid_hhmm(v: &[u8]) -> bool {
    v.len() >= 4 && hhmm_ss(&v[..4]).is_ok()
}

/// An X12 `TM` value: HHMM, HHMMSS, HHMMSSD or HHMMSSDD, digits only, a time of the clock.
pub(crate) fn valid_x12_time(v: &[u8]) -> bool {
    matches!(v.len(), 4 | 6 | 7 | 8)
        && digits_only(v)
        && valid_hhmm(v)
        && (v.len() < 6 || two(&v[4..6]) < 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x12(v: &str) -> Result<String, Error> {
        decimal(v.as_bytes(), Notation::X12).map(|d| d.to_string())
    }

    fn edi(v: &str) -> Result<String, Error> {
        decimal(v.as_bytes(), Notation::Edifact).map(|d| d.to_string())
    }

    #[test]
    fn decimals_as_written() {
        assert_eq!(x12("1072.90").unwrap(), "1072.90");
        assert_eq!(x12("-12.5").unwrap(), "-12.5");
        assert_eq!(x12(".5").unwrap(), "0.5");
        assert_eq!(x12("10.").unwrap(), "10");
        assert_eq!(x12("0008").unwrap(), "8");
        assert_eq!(x12("0.00").unwrap(), "0.00");
        assert_eq!(x12("1.2E2").unwrap(), "120");
        assert_eq!(x12("15E-1").unwrap(), "1.5");
        assert_eq!(edi("12,50").unwrap(), "12.50");
        assert_eq!(edi("-1,5").unwrap(), "-1.5");
        // Exactly 1 with more zeros after the point than the model places: still exactly 1.
        assert_eq!(
            x12(&format!("1.{}", "0".repeat(40))).unwrap(),
            "1.0000000000000000000000000000"
        );
    }

    #[test]
    fn qty_with_exponent_is_a_finding() {
        assert_eq!(edi("1E28"), Err(Error::Exponent));
        assert_eq!(edi("1E40"), Err(Error::Exponent));
        assert_eq!(edi("1e3"), Err(Error::NotANumber));
    }

    #[test]
    fn numbers_the_model_cannot_hold_exactly_are_refused() {
        assert_eq!(x12("1E40"), Err(Error::OutOfRange));
        assert_eq!(x12("1E99999999999999999999"), Err(Error::OutOfRange));
        assert_eq!(x12("1E28").unwrap(), "10000000000000000000000000000");
        assert_eq!(edi(&"9".repeat(29)), Err(Error::OutOfRange));
        assert_eq!(
            edi(&format!("0.{}1", "0".repeat(28))),
            Err(Error::OutOfRange)
        );
        assert_eq!(edi(&"9".repeat(28)).unwrap(), "9".repeat(28));
        assert_eq!(
            implied("9".repeat(40).as_bytes(), 2),
            Err(Error::OutOfRange)
        );
        assert_eq!(implied(b"107290", 2).unwrap().to_string(), "1072.90");
        assert_eq!(implied(b"-500", 2).unwrap().to_string(), "-5.00");
    }

    #[test]
    fn huge_exponents_never_panic() {
        for v in [
            "1E9223372036854775807",
            "1E-9223372036854775808",
            "0E-9223372036854775808",
            "0.5E-9223372036854775807",
            "1E-28",
            "1E-29",
        ] {
            let _ = x12(v);
        }
        assert_eq!(x12("1E-28").unwrap(), "0.0000000000000000000000000001");
        assert_eq!(x12("1E-29"), Err(Error::OutOfRange));
    }

    proptest::proptest! {
        /// Whatever `Decimal` parses exactly, we read the same, scale and all.
        #[test]
        fn plain_decimals_read_as_rust_decimal_does(n in proptest::num::i64::ANY, scale in 0u32..=18) {
            let d = Decimal::new(n, scale);
            let s = d.to_string();
            let read = |v: &str, notation| decimal(v.as_bytes(), notation).map(|d| d.to_string());
            proptest::prop_assert_eq!(read(&s, Notation::X12), Ok(s.clone()));
            proptest::prop_assert_eq!(read(&s.replace('.', ","), Notation::Edifact), Ok(s.clone()));
        }

        /// The same for 28-digit mantissas, which only the general path reads.
        #[test]
        fn long_decimals_read_as_rust_decimal_does(
            n in -9_999_999_999_999_999_999_999_999_999i128..=9_999_999_999_999_999_999_999_999_999i128,
            scale in 0u32..=28,
        ) {
            let s = Decimal::from_i128_with_scale(n, scale).to_string();
            proptest::prop_assert_eq!(
                decimal(s.as_bytes(), Notation::X12).map(|d| d.to_string()),
                Ok(s.clone())
            );
        }
    }

    #[test]
    fn not_numbers() {
        for bad in [
            "", "-", "1.2.3", "1O", "$1.179", "1,5", "+1", "1 000", "1E", "1E+3",
        ] {
            assert_eq!(x12(bad), Err(Error::NotANumber), "{bad:?}");
        }
        for bad in ["", "1.2,3", "1,2,3", "12 ", "+5"] {
            assert_eq!(edi(bad), Err(Error::NotANumber), "{bad:?}");
        }
    }

    #[test]
    fn edifact_dtm_dates_that_do_not_exist_are_refused() {
        let dt = |v: &str, f: &str| edifact_date_time(v.as_bytes(), f.as_bytes());
        for (v, f) in [
            ("20241345", "102"),
            ("00000000", "102"),
            ("20230230", "102"),
            ("20240100", "102"),
            ("202401011260", "203"),
            ("20240101240000", "204"),
            ("241301", "101"),
            ("20240101-20241301", "718"),
            ("2024010", "102"),
            ("2024-01-01", "102"),
            ("2460", "401"),
        ] {
            assert!(dt(v, f).is_err(), "{v} {f}");
        }
        assert_eq!(
            dt("20240229", "102").unwrap().unwrap().0.to_string(),
            "2024-02-29"
        );
        let (d, t) = dt("199910060000", "102").unwrap().unwrap();
        assert_eq!(
            (d.to_string(), t.unwrap().to_string()),
            ("1999-10-06".into(), "00:00:00".into())
        );
        assert_eq!(
            dt("990101", "101").unwrap().unwrap().0.to_string(),
            "1999-01-01"
        );
        assert_eq!(
            dt("20240101-20240131", "718")
                .unwrap()
                .unwrap()
                .0
                .to_string(),
            "2024-01-01"
        );
        // Formats that are not a calendar date, or unknown: not read, not refused.
        assert_eq!(dt("202413", "610"), Ok(None));
        assert_eq!(dt("1200", "401"), Ok(None));
        assert_eq!(dt("W05", "ZZZ"), Ok(None));
    }

    #[test]
    fn x12_dates() {
        assert!(ccyymmdd(b"20241345").is_err());
        assert!(ccyymmdd(b"00000000").is_err());
        assert!(yymmdd(b"000000").is_err());
        assert_eq!(yymmdd(b"990101").unwrap().to_string(), "1999-01-01");
    }

    #[test]
    fn control_characters() {
        assert_eq!(control_character(b"AB\x00C", &[]), Some((2, 0)));
        assert_eq!(control_character(b"A\x1FB", &[0x1F]), None);
        assert_eq!(control_character(b"plain text", &[]), None);
        assert_eq!(without_controls("A\u{0}B\tC"), "ABC");
    }

    #[test]
    fn dates() {
        assert!(valid_ccyymmdd(b"20240229"));
        assert!(!valid_ccyymmdd(b"20230229"));
        assert!(!valid_ccyymmdd(b"20231301"));
        assert!(valid_ccyymmdd(b"20000229"));
        assert!(!valid_ccyymmdd(b"19000229"));
        assert!(!valid_ccyymmdd(b"2024022"));
        assert!(!valid_ccyymmdd(b"2024-2-9"));
        assert!(valid_yymmdd(b"000229"));
        assert!(valid_yymmdd(b"960229"));
        assert!(!valid_yymmdd(b"970229"));
        assert!(!valid_yymmdd(b"240431"));
        assert!(valid_hhmm(b"2359"));
        assert!(valid_hhmm(b"0000"));
        assert!(valid_hhmm(b"235959"));
        assert!(!valid_hhmm(b"2460"));
        assert!(!valid_hhmm(b"2400"));
        assert!(!valid_hhmm(b"12 0"));
        assert!(!valid_hhmm(b"123"));
    }
}
