//! MySQL binary JSON from arbitrary bytes. Invariants: never a panic; a document that
//! validates renders as text that a JSON parser accepts, and walking it never nests deeper
//! than `limits::MAX_JSON_DEPTH`.
#![no_main]

use binlog_proto::limits::MAX_JSON_DEPTH;
use binlog_proto::value::{Json, JsonValue};
use libfuzzer_sys::fuzz_target;

fn walk(value: JsonValue<'_>, depth: usize) {
    assert!(
        depth <= MAX_JSON_DEPTH + 1,
        "walked deeper than the validated depth"
    );
    match value {
        JsonValue::Object(o) => {
            let n = o.len();
            let mut seen = 0;
            for (key, v) in o.iter() {
                assert!(o.get(key).is_some());
                walk(v, depth + 1);
                seen += 1;
            }
            assert_eq!(seen, n);
        }
        JsonValue::Array(a) => {
            let n = a.len();
            let mut seen = 0;
            for v in a.iter() {
                walk(v, depth + 1);
                seen += 1;
            }
            assert_eq!(seen, n);
            assert!(a.get(n).is_none());
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(json) = Json::parse(data) else { return };
    walk(json.value(), 0);
    let text = json.to_string();
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(&text) {
        panic!("rendered JSON does not parse ({e}): {text}");
    }
});
