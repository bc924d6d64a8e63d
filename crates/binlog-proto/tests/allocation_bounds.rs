//! Length fields at their maximum must not turn into allocations: a counting global allocator
//! measures the peak heap use of each decoder fed a forged length (packet length, event size,
//! BLOB length, column count, JSON element count and size, decompressed sizes of zstd payloads
//! and MariaDB zlib events) and checks it against the limits of `binlog_proto::limits`.
//!
//! The allocator counts per thread, so the tests of this binary can run in parallel. zstd is C
//! code that calls `malloc` itself: its allocations are checked through the process's peak
//! virtual size instead (`zstd_does_not_malloc_a_forged_window`; with the former streaming
//! decoder a 15-byte frame made it allocate a 128 MiB window).
// A global allocator is an `unsafe impl`; it only forwards to `System` and counts.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{Cursor, Write};

use binlog_proto::compression::{uncompress_mariadb, uncompress_zstd};
use binlog_proto::event::rows::parse_rows_event;
use binlog_proto::event::table_map::{TableMaps, parse_table_map};
use binlog_proto::event::{Decoder, EventType};
use binlog_proto::file::BinlogReader;
use binlog_proto::limits::{
    DEFAULT_MAX_DECOMPRESSED_SIZE, DEFAULT_MAX_PACKET_SIZE, MAX_COLUMNS, MAX_PACKET_CHUNK,
};
use binlog_proto::packet::PacketReader;
use binlog_proto::value::Json;
use binlog_proto::{Error, limits};

struct Counting;

