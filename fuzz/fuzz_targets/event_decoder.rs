//! The event decoder with a FORMAT_DESCRIPTION as context (MySQL 8 and MariaDB with and
//! without checksums, 5.5, a wl2325 build), fed a sequence of arbitrary events: each event
//! is cut by its header's size field, and gets a valid CRC32 when the stream has checksums so
//! that mutations reach the body decoders. Invariants: never a panic; a decoded event's header
//! says the size of the bytes it was given; every row value renders.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use binlog_proto::event::{CHECKSUM_LEN, Decoder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, mut data)) = data.split_first() else {
        return;
    };
    let mut decoder = Decoder::new();
    decoder.set_max_decompressed_size(1 << 20);
    let fde = common::format_description(usize::from(selector));
    decoder
        .decode(&fde)
        .expect("the generated FORMAT_DESCRIPTION decodes");
    let fix_checksum = selector & 0x80 == 0;
    for _ in 0..64 {
        if data.len() < 19 {
            return;
        }
        let declared = u32::from_le_bytes([data[9], data[10], data[11], data[12]]) as usize;
        let crc_len = if fix_checksum && decoder.checksum() {
            CHECKSUM_LEN
        } else {
            0
        };
        let len = declared.saturating_sub(crc_len).clamp(19, data.len());
        let (event, rest) = data.split_at(len);
        data = rest;
        let bytes = if fix_checksum {
            let mut e = event.to_vec();
            // Make the size field agree with the event as it will be decoded.
            let total = (e.len() + crc_len) as u32;
            e[9..13].copy_from_slice(&total.to_le_bytes());
            common::with_checksum(&decoder, &e)
        } else {
            event.to_vec()
        };
        match decoder.decode(&bytes) {
            Ok(decoded) => {
                if fix_checksum {
                    assert_eq!(decoded.header.event_size as usize, bytes.len());
                }
                let _ = format!("{:?}", decoded.event);
                common::exercise(&decoded.event, &mut decoder);
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
});
