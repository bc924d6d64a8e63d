//! Bench 2 (end to end) and bench 4 (peak RSS while streaming live): the staged server's whole
//! binlog read from its oldest file in non-blocking mode (the stream ends at the end of the
//! binlog), every row value touched, by binlog-signals (`rows_inserted/updated/deleted`
//! streams) and by mysql_async's `BinlogStream` (rows decoded with its `TableMapEvent` /
//! `RowsEventRows`), alternating on the same server in the same run.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use binlog_proto::value::OwnedValue;
use binlog_signals::{Config, RowsEvent, Start};
use futures::StreamExt;

use crate::decode::Tally;
use crate::live;

pub const CLIENTS: [&str; 2] = ["binlog-signals", "mysql_async"];

/// Where the client connects.
pub struct Target {
    pub port: u16,
}

/// The clients' runtime: tokio's multi-thread scheduler with 2 workers (the machine's cores),
/// or, with `BENCH_RUNTIME=current` in the environment, a single-thread runtime (driver and
/// subscribers on one thread: no cross-thread wake-ups or shared reference counts).
fn runtime() -> Result<tokio::runtime::Runtime, String> {
    let mut builder = if std::env::var("BENCH_RUNTIME").is_ok_and(|v| v == "current") {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(2);
        b
    };
    builder.enable_all().build().map_err(|e| e.to_string())
}

/// One full read of the binlog by `client`; the tally of what it found.
pub fn pass(client: &str, target: &Target) -> Result<Tally, String> {
    let rt = runtime()?;
    match client {
        "binlog-signals" => rt.block_on(signals(target)),
        "mysql_async" => rt.block_on(mysql_async_pass(target)),
        _ => Err(format!("no client {client}")),
    }
}

// ---------------------------------------------------------------------------------------------
// binlog-signals

#[inline]
fn touch(v: &OwnedValue) -> u64 {
    match v {
        OwnedValue::Null => 0,
        OwnedValue::Int(i) => i.as_u64(),
        OwnedValue::Float(f) => u64::from(f.to_bits()),
        OwnedValue::Double(d) => d.to_bits(),
        OwnedValue::Year(y) => u64::from(*y),
        OwnedValue::String { stored, .. } => stored.len() as u64,
        other => {
            black_box(other);
            1
        }
    }
}

fn tally_event(t: &mut Tally, event: &RowsEvent) {
    t.rows_events += 1;
    for row in event.rows() {
        t.add_row(row.before().is_some(), row.after().is_some());
        for image in [row.before(), row.after()].into_iter().flatten() {
            for (_, value) in image.iter() {
                t.values += 1;
                t.nulls += u64::from(matches!(value, OwnedValue::Null));
                t.fold = t.fold.wrapping_add(touch(value));
            }
        }
    }
}

async fn drain<S>(mut stream: S) -> Result<Tally, String>
where
    S: futures::Stream<Item = Result<RowsEvent, binlog_signals::Error>> + Unpin,
{
    let mut t = Tally::default();
    while let Some(event) = stream.next().await {
        tally_event(&mut t, &event.map_err(|e| e.to_string())?);
    }
    Ok(t)
}

/// binlog-signals' configuration; `BENCH_CAPACITY=N` in the environment sets the channel
/// capacity per subscriber (default: the crate's, `DEFAULT_CHANNEL_CAPACITY`).
fn config(target: &Target, start: Start, blocking: bool) -> Result<Config, String> {
    let mut builder = Config::builder();
    if let Some(capacity) = std::env::var("BENCH_CAPACITY").ok().and_then(|v| v.parse().ok()) {
        builder = builder.channel_capacity(capacity);
    }
    builder
        .host("127.0.0.1")
        .port(target.port)
        .user(binlog_testkit::REPL_USER)
        .password(binlog_testkit::REPL_PASSWORD)
        .start(start)
        .blocking(blocking)
        .read_timeout(None)
        .build()
        .map_err(|e| e.to_string())
}

