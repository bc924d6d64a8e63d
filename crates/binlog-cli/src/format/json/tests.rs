//! The JSON form of each value kind, from values built by hand.

use binlog_proto::value::{
    Bit, Collation, Date, DateTime, EnumValue, Int, Labels, SetValue, Signedness, StringValue, Time,
    Timestamp, Value, Vector,
};

use super::write_value;

fn json(value: Value<'_>) -> String {
    let mut out = Vec::new();
    write_value(&mut out, &value);
    let text = String::from_utf8(out).unwrap();
    // Every form is valid JSON.
    serde_json::from_str::<serde_json::Value>(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
    text
}

#[test]
fn integers_keep_their_full_range_and_sign() {
    assert_eq!(
        json(Value::Int(Int::new(u64::MAX, 8, Signedness::Unsigned))),
        "18446744073709551615"
    );
    assert_eq!(json(Value::Int(Int::new(u64::MAX, 8, Signedness::Signed))), "-1");
    assert_eq!(
        json(Value::Int(Int::new(1 << 63, 8, Signedness::Signed))),
        "-9223372036854775808"
    );
    assert_eq!(json(Value::Int(Int::new(0xff, 1, Signedness::Unknown))), "-1");
    assert_eq!(json(Value::Int(Int::new(0xff, 1, Signedness::Unsigned))), "255");
    assert_eq!(json(Value::Null), "null");
}

#[test]
fn floats_are_shortest_round_trip_numbers() {
    assert_eq!(json(Value::Float(1.1)), "1.1");
    assert_eq!(json(Value::Double(0.1)), "0.1");
    assert_eq!(
        json(Value::Double(-1.7976931348623157e308)),
        "-1.7976931348623157e308"
    );
    assert_eq!(json(Value::Float(f32::NAN)), "null");
}

#[test]
fn temporal_values_print_the_columns_fractional_digits() {
    let date = Date {
        year: 2024,
        month: 1,
        day: 31,
    };
    assert_eq!(json(Value::Date(date)), r#""2024-01-31""#);
    let dt = DateTime {
        date,
        hour: 7,
        minute: 5,
        second: 9,
        micros: 120_000,
        decimals: 3,
    };
    assert_eq!(json(Value::DateTime(dt)), r#""2024-01-31 07:05:09.120""#);
    let dt0 = DateTime {
        decimals: 0,
        micros: 0,
        ..dt
    };
    assert_eq!(json(Value::DateTime(dt0)), r#""2024-01-31 07:05:09""#);
    let zero = Date {
        year: 0,
        month: 0,
        day: 0,
    };
    assert_eq!(json(Value::Date(zero)), r#""0000-00-00""#);
    let t = Time {
        negative: true,
        hours: 838,
        minutes: 59,
        seconds: 59,
        micros: 1,
        decimals: 6,
    };
    assert_eq!(json(Value::Time(t)), r#""-838:59:59.000001""#);
    let t = Time {
        negative: false,
        hours: 1,
        minutes: 2,
        seconds: 3,
        micros: 0,
        decimals: 0,
    };
    assert_eq!(json(Value::Time(t)), r#""01:02:03""#);
    let ts = Timestamp {
        seconds: 1_706_702_400,
        micros: 500_000,
        decimals: 1,
    };
    assert_eq!(json(Value::Timestamp(ts)), r#""2024-01-31 12:00:00.5""#);
    let ts = Timestamp {
        seconds: 0,
        micros: 0,
        decimals: 0,
    };
    assert_eq!(json(Value::Timestamp(ts)), r#""0000-00-00 00:00:00""#);
    assert_eq!(json(Value::Year(2155)), "2155");
}

#[test]
fn strings_text_in_their_charset_bytes_in_base64() {
    let utf8 = StringValue::new("é\"\\\n\u{1}".as_bytes(), Some(Collation(45)), 0);
    assert_eq!(json(Value::String(utf8)), r#""é\"\\\n\u0001""#);
    let latin1 = StringValue::new(b"\xe9", Some(Collation(8)), 0);
    assert_eq!(json(Value::String(latin1)), r#""é""#);
    let binary = StringValue::new(b"ab", Some(Collation::BINARY), 4);
    assert_eq!(json(Value::String(binary)), r#"{"base64":"YWIAAA=="}"#);
    let invalid = StringValue::new(b"\xff", Some(Collation(45)), 0);
    assert_eq!(json(Value::String(invalid)), r#"{"base64":"/w=="}"#);
    assert_eq!(
        json(Value::Geometry(&[0, 0, 0, 0, 1])),
        r#"{"base64":"AAAAAAE="}"#
    );
}

#[test]
fn enum_set_bit_and_vector() {
    let labels: Labels = vec!["a".into(), "b\"".into(), "c".into()].into();
    assert_eq!(json(Value::Enum(EnumValue::new(2, Some(&labels)))), r#""b\"""#);
    assert_eq!(json(Value::Enum(EnumValue::new(0, Some(&labels)))), r#""""#);
    assert_eq!(json(Value::Enum(EnumValue::new(2, None))), "2");
    assert_eq!(json(Value::Set(SetValue::new(0b101, Some(&labels)))), r#""a,c""#);
    assert_eq!(json(Value::Set(SetValue::new(0b101, None))), r#""1,3""#);
    assert_eq!(json(Value::Set(SetValue::new(0b1001, Some(&labels)))), r#""1,4""#);
    assert_eq!(json(Value::Set(SetValue::new(0, Some(&labels)))), r#""""#);
    assert_eq!(json(Value::Set(SetValue::new(1 << 63, None))), r#""64""#);
    assert_eq!(
        json(Value::Bit(Bit {
            value: u64::MAX,
            bits: 64
        })),
        "18446744073709551615"
    );
    let bytes: Vec<u8> = [1.5f32, -2.0].iter().flat_map(|x| x.to_le_bytes()).collect();
    assert_eq!(json(Value::Vector(Vector::new(&bytes).unwrap())), "[1.5,-2.0]");
}

#[test]
fn decimals_print_exactly_as_display_does() {
    use binlog_proto::value::Decimal;
    // Every stored form that decodes, for a spread of (precision, scale): the fast path
    // (digits fit in an i128) and the Display fallback agree.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut checked = 0;
    for (precision, scale) in [
        (1, 0),
        (5, 5),
        (10, 2),
        (18, 9),
        (20, 10),
        (38, 0),
        (38, 38),
        (39, 3),
        (65, 30),
    ] {
        for _ in 0..20_000 {
            let bytes: Vec<u8> = (0..32)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            let Ok((d, _)) = Decimal::from_binary(&bytes, precision, scale) else {
                continue;
            };
            let mut out = Vec::new();
            super::write_decimal(&mut out, &d);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                d.to_string(),
                "DECIMAL({precision},{scale})"
            );
            checked += 1;
        }
    }
    assert!(checked > 1000, "{checked}");
    let one_fifty = Decimal::from_binary(&[0x80, 0, 0, 1, 0x32], 10, 2).unwrap().0;
    assert_eq!(json(Value::Decimal(one_fifty)), r#""1.50""#);
}
