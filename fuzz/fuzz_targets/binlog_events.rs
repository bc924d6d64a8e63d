//! Binlog files and single events made of arbitrary bytes: the file reader and the decoder
//! (with and without checksums, inner events of transaction payloads included) never panic,
//! and the file reader never yields an event beyond the input.
#![no_main]

use binlog_proto::event::{Decoder, Event};
use binlog_proto::file::{BINLOG_MAGIC, BinlogFile};
use libfuzzer_sys::fuzz_target;

fn drain_payload(event: &Event<'_>, decoder: &mut Decoder) {
    if let Event::TransactionPayload(payload) = event {
        for inner in payload.events(decoder) {
            if inner.is_err() {
                break;
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, data)) = data.split_first() else {
        return;
    };
    // As a whole file (the magic prepended).
    let mut bytes = BINLOG_MAGIC.to_vec();
    bytes.extend_from_slice(data);
    let mut file = BinlogFile::new(&bytes).expect("magic");
    while let Some(event) = file.next() {
        let Ok(event) = event else { break };
        assert!(event.end_offset() <= bytes.len() as u64);
        drain_payload(&event.event, file.decoder_mut());
    }
    // As one event, after a FORMAT_DESCRIPTION-less start, with or without checksum.
    let mut decoder = Decoder::new();
    decoder.set_checksum(mode & 1 == 1);
    if let Ok(decoded) = decoder.decode(data) {
        drain_payload(&decoded.event, &mut decoder);
    }
});