async fn signals(target: &Target) -> Result<Tally, String> {
    let config = config(target, Start::Oldest, false)?;
    let (client, driver) = binlog_signals::connect(config).await.map_err(|e| e.to_string())?;
    let inserted = tokio::spawn(drain(client.rows_inserted()));
    let updated = tokio::spawn(drain(client.rows_updated()));
    let deleted = tokio::spawn(drain(client.rows_deleted()));
    drop(client);
    driver.await.map_err(|e| e.to_string())?;
    let mut t = Tally::default();
    for task in [inserted, updated, deleted] {
        let part = task.await.map_err(|e| e.to_string())??;
        t.rows_events += part.rows_events;
        t.inserted += part.inserted;
        t.updated += part.updated;
        t.deleted += part.deleted;
        t.values += part.values;
        t.nulls += part.nulls;
        t.fold = t.fold.wrapping_add(part.fold);
    }
    Ok(t)
}

// ---------------------------------------------------------------------------------------------
// mysql_async

mod ma {
    pub use mysql_async::binlog::events::EventData;
    pub use mysql_async::binlog::row::BinlogRow;
    pub use mysql_async::binlog::value::BinlogValue;
    pub use mysql_async::{BinlogStreamRequest, Conn, Opts, Value};
}

#[inline]
fn touch_ma(v: &ma::BinlogValue<'_>) -> u64 {
    match v {
        ma::BinlogValue::Value(ma::Value::NULL) => 0,
        ma::BinlogValue::Value(ma::Value::Int(i)) => *i as u64,
        ma::BinlogValue::Value(ma::Value::UInt(u)) => *u,
        ma::BinlogValue::Value(ma::Value::Float(f)) => u64::from(f.to_bits()),
        ma::BinlogValue::Value(ma::Value::Double(d)) => d.to_bits(),
        ma::BinlogValue::Value(ma::Value::Bytes(b)) => b.len() as u64,
        other => {
            black_box(other);
            1
        }
    }
}

fn ma_image(t: &mut Tally, row: Option<&ma::BinlogRow>) {
    if let Some(row) = row {
        for i in 0..row.len() {
            if let Some(value) = row.as_ref(i) {
                t.values += 1;
                t.nulls += u64::from(matches!(value, ma::BinlogValue::Value(ma::Value::NULL)));
                t.fold = t.fold.wrapping_add(touch_ma(value));
            }
        }
    }
}

async fn mysql_async_pass(target: &Target) -> Result<Tally, String> {
    let url = format!(
        "mysql://{}:{}@127.0.0.1:{}/",
        binlog_testkit::REPL_USER,
        binlog_testkit::REPL_PASSWORD,
        target.port
    );
    let opts = ma::Opts::from_url(&url).map_err(|e| e.to_string())?;
    let conn = ma::Conn::new(opts).await.map_err(|e| e.to_string())?;
    // An empty file name: the server starts at its first binlog file.
    let request = ma::BinlogStreamRequest::new(4242).with_non_blocking();
    let mut stream = conn.get_binlog_stream(request).await.map_err(|e| e.to_string())?;
    let mut t = Tally::default();
    while let Some(event) = stream.next().await {
        let event = event.map_err(|e| e.to_string())?;
        t.events += 1;
        let Some(data) = event.read_data().map_err(|e| e.to_string())? else {
            continue;
        };
        let ma::EventData::RowsEvent(rows) = data else {
            black_box(&data);
            continue;
        };
        t.rows_events += 1;
        let tme = stream
            .get_tme(rows.table_id())
            .ok_or("mysql_async: rows event without a table map")?;
        for row in rows.rows(tme) {
            let (before, after) = row.map_err(|e| e.to_string())?;
            t.add_row(before.is_some(), after.is_some());
            ma_image(&mut t, before.as_ref());
            ma_image(&mut t, after.as_ref());
        }
    }
    Ok(t)
}

// ---------------------------------------------------------------------------------------------
// The runs

/// CPU time of this process (user + system), all threads.
fn process_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

