//! Packet framing on arbitrary bytes fed in arbitrary slices: never a panic, never more than
//! the limit buffered as a packet, and the same packets whatever the slicing.
#![no_main]

use binlog_proto::packet::PacketReader;
use libfuzzer_sys::fuzz_target;

const LIMIT: usize = 1 << 16;

fn read_all(data: &[u8], slice: usize) -> (Vec<(u8, Vec<u8>)>, bool) {
    let mut reader = PacketReader::new(LIMIT);
    reader.set_check_sequence(false);
    let mut packets = Vec::new();
    for piece in data.chunks(slice.max(1)) {
        reader.feed(piece);
        loop {
            match reader.next_packet() {
                Ok(Some(p)) => {
                    assert!(p.payload.len() <= LIMIT);
                    packets.push((p.seq, p.payload.to_vec()));
                }
                Ok(None) => break,
                Err(_) => return (packets, true),
            }
        }
    }
    (packets, false)
}

fuzz_target!(|data: &[u8]| {
    let Some((&slice, data)) = data.split_first() else { return };
    let whole = read_all(data, data.len());
    let sliced = read_all(data, usize::from(slice));
    assert_eq!(whole, sliced);
});
