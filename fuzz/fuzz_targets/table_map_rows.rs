//! TABLE_MAP and rows event bodies from arbitrary bytes: never a panic, and every row that
//! validates renders every value.
#![no_main]

use binlog_proto::event::EventType;
use binlog_proto::event::rows::parse_rows_event;
use binlog_proto::event::table_map::{TableMaps, parse_table_map};
use libfuzzer_sys::fuzz_target;

const ROWS_TYPES: [u8; 16] = [
    20, 21, 22, 23, 24, 25, 30, 31, 32, 39, 166, 167, 168, 169, 170, 171,
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Some((&split, rest)) = rest.split_first() else {
        return;
    };
    let (map_body, rows_body) = rest.split_at(usize::from(split).saturating_mul(2).min(rest.len()));
    let Ok(map) = parse_table_map(map_body, 8) else {
        return;
    };
    let mut tables = TableMaps::new();
    let table_id = map.table_id();
    tables.insert(map);
    let event_type = ROWS_TYPES[usize::from(selector) % ROWS_TYPES.len()];
    let post_header_len = if matches!(event_type, 30..=32 | 39 | 169..=171) {
        10
    } else {
        8
    };
    // point the rows event at the mapped table
    let mut body = table_id.to_le_bytes()[..6].to_vec();
    body.extend_from_slice(rows_body);
    let Ok(event) = parse_rows_event(EventType(event_type), &body, post_header_len, &tables) else {
        return;
    };
    for row in event.rows() {
        let Ok(row) = row else { break };
        for image in [row.before(), row.after()].into_iter().flatten() {
            // The value pass yields every column the validating pass accepted.
            let mut yielded = 0usize;
            for (_, value) in image.values() {
                let _ = value.to_string();
                let _ = value.to_owned_value();
                yielded += 1;
            }
            assert_eq!(yielded, image.len(), "values() stopped early");
        }
    }
});
