//! GTID sets, MySQL (text and binary, tagged and untagged) and MariaDB (text). Invariants:
//! never a panic; decode -> encode -> decode is stable, the bytes consumed never exceed the
//! input and `encoded_len` is the encoded length; text parse -> display -> parse is stable.
#![no_main]

use binlog_proto::gtid::{GtidSet, MariadbGtidList};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Binary.
    if let Ok((set, consumed)) = GtidSet::decode(data) {
        assert!(consumed <= data.len());
        let encoded = set.encode();
        assert_eq!(encoded.len(), set.encoded_len());
        let (again, used) = GtidSet::decode(&encoded).expect("re-encoded set decodes");
        assert_eq!(used, encoded.len());
        assert_eq!(again, set);
        assert_eq!(again.encode(), encoded);
        // Text of a decoded set parses back to the same set.
        let text = set.to_string();
        let parsed: GtidSet = text.parse().expect("displayed set parses");
        assert_eq!(parsed, set);
    }
    // Text.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(set) = text.parse::<GtidSet>() {
        let shown = set.to_string();
        let again: GtidSet = shown.parse().expect("displayed set parses");
        assert_eq!(again, set);
        assert_eq!(again.to_string(), shown);
        let (decoded, _) = GtidSet::decode(&set.encode()).expect("encoded set decodes");
        assert_eq!(decoded, set);
    }
    if let Ok(list) = text.parse::<MariadbGtidList>() {
        let shown = list.to_string();
        let again: MariadbGtidList = shown.parse().expect("displayed list parses");
        assert_eq!(again, list);
        assert_eq!(again.to_string(), shown);
    }
});