thread_local! {
    static ON: Cell<bool> = const { Cell::new(false) };
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn account(delta: isize) {
    let _ = ON.try_with(|on| {
        if on.get() {
            let live = LIVE.with(|l| {
                l.set(l.get() + delta);
                l.get()
            });
            PEAK.with(|p| p.set(p.get().max(live)));
        }
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        account(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        account(layout.size() as isize);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        account(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        account(new_size as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result with the peak number of bytes it had allocated at once
/// (on this thread, above what was live when it started).
fn peak<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LIVE.with(|l| l.set(0));
    PEAK.with(|p| p.set(0));
    ON.with(|on| on.set(true));
    let out = f();
    ON.with(|on| on.set(false));
    (out, PEAK.with(Cell::get).max(0) as usize)
}

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;

#[test]
fn the_counter_counts() {
    let (v, bytes) = peak(|| vec![0u8; 3 * MIB].len());
    assert_eq!(v, 3 * MIB);
    assert!((3 * MIB..4 * MIB).contains(&bytes), "{bytes}");
}

#[test]
fn packet_length_fields_at_their_maximum() {
    // A run of full 16 MiB chunk headers with no payload yet, announcing a packet of the
    // default limit (1 GiB): nothing is reserved for it.
    let (result, bytes) = peak(|| {
        let mut reader = PacketReader::new(DEFAULT_MAX_PACKET_SIZE);
        reader.feed(&[0xff, 0xff, 0xff, 0, 1, 2, 3]);
        reader.next_packet()
    });
    assert!(matches!(result, Ok(None)), "{result:?}");
    assert!(bytes < 64 * KIB, "{bytes} bytes for a packet header");
    // Beyond the limit: refused as soon as the header is there.
    let (result, bytes) = peak(|| {
        let mut reader = PacketReader::new(MAX_PACKET_CHUNK - 1);
        reader.feed(&[0xff, 0xff, 0xff, 0]);
        reader.next_packet()
    });
    assert!(matches!(result, Err(Error::TooLarge { .. })), "{result:?}");
    assert!(bytes < 64 * KIB, "{bytes}");
}

#[test]
fn event_size_at_its_maximum() {
    // A binlog whose first event claims MAX_EVENT_SIZE (1 GiB) but holds 100 bytes.
    let mut file = binlog_proto::file::BINLOG_MAGIC.to_vec();
    let mut header = vec![0, 0, 0, 0, 2, 1, 0, 0, 0];
    header.extend_from_slice(&(limits::MAX_EVENT_SIZE as u32).to_le_bytes());
    header.extend_from_slice(&[0; 6]);
    file.extend_from_slice(&header);
    file.extend_from_slice(&[0; 100]);
    let (result, bytes) = peak(|| {
        let mut reader = BinlogReader::new(Cursor::new(&file)).unwrap();
        let mut decoder = Decoder::new();
        reader.next_event(&mut decoder).map(|e| e.is_some())
    });
    assert!(matches!(result, Err(Error::Truncated { .. })), "{result:?}");
    assert!(bytes < 64 * KIB, "{bytes}");
}

/// A TABLE_MAP body of `db`.`t` (id 7) with the given column types and metadata.
fn table_map(types: &[u8], meta: &[u8]) -> Vec<u8> {
    let mut body = vec![7, 0, 0, 0, 0, 0, 1, 0, 2, b'd', b'b', 0, 1, b't', 0];
    put_lenenc(&mut body, types.len() as u64);
    body.extend_from_slice(types);
    put_lenenc(&mut body, meta.len() as u64);
    body.extend_from_slice(meta);
    body.extend(std::iter::repeat_n(0xffu8, types.len().div_ceil(8)));
    body
}

fn put_lenenc(out: &mut Vec<u8>, v: u64) {
    match v {
        0..=250 => out.push(v as u8),
        251..=0xffff => {
            out.push(0xfc);
            out.extend_from_slice(&(v as u16).to_le_bytes());
        }
        _ => {
            out.push(0xfe);
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
}

#[test]
fn blob_length_at_its_maximum() {
    // LONGBLOB (4 length bytes) declaring 4 GiB - 1, with 10 bytes present.
    let mut tables = TableMaps::new();
    tables.insert(parse_table_map(&table_map(&[252], &[4]), 8).unwrap());
    let mut body = vec![7, 0, 0, 0, 0, 0, 1, 0, 1, 0b1, 0b0];
    body.extend_from_slice(&u32::MAX.to_le_bytes());
    body.extend_from_slice(&[b'x'; 10]);
    let (result, bytes) = peak(|| {
        let event = parse_rows_event(EventType::WRITE_ROWS_EVENT_V1, &body, 8, &tables)?;
        for row in event.rows() {
            for (_, value) in row?
                .after()
                .into_iter()
                .flat_map(|i| i.values().collect::<Vec<_>>())
            {
                let _ = value.to_owned_value();
            }
        }
        Ok::<_, Error>(())
    });
    assert!(result.is_err(), "a 4 GiB BLOB in 10 bytes decoded");
    assert!(bytes < 64 * KIB, "{bytes}");
}

#[test]
fn column_counts_at_their_maximum() {
    // u64::MAX columns: refused before anything is allocated for them.
    let mut body = vec![7, 0, 0, 0, 0, 0, 1, 0, 2, b'd', b'b', 0, 1, b't', 0];
    put_lenenc(&mut body, u64::MAX);
    body.extend_from_slice(&[3; 16]);
    let (result, bytes) = peak(|| parse_table_map(&body, 8).map(|_| ()));
    assert!(matches!(result, Err(Error::TooLarge { .. })), "{result:?}");
    assert!(bytes < 4 * KIB, "{bytes}");
    // MAX_COLUMNS columns, announced but missing: an error, no per-column allocation.
    let mut body = vec![7, 0, 0, 0, 0, 0, 1, 0, 2, b'd', b'b', 0, 1, b't', 0];
    put_lenenc(&mut body, MAX_COLUMNS as u64);
    let (result, bytes) = peak(|| parse_table_map(&body, 8).map(|_| ()));
    assert!(result.is_err());
    assert!(bytes < 4 * KIB, "{bytes}");
    // MAX_COLUMNS real INT columns: bounded by a small cost per column.
    let map = table_map(&vec![3u8; MAX_COLUMNS], &[]);
    let (result, bytes) = peak(|| parse_table_map(&map, 8).map(|m| m.columns().len()));
    assert_eq!(result.unwrap(), MAX_COLUMNS);
    assert!(
        bytes < MAX_COLUMNS * 256,
        "{bytes} bytes for {MAX_COLUMNS} columns"
    );
    // A rows event whose width field claims u64::MAX columns.
    let mut tables = TableMaps::new();
    tables.insert(parse_table_map(&table_map(&[3], &[]), 8).unwrap());
    let mut rows = vec![7, 0, 0, 0, 0, 0, 1, 0];
    put_lenenc(&mut rows, u64::MAX);
    rows.extend_from_slice(&[0xff; 32]);
    let (result, bytes) =
        peak(|| parse_rows_event(EventType::WRITE_ROWS_EVENT_V1, &rows, 8, &tables).map(|_| ()));
    assert!(result.is_err());
    assert!(bytes < 4 * KIB, "{bytes}");
}

#[test]
fn json_sizes_at_their_maximum() {
    // Large object and large array (types 1 and 3) declaring u32::MAX elements and bytes.
    for ty in [1u8, 3] {
        let mut doc = vec![ty];
        doc.extend_from_slice(&u32::MAX.to_le_bytes());
        doc.extend_from_slice(&u32::MAX.to_le_bytes());
        doc.extend_from_slice(&[0; 64]);
        let (result, bytes) = peak(|| Json::parse(&doc).map(|_| ()));
        assert!(result.is_err());
        assert!(bytes < 4 * KIB, "{bytes}");
    }
    // A string declaring 2^35 bytes (the variable-length size's maximum of 5 bytes).
    let doc = [12u8, 0xff, 0xff, 0xff, 0xff, 0x7f, b'a'];
    let (result, bytes) = peak(|| Json::parse(&doc).map(|_| ()));
    assert!(result.is_err());
    assert!(bytes < 4 * KIB, "{bytes}");
    // Nesting at MAX_JSON_DEPTH + 1 (small arrays of one element): refused, and the walk
    // takes no heap per level.
    let mut doc = vec![2u8, 0, 0, 0, 0];
    for _ in 0..limits::MAX_JSON_DEPTH + 1 {
        let inner = doc.clone();
        let size = (4 + 3 + inner.len() - 1) as u16;
        doc = vec![2, 1, 0];
        doc.extend_from_slice(&size.to_le_bytes());
        doc.push(inner[0]);
        doc.extend_from_slice(&7u16.to_le_bytes());
        doc.extend_from_slice(&inner[1..]);
    }
    let (result, bytes) = peak(|| Json::parse(&doc).map(|_| ()));
    assert!(result.is_err(), "nesting deeper than MAX_JSON_DEPTH accepted");
    assert!(bytes < 4 * KIB, "{bytes}");
}

/// `frame` declared to hold `declared` bytes, under the default limit, is refused with less than
/// 512 KiB allocated.
fn assert_refused_cheaply(frame: &[u8], declared: u64) {
    let (result, bytes) = peak(|| uncompress_zstd(frame, declared, DEFAULT_MAX_DECOMPRESSED_SIZE));
    assert!(result.is_err(), "{result:?}");
    assert!(bytes < 512 * KIB, "{bytes}");
}

#[test]
fn zstd_declared_size_at_the_limit() {
    // 1 GiB declared (the default limit), 100 bytes in the frame: only what the frame holds
    // is allocated, plus zstd's own context.
    let frame = zstd::bulk::compress(&[7u8; 100], 3).unwrap();
    assert_refused_cheaply(&frame, DEFAULT_MAX_DECOMPRESSED_SIZE as u64);
    // Above the limit: refused before decompressing.
    let (result, bytes) = peak(|| uncompress_zstd(&frame, u64::MAX, DEFAULT_MAX_DECOMPRESSED_SIZE));
    assert!(matches!(result, Err(Error::TooLarge { .. })), "{result:?}");
    assert!(bytes < 4 * KIB, "{bytes}");
}

/// A zstd frame without a content size whose window descriptor asks for 2^`window_log` bytes,
/// holding one raw block of `data`.
fn forged_window_frame(window_log: u8, data: &[u8]) -> Vec<u8> {
    let mut frame = vec![0x28, 0xb5, 0x2f, 0xfd, 0x00, (window_log - 10) << 3];
    let header = 1u32 | ((data.len() as u32) << 3); // last block, raw
    frame.extend_from_slice(&header.to_le_bytes()[..3]);
    frame.extend_from_slice(data);
    frame
}

#[test]
fn a_zstd_window_is_bounded_by_the_declared_size() {
    // A 15-byte frame asking for a 128 MiB window (zstd's default ceiling) to produce 6
    // bytes: the Rust-side buffers stay small (zstd's own mallocs: see below).
    let frame = forged_window_frame(27, b"abcdef");
    let (result, bytes) = peak(|| uncompress_zstd(&frame, 6, 1 << 20));
    assert_eq!(result.unwrap(), b"abcdef");
    assert!(bytes < 512 * KIB, "{bytes} bytes to decompress 6");
    // Even zstd's largest window (2^31) costs nothing when the declared size is small.
    let frame = forged_window_frame(31, b"abcdef");
    let (result, bytes) = peak(|| uncompress_zstd(&frame, 6, DEFAULT_MAX_DECOMPRESSED_SIZE));
    assert_eq!(result.unwrap(), b"abcdef");
    assert!(bytes < 512 * KIB, "{bytes}");
    // A window above MAX_ZSTD_WINDOW that the declared size would allow is refused.
    assert_refused_cheaply(&forged_window_frame(28, b"abcdef"), 1 << 29);
    // Declared large and window at the ceiling: no 15-byte frame can produce 512 MiB, so it
    // is refused before anything is reserved for the window or the output.
    assert_refused_cheaply(&forged_window_frame(27, b"abcdef"), 1 << 29);
    // zstd's largest window with the declared size at the limit (1 GiB): the one-pass path
    // must not reserve the declared size for a 15-byte frame.
    assert_refused_cheaply(
        &forged_window_frame(31, b"abcdef"),
        DEFAULT_MAX_DECOMPRESSED_SIZE as u64,
    );
    // A single-segment frame whose content size (its window) says 2^40 bytes, same result.
    let mut frame = vec![0x28, 0xb5, 0x2f, 0xfd, 0xe0];
    frame.extend_from_slice(&(1u64 << 40).to_le_bytes());
    frame.extend_from_slice(&[0x31, 0x00, 0x00, b'a', b'b', b'c', b'd', b'e', b'f']);
    assert_refused_cheaply(&frame, DEFAULT_MAX_DECOMPRESSED_SIZE as u64);
}

#[test]
fn the_output_bound_does_not_refuse_real_maximal_compression() {
    // 32 MiB of one byte at zstd's strongest level: the highest ratio real frames reach.
    let data = vec![0x5a_u8; 32 * MIB];
    for level in [1, 3, 19] {
        let frame = zstd::bulk::compress(&data, level).unwrap();
        let out = uncompress_zstd(&frame, data.len() as u64, DEFAULT_MAX_DECOMPRESSED_SIZE).unwrap();
        assert!(out == data, "level {level}: {} bytes of frame", frame.len());
    }
}

/// The process's peak virtual memory size (`VmPeak`), in bytes. zstd is C code whose
/// `malloc`s the counting allocator does not see; a window it allocates shows here.
fn vm_peak() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmPeak:")).unwrap();
    let kib: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * KIB
}

#[test]
fn zstd_does_not_malloc_a_forged_window() {
    // Warm up (contexts, thread-locals), then a 15-byte frame asking for a 128 MiB window to
    // produce 6 bytes, a few times: the process's virtual peak must not move by the window.
    let frame = forged_window_frame(27, b"abcdef");
    uncompress_zstd(&zstd::bulk::compress(b"warm", 1).unwrap(), 4, 1 << 20).unwrap();
    let before = vm_peak();
    for _ in 0..4 {
        assert_eq!(
            uncompress_zstd(&frame, 6, DEFAULT_MAX_DECOMPRESSED_SIZE).unwrap(),
            b"abcdef"
        );
    }
    let grown = vm_peak().saturating_sub(before);
    assert!(grown < 32 * MIB, "VmPeak grew by {grown} bytes");
}

#[test]
fn mariadb_zlib_declared_size_at_the_limit() {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&[1u8; 100]).unwrap();
    let stream = enc.finish().unwrap();
    // 4 length bytes: 4 GiB - 1 declared, above the limit: refused before decompressing.
    let mut forged = vec![0x84];
    forged.extend_from_slice(&u32::MAX.to_be_bytes());
    forged.extend_from_slice(&stream);
    let (result, bytes) = peak(|| uncompress_mariadb(&forged, DEFAULT_MAX_DECOMPRESSED_SIZE));
    assert!(matches!(result, Err(Error::TooLarge { .. })), "{result:?}");
    assert!(bytes < 4 * KIB, "{bytes}");
    // Declared exactly the limit, 100 bytes in the stream: zlib state plus what is produced.
    let mut forged = vec![0x84];
    forged.extend_from_slice(&(DEFAULT_MAX_DECOMPRESSED_SIZE as u32).to_be_bytes());
    forged.extend_from_slice(&stream);
    let (result, bytes) = peak(|| uncompress_mariadb(&forged, DEFAULT_MAX_DECOMPRESSED_SIZE));
    assert!(result.is_err());
    assert!(bytes < 512 * KIB, "{bytes}");
}

#[test]
fn mariadb_compressed_event_at_the_limit_through_the_decoder() {
    // QUERY_COMPRESSED_EVENT whose compressed query declares 2^32 - 1 bytes: the decoder's
    // limit applies.
    let mut decoder = Decoder::new();
    decoder.set_max_decompressed_size(1 << 20);
    let mut body = vec![0u8; 13]; // thread id, exec time, db len 0, error code, status len 0
    body.push(0); // empty db name's NUL
    body.extend_from_slice(&[0x84, 0xff, 0xff, 0xff, 0xff, 0x78, 0x9c]);
    let mut event = vec![0, 0, 0, 0, 165, 1, 0, 0, 0];
    event.extend_from_slice(&((19 + body.len()) as u32).to_le_bytes());
    event.extend_from_slice(&[0; 6]);
    event.extend_from_slice(&body);
    let (result, bytes) = peak(|| decoder.decode(&event).map(|_| ()));
    assert!(result.is_err());
    assert!(bytes < 64 * KIB, "{bytes}");
}