struct Run {
    wall: Duration,
    cpu: Duration,
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// `e2e`: stage the server at `scale`, then `iters` alternating passes of each client after
/// one warm-up pass each (which checks the counts); a Markdown table.
pub fn run(cache: &Path, scale: u64, seed: u64, iters: usize, only: Option<&str>) -> Result<String, String> {
    let clients: Vec<&str> = CLIENTS
        .into_iter()
        .filter(|c| only.is_none_or(|o| o == *c))
        .collect();
    let staged = live::stage(cache, scale, seed)?;
    let target = Target {
        port: staged.server.port(),
    };
    let expected = staged.manifest.parts.iter().fold((0, 0, 0), |(i, u, d), p| {
        (i + p.counts.inserted, u + p.counts.updated, d + p.counts.deleted)
    });
    let mut first: Option<Tally> = None;
    for &client in &clients {
        let t = pass(client, &target)?;
        if (t.inserted, t.updated, t.deleted) != expected {
            return Err(format!(
                "{client}: found {}/{}/{} inserted/updated/deleted, the workload has {expected:?}",
                t.inserted, t.updated, t.deleted
            ));
        }
        if let Some(f) = &first
            && !f.same_counts(&t)
        {
            return Err(format!("clients disagree: {f:?} vs {t:?}"));
        }
        eprintln!("e2e: warm-up {client}: {t:?}");
        first = Some(t);
    }
    let rows = expected.0 + expected.1 + expected.2;
    let mut runs: Vec<Vec<Run>> = clients.iter().map(|_| Vec::new()).collect();
    for i in 0..iters {
        for (c, client) in clients.iter().enumerate() {
            let (w0, c0) = (Instant::now(), process_cpu());
            let t = pass(client, &target)?;
            let run = Run {
                wall: w0.elapsed(),
                cpu: process_cpu().saturating_sub(c0),
            };
            if t.rows() != rows {
                return Err(format!("{client}: {} rows, expected {rows}", t.rows()));
            }
            eprintln!(
                "e2e: run {i} {client}: {:.3} s wall, {:.3} s CPU",
                run.wall.as_secs_f64(),
                run.cpu.as_secs_f64()
            );
            runs[c].push(run);
        }
    }
    let mb = staged.binlog_bytes as f64 / 1e6;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| client | row changes | binlog MB | wall s (median) | rows/s | MB/s | ratio | client CPU s (median) | rows per client CPU s |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let peer = median(runs[runs.len() - 1].iter().map(|r| r.wall).collect()).as_secs_f64();
    for (c, client) in clients.iter().enumerate() {
        let wall = median(runs[c].iter().map(|r| r.wall).collect()).as_secs_f64();
        let cpu = median(runs[c].iter().map(|r| r.cpu).collect()).as_secs_f64();
        let _ = writeln!(
            out,
            "| {client} | {rows} | {mb:.1} | {wall:.3} | {:.0} | {:.1} | {:.2}× | {cpu:.3} | {:.0} |",
            rows as f64 / wall,
            mb / wall,
            peer / wall,
            rows as f64 / cpu
        );
    }
    Ok(out)
}

/// `rss-live`: for each scale, stage the server and read it once per client in a child
/// process that reports its peak RSS.
pub fn rss(cache: &Path, scales: &[u64], seed: u64) -> Result<String, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| scale | client | row changes | binlog MB | peak RSS (VmHWM) KiB |"
    );
    let _ = writeln!(out, "|---:|---|---:|---:|---:|");
    for &scale in scales {
        let staged = live::stage(cache, scale, seed)?;
        for client in CLIENTS {
            let output = Command::new(&exe)
                .args(["rss-live-child", "--client", client, "--port"])
                .arg(staged.server.port().to_string())
                .output()
                .map_err(|e| e.to_string())?;
            let text = String::from_utf8_lossy(&output.stdout).into_owned();
            if !output.status.success() {
                return Err(format!(
                    "rss-live-child {client}: {}",
                    String::from_utf8_lossy(&output.stderr)
                ));
            }
            let field = |k: &str| {
                text.split_whitespace()
                    .find_map(|f| f.strip_prefix(k))
                    .unwrap_or("?")
                    .to_owned()
            };
            let _ = writeln!(
                out,
                "| {scale} | {client} | {} | {:.1} | {} |",
                field("rows="),
                staged.binlog_bytes as f64 / 1e6,
                field("peak_kib=")
            );
        }
    }
    Ok(out)
}

pub fn rss_child(client: &str, port: u16) -> Result<(), String> {
    let t = pass(client, &Target { port })?;
    println!("rows={} peak_kib={}", t.rows(), crate::rss::peak_rss_kib()?);
    Ok(())
}
