//! MariaDB compressed events (zlib, `log_bin_compress`): the decompressor on arbitrary bytes
//! with a size limit, and QUERY_COMPRESSED / *_ROWS_COMPRESSED events through the decoder.
//! Invariants: never a panic; a successful decompression has exactly the size the header
//! declares, never above the limit; compress -> decompress gives arbitrary data back.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use std::io::Write;

use binlog_proto::compression::uncompress_mariadb;
use binlog_proto::event::Decoder;
use libfuzzer_sys::fuzz_target;

const LIMIT: usize = 1 << 20;

fn declared(input: &[u8]) -> Option<usize> {
    let (&head, rest) = input.split_first()?;
    let n = usize::from(head & 7);
    Some(
        rest.get(..n)?
            .iter()
            .fold(0usize, |acc, &b| acc << 8 | usize::from(b)),
    )
}

fn compress(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).expect("write");
    let stream = enc.finish().expect("finish");
    let mut out = vec![0x80 | 4];
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(&stream);
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, input)) = data.split_first() else {
        return;
    };
    match uncompress_mariadb(input, LIMIT) {
        Ok(out) => {
            assert_eq!(Some(out.len()), declared(input));
            assert!(out.len() <= LIMIT);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    if mode & 1 != 0 {
        let original = &input[..input.len().min(4096)];
        let back = uncompress_mariadb(&compress(original), LIMIT).expect("round trip");
        assert_eq!(back, original);
    }
    if mode & 2 != 0 {
        // As the body of QUERY_COMPRESSED_EVENT (165) or a *_ROWS_COMPRESSED_EVENT (166-171)
        // after a MariaDB FORMAT_DESCRIPTION (no checksums). The input is the whole body.
        let mut decoder = Decoder::new();
        decoder.set_max_decompressed_size(LIMIT);
        decoder.decode(&common::format_description(3)).expect("FDE");
        let event_type = 165 + (mode >> 2) % 7;
        let mut event = 0u32.to_le_bytes().to_vec();
        event.push(event_type);
        event.extend_from_slice(&1u32.to_le_bytes());
        event.extend_from_slice(&((19 + input.len()) as u32).to_le_bytes());
        event.extend_from_slice(&0u32.to_le_bytes());
        event.extend_from_slice(&0u16.to_le_bytes());
        event.extend_from_slice(input);
        if let Ok(decoded) = decoder.decode(&event) {
            let _ = format!("{:?}", decoded.event);
            common::exercise(&decoded.event, &mut decoder);
        }
    }
});
