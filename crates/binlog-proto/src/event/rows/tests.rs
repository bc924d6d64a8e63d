use std::io::Write;

use super::*;
use crate::event::table_map::parse_table_map;
use crate::value::Value;

/// `db`.`t` (id 7) with an INT and a VARCHAR(20), then JSON when `json` is set.
fn tables(json: bool) -> TableMaps {
    let mut body = vec![7, 0, 0, 0, 0, 0, 1, 0, 2, b'd', b'b', 0, 1, b't', 0];
    if json {
        body.extend_from_slice(&[3, 3, 15, 245, 3, 20, 0, 4, 0b111]);
    } else {
        body.extend_from_slice(&[2, 3, 15, 2, 20, 0, 0b11]);
    }
    let mut maps = TableMaps::new();
    maps.insert(parse_table_map(&body, 8).unwrap());
    maps
}

fn texts(event: &RowsEvent<'_>) -> Vec<(Option<String>, Option<String>)> {
    let show = |image: Option<RowImage<'_>>| {
        image.map(|i| {
            i.values()
                .map(|(c, v)| format!("{}={v}", c.index()))
                .collect::<Vec<_>>()
                .join(",")
        })
    };
    event
        .rows()
        .map(|r| {
            let r = r.unwrap();
            (show(r.before()), show(r.after()))
        })
        .collect()
}

#[test]
fn v1_update_with_different_images() {
    // before image: both columns; after image: column 1 only
    let body = [
        7, 0, 0, 0, 0, 0, 1, 0, // id, flags
        2, 0b11, 0b10, // width, before bitmap, after bitmap
        0, 5, 0, 0, 0, 2, b'a', b'b', // before: id 5, "ab"
        0, 1, b'c', // after: "c"
    ];
    let event = parse_rows_event(EventType::UPDATE_ROWS_EVENT_V1, &body, 8, &tables(false)).unwrap();
    assert_eq!(event.kind(), RowsKind::Update);
    assert_eq!(event.version(), RowsVersion::V1);
    assert!(event.in_before_image(0) && !event.in_after_image(0));
    assert_eq!(texts(&event), [(Some("0=5,1=ab".into()), Some("1=c".into()))]);
}

#[test]
fn v0_updates_share_one_bitmap() {
    let body = [7, 0, 0, 0, 0, 0, 0, 0, 2, 0b01, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0];
    let event = parse_rows_event(EventType::PRE_GA_UPDATE_ROWS_EVENT, &body, 8, &tables(false)).unwrap();
    assert_eq!(event.version(), RowsVersion::V0);
    assert_eq!(texts(&event), [(Some("0=1".into()), Some("0=2".into()))]);
}

#[test]
fn four_byte_table_ids_and_null_values() {
    // post-header length 6: 4-byte table id (pre-GA 5.1)
    let body = [7, 0, 0, 0, 0, 0, 2, 0b11, 0b10, 9, 0, 0, 0];
    let event = parse_rows_event(EventType::DELETE_ROWS_EVENT_V1, &body, 6, &tables(false)).unwrap();
    assert_eq!(event.table_id(), 7);
    assert_eq!(texts(&event), [(Some("0=9,1=NULL".into()), None)]);
}

#[test]
fn v2_extra_data_and_unknown_tables() {
    let body = [7, 0, 0, 0, 0, 0, 1, 0, 5, 0, 1, 3, 0, 2, 0b01, 0, 4, 0, 0, 0];
    let event = parse_rows_event(EventType::WRITE_ROWS_EVENT, &body, 10, &tables(false)).unwrap();
    assert_eq!(event.extra_row_info().unwrap().partition, Some(3));
    assert_eq!(texts(&event), [(None, Some("0=4".into()))]);
    let mut other = body;
    other[0] = 8;
    assert_eq!(
        parse_rows_event(EventType::WRITE_ROWS_EVENT, &other, 10, &tables(false)).unwrap_err(),
        Error::UnknownTable { table_id: 8 }
    );
    assert!(parse_rows_event(EventType::QUERY_EVENT, &body, 10, &tables(false)).is_err());
}

