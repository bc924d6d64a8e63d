//! Row decoding throughput on the corpus' Sakila binlog (MySQL 5.5, ~47k rows, ~295k values)
//! and on a wide synthetic table.

use std::hint::black_box;
use std::io::Read;

use binlog_proto::event::EventType;
use binlog_proto::event::rows::parse_rows_event;
use binlog_proto::event::table_map::{TableMaps, parse_table_map};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// (type, post-header length, body) of each TABLE_MAP and rows event.
fn sakila_events() -> Vec<(u8, u8, Vec<u8>)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/mysql-binlog-connector-java/src/test/resources/mysql-bin.sakila.gz"
    );
    let gz = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e} (the shared corpus is needed)"));
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut bytes)
        .unwrap();
    let mut pos = 4;
    let mut post_header_lens = Vec::new();
    let mut out = Vec::new();
    while pos + 19 <= bytes.len() {
        let size = u32::from_le_bytes(bytes[pos + 9..pos + 13].try_into().unwrap()) as usize;
        let ty = bytes[pos + 4];
        let body = &bytes[pos + 19..pos + size];
        if ty == 15 {
            post_header_lens = body[57..].to_vec(); // 5.5: no checksum
        } else if matches!(ty, 19 | 23..=25) {
            out.push((ty, post_header_lens[usize::from(ty) - 1], body.to_vec()));
        }
        pos += size;
    }
    out
}

fn bench(c: &mut Criterion) {
    let events = sakila_events();
    let bytes: usize = events.iter().map(|e| e.2.len()).sum();
    let mut values = 0u64;
    let mut tables = TableMaps::new();
    for (ty, phl, body) in &events {
        if *ty == 19 {
            tables.insert(parse_table_map(body, *phl).unwrap());
        } else {
            let event = parse_rows_event(EventType(*ty), body, *phl, &tables).unwrap();
            for row in event.rows() {
                let row = row.unwrap();
                for image in [row.before(), row.after()].into_iter().flatten() {
                    values += image.values().count() as u64;
                }
            }
        }
    }

    let mut group = c.benchmark_group("sakila");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function(format!("decode {values} values"), |b| {
        b.iter(|| {
            let mut tables = TableMaps::new();
            let mut n = 0usize;
            for (ty, phl, body) in &events {
                if *ty == 19 {
                    tables.insert(parse_table_map(body, *phl).unwrap());
                } else {
                    let event = parse_rows_event(EventType(*ty), body, *phl, &tables).unwrap();
                    for row in event.rows() {
                        let row = row.unwrap();
                        for image in [row.before(), row.after()].into_iter().flatten() {
                            for (_, v) in image.values() {
                                black_box(v);
                                n += 1;
                            }
                        }
                    }
                }
            }
            n
        })
    });
    group.bench_function("decode and copy to owned values", |b| {
        b.iter(|| {
            let mut tables = TableMaps::new();
            let mut rows = Vec::new();
            for (ty, phl, body) in &events {
                if *ty == 19 {
                    tables.insert(parse_table_map(body, *phl).unwrap());
                } else {
                    let event = parse_rows_event(EventType(*ty), body, *phl, &tables).unwrap();
                    for row in event.rows() {
                        rows.push(row.unwrap().to_owned_row());
                    }
                }
            }
            rows.len()
        })
    });
    group.bench_function("table maps only", |b| {
        b.iter(|| {
            let mut n = 0;
            for (ty, phl, body) in &events {
                if *ty == 19 {
                    n += parse_table_map(body, *phl).unwrap().columns().len();
                }
            }
            n
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
