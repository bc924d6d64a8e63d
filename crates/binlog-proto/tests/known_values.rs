//! The values rust_mysql_common asserts for its test binlogs (corpus PROVENANCE.md §2).

mod common;

use binlog_proto::event::EventType;
use binlog_proto::value::{Charset, Collation, ColumnType, OwnedValue, Signedness, Value};

const DIR: &str = "rust_mysql_common/test-data/binlogs/";

fn rows(file: &str) -> Vec<common::DecodedRow> {
    common::decode_rows(&common::read_corpus(&format!("{DIR}{file}")))
}

fn after(row: &common::DecodedRow, col: usize) -> &OwnedValue {
    row.row.after.as_ref().unwrap().get(col).unwrap()
}

fn before(row: &common::DecodedRow, col: usize) -> &OwnedValue {
    row.row.before.as_ref().unwrap().get(col).unwrap()
}

#[test]
fn json_opaque_values_print_as_mysql_does() {
    let rows = rows("json-opaque.binlog");
    let texts: Vec<String> = rows.iter().map(|r| after(r, 0).to_string()).collect();
    // rust_mysql_common renders DECIMALs inside JSON as strings; MySQL prints them as numbers
    assert_eq!(
        texts,
        [
            r#"{"a": "base64:type15:VQ=="}"#,
            r#"{"b": "2012-03-18"}"#,
            r#"{"c": "2012-03-18 11:30:45.000000"}"#,
            r#"{"c": "87:31:46.654321"}"#,
            r#"{"d": 123.456}"#,
            r#"{"e": 9.00}"#,
            r#"{"e": [0, 1, true, false]}"#,
            r#"{"e": null}"#,
        ]
    );
    // and the serde form is the same JSON (decimals as strings)
    let json: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| serde_json::to_value(after(r, 0)).unwrap())
        .collect();
    assert_eq!(json[0], serde_json::json!({"a": "base64:type15:VQ=="}));
    assert_eq!(json[4], serde_json::json!({"d": "123.456"}));
    assert_eq!(json[6], serde_json::json!({"e": [0, 1, true, false]}));
}