#[test]
fn value_errors_name_row_and_column() {
    // the VARCHAR says 9 bytes but 1 follows
    let body = [7, 0, 0, 0, 0, 0, 1, 0, 2, 0b11, 0, 1, 0, 0, 0, 9, b'x'];
    let event = parse_rows_event(EventType::WRITE_ROWS_EVENT_V1, &body, 8, &tables(false)).unwrap();
    match event.rows().next().unwrap().unwrap_err() {
        Error::InValue {
            row,
            column,
            column_type,
            ..
        } => assert_eq!(
            (row, column, column_type),
            (0, 1, crate::value::ColumnType::VARCHAR)
        ),
        other => panic!("{other}"),
    }
    assert!(event.rows().nth(1).is_none(), "the iterator ends after an error");
}

#[test]
fn partial_update_without_partial_json_has_full_documents() {
    // JSON literal true: type 0x04, value 0x01
    let doc = [0x04, 0x01];
    let mut body = vec![7, 0, 0, 0, 0, 0, 1, 0, 2, 0, 3, 0b001, 0b100];
    body.extend_from_slice(&[0, 1, 0, 0, 0]); // before: id 1
    body.extend_from_slice(&[0]); // value_options: no partial JSON
    body.extend_from_slice(&[0, 2, 0, 0, 0]);
    body.extend_from_slice(&doc);
    let event = parse_rows_event(EventType::PARTIAL_UPDATE_ROWS_EVENT, &body, 10, &tables(true)).unwrap();
    assert!(event.is_partial_update());
    assert_eq!(texts(&event), [(Some("0=1".into()), Some("2=true".into()))]);
    // with PARTIAL_JSON set and the column's bit on, the value is an edit list
    let diff = [0u8, 3, b'$', b'.', b'a', 2, 0x04, 0x00];
    let mut body = vec![
        7, 0, 0, 0, 0, 0, 1, 0, 2, 0, 3, 0b001, 0b100, 0, 1, 0, 0, 0, 1, 0b1, 0,
    ];
    body.extend_from_slice(&(diff.len() as u32).to_le_bytes());
    body.extend_from_slice(&diff);
    let event = parse_rows_event(EventType::PARTIAL_UPDATE_ROWS_EVENT, &body, 10, &tables(true)).unwrap();
    let row = event.rows().next().unwrap().unwrap();
    match row.after().unwrap().get(2).unwrap() {
        Value::JsonDiff(d) => assert_eq!(d.to_string(), r#"[REPLACE "$.a" null]"#),
        other => panic!("{other:?}"),
    }
}

#[test]
fn mariadb_compressed_rows_are_decompressed() {
    let rows = [0u8, 1, 0, 0, 0, 1, b'z', 0, 2, 0, 0, 0, 0];
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&rows).unwrap();
    let stream = enc.finish().unwrap();
    let mut body = vec![7, 0, 0, 0, 0, 0, 1, 0, 2, 0b11, 0x81, rows.len() as u8];
    body.extend_from_slice(&stream);
    let event = parse_rows_event(
        EventType::WRITE_ROWS_COMPRESSED_EVENT_V1,
        &body,
        8,
        &tables(false),
    )
    .unwrap();
    assert!(event.is_compressed());
    assert_eq!(
        texts(&event),
        [(None, Some("0=1,1=z".into())), (None, Some("0=2,1=".into()))]
    );
    // owned values share the decompressed buffer
    let backing = event.decompressed().unwrap().clone();
    let row = event.rows().next().unwrap().unwrap();
    let owned = row.to_owned_in(&backing);
    match owned.after.unwrap().get(1).unwrap() {
        crate::value::OwnedValue::String { stored, .. } => {
            let start = backing.as_ptr() as usize;
            let at = stored.as_ptr() as usize;
            assert!(at >= start && at < start + backing.len());
        }
        other => panic!("{other:?}"),
    }
    let mut bad = body.clone();
    bad[10] = 0x01;
    assert!(parse_rows_event(EventType::WRITE_ROWS_COMPRESSED_EVENT_V1, &bad, 8, &tables(false)).is_err());
}

#[test]
fn empty_rows_are_errors_not_loops() {
    // a column bitmap with no column: every row would take zero bytes
    let body = [7, 0, 0, 0, 0, 0, 1, 0, 2, 0b00, 0xaa];
    let event = parse_rows_event(EventType::WRITE_ROWS_EVENT_V1, &body, 8, &tables(false)).unwrap();
    let results: Vec<_> = event.rows().collect();
    assert_eq!(results.len(), 1);
    assert!(results[0].is_err());
}
