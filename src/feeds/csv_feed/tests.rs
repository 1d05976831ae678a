use super::*;

#[test]
fn the_usual_timestamps_are_read_as_the_parsers_read_them() {
    let mut fast = 0;
    for date in [
        "2024-03-11",
        "2024-02-29",
        "2023-02-29",
        "2024-04-31",
        "2024-13-01",
        "2024-00-10",
        "2024-01-00",
        "0999-12-31",
        "1000-01-01",
        "9000-12-31",
        "9999-12-31",
        "2024-1-011",
        "2024/03/11",
        "+02024-03-",
    ] {
        for clock in [
            "00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60", "9:15:42 ", "09:15:4a",
        ] {
            for zone in [
                " -0500", " +2359", " +2400", " -0060", " 0500", " -05:00", "Z", "+00:00",
                "-00:00", "+23:59", "+24:00", "+05:60", "+0500", "z", "",
            ] {
                for sep in [" ", "T", "t", "_"] {
                    let zone = if sep == " " {
                        zone.to_string()
                    } else {
                        zone.trim_start().to_string()
                    };
                    let t = format!("{date}{sep}{clock}{zone}");
                    let quick = usual_timestamp(t.as_bytes());
                    if let Some(d) = quick {
                        fast += 1;
                        assert_eq!(Some(d), parsed_timestamp_date(&t).ok(), "{t}");
                    }
                }
            }
        }
        let quick = usual_timestamp(date.as_bytes());
        if quick.is_some() {
            assert_eq!(quick, parsed_timestamp_date(date).ok(), "{date}");
        }
    }
    // The fast path does take the usual layouts.
    assert!(fast > 50, "{fast}");
    for t in [
        "2024-03-11 09:15:42 -0500",
        "2024-03-11T14:02:11Z",
        "2024-03-11T14:02:11+01:00",
    ] {
        assert!(usual_timestamp(t.as_bytes()).is_some(), "{t}");
    }
}

#[test]
fn timestamps_and_amounts() {
    assert_eq!(
        timestamp_date("2024-03-11 09:15:42 -0500")
            .unwrap()
            .to_string(),
        "2024-03-11"
    );
    assert_eq!(
        timestamp_date("2024-03-11T14:02:11+00:00")
            .unwrap()
            .to_string(),
        "2024-03-11"
    );
    assert_eq!(
        timestamp_date("2024-03-11").unwrap().to_string(),
        "2024-03-11"
    );
    assert!(timestamp_date("2024-02-30T10:00:00+00:00").is_err());
    assert_eq!(
        timestamp_date("2010-10-05T00%3A06%3A07.000Z")
            .unwrap()
            .to_string(),
        "2010-10-05"
    );
    assert!(timestamp_date("2024-03-11 25:00:00 -0500").is_err());
    // A `%` that starts no escape is kept, and then the value is not a timestamp.
    assert!(
        timestamp_date("2010-10-05T00%3A06%3A07%Z")
            .unwrap_err()
            .contains("'2010-10-05T00:06:07%Z'")
    );
    assert_eq!(amount("24.00").unwrap().to_string(), "24.00");
    assert!(amount("12,99").unwrap_err().contains("decimal mark"));
    assert_eq!(amount(" +2 ").unwrap().to_string(), "2");
    assert_eq!(amount("-0.50").unwrap().to_string(), "-0.50");
    assert!(amount("1e2").unwrap_err().contains("exponent"));
    assert!(amount("1E40").unwrap_err().contains("exponent"));
    for bad in ["1_000", ".5", "5.", "$5", "", "-", "1.2.3", "NaN", "inf"] {
        assert!(amount(bad).is_err(), "{bad}");
    }
    assert!(
        amount("79228162514264337593543950336")
            .unwrap_err()
            .contains("digits")
    );
    assert!(
        amount("0.12345678901234567890123456789012")
            .unwrap_err()
            .contains("digits")
    );
    assert_eq!(
        amount("79228162514264337593543950335").unwrap().to_string(),
        "79228162514264337593543950335"
    );
}
