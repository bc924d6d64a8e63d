//! Event decoding speed over real binlogs of the shared corpus.

use std::io::Read;

use binlog_proto::event::Event;
use binlog_proto::file::BinlogFile;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn corpus(relative: &str) -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/").to_owned() + relative;
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    if relative.ends_with(".gz") {
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut plain)
            .expect("gunzip");
        plain
    } else {
        bytes
    }
}

/// Decodes every value of every row of a rows event; returns how many.
fn values(event: &Event<'_>) -> usize {
    let Event::Rows(rows) = event else { return 0 };
    let mut count = 0;
    for row in rows.rows() {
        let row = row.expect("row");
        for image in [row.before(), row.after()].into_iter().flatten() {
            count += image.values().count();
        }
    }
    count
}

/// Decodes every event (and every event inside transaction payloads), and with `rows` every
/// value; returns the number of events.
fn decode_all(bytes: &[u8], rows: bool) -> usize {
    let mut file = BinlogFile::new(bytes).expect("binlog");
    let mut events = 0;
    while let Some(event) = file.next() {
        let event = event.expect("event");
        events += 1;
        if rows {
            std::hint::black_box(values(&event.event));
        }
        if let Event::TransactionPayload(payload) = &event.event {
            for inner in payload.events(file.decoder_mut()) {
                let inner = inner.expect("inner event");
                if rows {
                    std::hint::black_box(values(&inner.event));
                }
                events += 1;
            }
        }
    }
    events
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode_file");
    for (name, path) in [
        (
            "sakila_5_5_no_crc",
            "mysql-binlog-connector-java/src/test/resources/mysql-bin.sakila.gz",
        ),
        (
            "checksum_crc32_5_7",
            "mysql-binlog-connector-java/src/test/resources/mysql-bin.checksum-crc32",
        ),
        (
            "mariadb_11_8_crc32",
            "mariadb-poc/mariadb-binlog/binlogs/domain_id_0/mariadb-repl-bin.000005",
        ),
    ] {
        let bytes = corpus(path);
        let events = decode_all(&bytes, false);
        group.throughput(Throughput::Elements(events as u64));
        group.bench_function(format!("{name}/events"), |b| {
            b.iter(|| decode_all(std::hint::black_box(&bytes), false))
        });
        group.bench_function(format!("{name}/events_and_values"), |b| {
            b.iter(|| decode_all(std::hint::black_box(&bytes), true))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