#[test]
fn vector_dimensions_and_values() {
    let rows = rows("vector.binlog");
    let foo = &rows[0].table;
    assert_eq!(foo.table(), "foo");
    let dims = |t: &binlog_proto::event::table_map::TableMap| -> Vec<u32> {
        t.columns().iter().filter_map(|c| c.vector_dimensions()).collect()
    };
    assert_eq!(dims(foo), [3]);
    let bar = rows.iter().find(|r| r.table.table() == "bar").unwrap();
    assert_eq!(dims(&bar.table), [2, 4]);
    assert_eq!(after(&rows[0], 0).to_string(), "1");
    let bytes = |v: &OwnedValue| match v {
        OwnedValue::Vector(b) => b.to_vec(),
        other => panic!("{other:?}"),
    };
    assert_eq!(hex::encode(bytes(after(&rows[0], 1))), "cdcc8c3fcdcc0c4033335340");
    assert_eq!(after(&rows[1], 0).to_string(), "2");
    assert_eq!(hex::encode(bytes(after(&rows[1], 1))), "0000803f000080bf00000000");
    match after(&rows[0], 1).as_value() {
        Value::Vector(v) => assert_eq!(v.iter().collect::<Vec<_>>(), [1.1f32, 2.2, 3.3]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn bit_values() {
    let rows = rows("mysql_type_bit.000001");
    assert_eq!(rows.len(), 1);
    let bit = |v: &OwnedValue| match v {
        OwnedValue::Bit(b) => b.to_be_bytes(),
        other => panic!("{other:?}"),
    };
    assert_eq!(bit(after(&rows[0], 0)), [0x04]);
    assert_eq!(after(&rows[0], 1).as_value().as_text().unwrap(), "foo");
    assert_eq!(bit(after(&rows[0], 2)), [0x20]);
}

#[test]
fn enum_and_set_values() {
    let rows = rows("mysql-enum-string-set.000001");
    let kinds: Vec<EventType> = rows.iter().map(|r| r.event_type).collect();
    assert_eq!(
        kinds,
        [
            EventType::WRITE_ROWS_EVENT,
            EventType::UPDATE_ROWS_EVENT,
            EventType::DELETE_ROWS_EVENT
        ]
    );
    let table = &rows[0].table;
    assert_eq!(table.columns()[2].real_type(), ColumnType::ENUM);
    assert_eq!(table.columns()[3].real_type(), ColumnType::SET);
    let enum_index = |v: &OwnedValue| match v {
        OwnedValue::Enum { index, .. } => *index,
        other => panic!("{other:?}"),
    };
    let set_bits = |v: &OwnedValue| match v {
        OwnedValue::Set { bits, .. } => *bits,
        other => panic!("{other:?}"),
    };
    let insert = &rows[0];
    let update = &rows[1];
    let delete = &rows[2];
    assert_eq!(enum_index(after(insert, 2)), 1);
    assert_eq!(set_bits(after(insert, 3)), 0b101);
    assert_eq!(after(insert, 2).to_string(), "var1");
    assert_eq!(after(insert, 3).to_string(), "one,three");
    assert_eq!(enum_index(before(update, 2)), 1);
    assert_eq!(enum_index(after(update, 2)), 2);
    assert_eq!(set_bits(after(update, 3)), 0b1010);
    assert_eq!(after(update, 3).to_string(), "two,four");
    assert_eq!(after(update, 0).to_string(), "field1");
    assert_eq!(after(update, 1).to_string(), "field_2");
    assert_eq!(enum_index(before(delete, 2)), 2);
    assert_eq!(set_bits(before(delete, 3)), 0b1010);
    let digits = "0123456789".repeat(10);
    assert_eq!(after(insert, 0).to_string(), digits);
    assert_eq!(after(insert, 4).to_string(), "0123456789");
}

#[test]
fn mariadb_full_metadata() {
    let rows = rows("mariadb-bin.000001");
    let t = &rows[0].table;
    assert_eq!((t.schema(), t.table()), ("toddy_test", "outbox"));
    let names: Vec<_> = t.columns().iter().map(|c| c.name().unwrap()).collect();
    assert_eq!(names, ["id", "topic", "event_type", "event", "created"]);
    assert_eq!(
        t.primary_key()
            .unwrap()
            .iter()
            .map(|k| k.column)
            .collect::<Vec<_>>(),
        [0]
    );
    let charsets: Vec<Option<u16>> = t.columns().iter().map(|c| c.collation().map(|c| c.0)).collect();
    // utf8mb4_general_ci is 45, binary 63
    assert_eq!(charsets, [None, Some(45), Some(45), Some(63), None]);
    assert_eq!(t.columns()[1].charset(), Some(Charset::Utf8mb4));
    assert_eq!(rows[0].event_type, EventType::WRITE_ROWS_EVENT_V1);
    assert_eq!(after(&rows[0], 2).to_string(), "JSON");
    assert!(matches!(after(&rows[0], 3).as_value(), Value::String(s) if s.is_binary()));
}

#[test]
fn minimal_metadata_still_gives_signedness_and_collation() {
    let rows = rows("minimal_row_metadata.000001");
    let t = &rows[0].table;
    assert_eq!(t.columns()[2].collation(), Some(Collation(255))); // utf8mb4_0900_ai_ci, @3 in 1-based
    assert_eq!(t.columns()[4].signedness(), Signedness::Unsigned);
    assert_eq!(after(&rows[0], 4).to_string(), "3230202323");
    assert!(t.columns().iter().all(|c| c.name().is_none()));
}

#[test]
fn negative_time_beyond_255_hours() {
    let rows = rows("time_issue.000001");
    assert_eq!(rows.len(), 1);
    assert_eq!(after(&rows[0], 0).to_string(), "-507:48:27");
}

fn image_text(image: &Option<binlog_proto::event::rows::OwnedImage>) -> Vec<Option<String>> {
    image
        .as_ref()
        .unwrap()
        .values
        .iter()
        .map(|v| v.as_ref().map(|v| v.to_string()))
        .collect()
}

#[test]
fn ndb_partial_images_hold_only_their_columns() {
    let all = rows("update-partial-row.binlog");
    let update = all
        .iter()
        .find(|r| r.event_type == EventType::UPDATE_ROWS_EVENT_V1)
        .unwrap();
    let s = |v: &str| Some(v.to_string());
    assert_eq!(image_text(&update.row.before), [s("4"), None, s("4")]);
    assert_eq!(image_text(&update.row.after), [s("4"), None, s("40")]);
    let delete = all
        .iter()
        .find(|r| r.event_type == EventType::DELETE_ROWS_EVENT_V1)
        .unwrap();
    assert_eq!(image_text(&delete.row.before), [s("2"), None, None]);
    let partial_write = rows("write-partial-row.binlog");
    let last_write = partial_write
        .iter()
        .rfind(|r| r.event_type == EventType::WRITE_ROWS_EVENT_V1)
        .unwrap();
    assert_eq!(image_text(&last_write.row.after), [s("4"), None, s("40")]);
}

#[test]
fn partial_json_updates_decode_into_edits() {
    use binlog_proto::value::JsonDiffOperation;
    let rows = rows("json.binlog.000001");
    let partial: Vec<_> = rows
        .iter()
        .filter(|r| r.event_type == EventType::PARTIAL_UPDATE_ROWS_EVENT)
        .collect();
    assert_eq!(partial.len(), 6);
    let expected_age = [26, 34, 42, 26, 34, 42];
    for (r, age) in partial.iter().zip(expected_age) {
        // minimal before image: the primary key only; after image: the changed columns
        let before = image_text(&r.row.before);
        assert!(
            before[0].is_some() && before[1..].iter().all(Option::is_none),
            "{before:?}"
        );
        let after = r.row.after.as_ref().unwrap();
        assert!(after.get(0).is_none());
        match after.get(1).unwrap().as_value() {
            Value::JsonDiff(diff) => {
                let edits: Vec<_> = diff.iter().collect();
                assert_eq!(edits.len(), 1);
                assert_eq!(edits[0].operation, JsonDiffOperation::Replace);
                assert_eq!(edits[0].path, "$.age");
                assert_eq!(edits[0].value.unwrap().to_string(), age.to_string());
                assert_eq!(
                    serde_json::to_value(after.get(1).unwrap()).unwrap(),
                    serde_json::json!([{"op": "REPLACE", "path": "$.age", "value": age}])
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(after.get(3).unwrap().to_string(), age.to_string());
    }
}
