//! Packet framing on arbitrary bytes fed in arbitrary slices. Invariants: never a panic; no
//! packet over the limit; the bytes consumed (headers + payloads returned) never exceed the
//! bytes fed, and consumed + still buffered == fed; the same packets whatever the slicing;
//! every packet returned re-encodes (`write_packet`) and reads back to the same payload.
#![no_main]

use binlog_proto::packet::{HEADER_LEN, PacketReader, write_packet};
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;

const LIMIT: usize = 1 << 16;
const CHUNK: usize = 0xff_ffff;

fn read_all(data: &[u8], slice: usize) -> (Vec<(u8, Vec<u8>)>, bool) {
    let mut reader = PacketReader::new(LIMIT);
    reader.set_check_sequence(false);
    let mut packets = Vec::new();
    let mut fed = 0usize;
    let mut consumed = 0usize;
    for piece in data.chunks(slice.max(1)) {
        reader.feed(piece);
        fed += piece.len();
        loop {
            match reader.next_packet() {
                Ok(Some(p)) => {
                    assert!(p.payload.len() <= LIMIT);
                    // A payload of n bytes takes n / 0xffffff + 1 chunks, each with a header.
                    consumed += p.payload.len() + HEADER_LEN * (p.payload.len() / CHUNK + 1);
                    assert!(consumed <= fed, "consumed {consumed} > fed {fed}");
                    assert_eq!(consumed + reader.buffered(), fed);
                    packets.push((p.seq, p.payload.to_vec()));
                }
                Ok(None) => {
                    assert_eq!(consumed + reader.buffered(), fed);
                    break;
                }
                Err(_) => return (packets, true),
            }
        }
    }
    (packets, false)
}

fuzz_target!(|data: &[u8]| {
    let Some((&slice, data)) = data.split_first() else {
        return;
    };
    let whole = read_all(data, data.len());
    let sliced = read_all(data, usize::from(slice));
    assert_eq!(whole, sliced);
    // Re-encode what was read and read it back.
    for (seq, payload) in &whole.0 {
        let mut out = BytesMut::new();
        let mut next = *seq;
        write_packet(&mut out, &mut next, payload);
        let mut reader = PacketReader::new(LIMIT);
        reader.set_check_sequence(false);
        reader.feed(&out);
        let again = reader
            .next_packet()
            .expect("re-encoded packet")
            .expect("complete");
        assert_eq!((again.seq, again.payload.as_ref()), (*seq, payload.as_slice()));
        assert_eq!(reader.buffered(), 0);
    }
});
