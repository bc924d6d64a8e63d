//! TRANSACTION_PAYLOAD decompression (zstd) with a size limit, directly and as a whole event
//! through the decoder. Invariants: never a panic; a successful decompression has exactly the
//! declared size, never above the limit; compressing arbitrary data and decompressing it gives
//! the data back.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use binlog_proto::compression::uncompress_zstd;
use binlog_proto::event::Decoder;
use libfuzzer_sys::fuzz_target;

const LIMIT: usize = 1 << 20;

fn lenenc(out: &mut Vec<u8>, v: u64) {
    match v {
        0..=250 => out.push(v as u8),
        251..=0xffff => {
            out.push(0xfc);
            out.extend_from_slice(&(v as u16).to_le_bytes());
        }
        0x1_0000..=0xff_ffff => {
            out.push(0xfd);
            out.extend_from_slice(&(v as u32).to_le_bytes()[..3]);
        }
        _ => {
            out.push(0xfe);
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
}

fn field(out: &mut Vec<u8>, ty: u64, value: u64) {
    let mut v = Vec::new();
    lenenc(&mut v, value);
    lenenc(out, ty);
    lenenc(out, v.len() as u64);
    out.extend_from_slice(&v);
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Some((declared, frame)) = rest.split_first_chunk::<4>() else {
        return;
    };
    let declared = u64::from(u32::from_le_bytes(*declared)) >> (mode & 15);
    match uncompress_zstd(frame, declared, LIMIT) {
        Ok(out) => {
            assert_eq!(out.len() as u64, declared);
            assert!(out.len() <= LIMIT);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    if mode & 0x10 != 0 {
        // Round trip of arbitrary data.
        let original = &frame[..frame.len().min(4096)];
        let packed = zstd::bulk::compress(original, 1).expect("compress");
        let back = uncompress_zstd(&packed, original.len() as u64, LIMIT).expect("round trip");
        assert_eq!(back, original);
    }
    if mode & 0x20 != 0 {
        // As a TRANSACTION_PAYLOAD_EVENT after a MySQL 8 FORMAT_DESCRIPTION; the inner events
        // are decoded with the same decoder.
        let mut decoder = Decoder::new();
        decoder.set_max_decompressed_size(LIMIT);
        decoder.decode(&common::format_description(1)).expect("FDE");
        let mut body = Vec::new();
        field(&mut body, 1, frame.len() as u64);
        field(&mut body, 2, if mode & 0x40 != 0 { 255 } else { 0 });
        field(&mut body, 3, declared);
        body.push(0);
        body.extend_from_slice(frame);
        let mut event = 0u32.to_le_bytes().to_vec();
        event.push(40);
        event.extend_from_slice(&1u32.to_le_bytes());
        event.extend_from_slice(&((19 + body.len()) as u32).to_le_bytes());
        event.extend_from_slice(&0u32.to_le_bytes());
        event.extend_from_slice(&0u16.to_le_bytes());
        event.extend_from_slice(&body);
        if let Ok(decoded) = decoder.decode(&event) {
            common::exercise(&decoded.event, &mut decoder);
        }
    }
});
