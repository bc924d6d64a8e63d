//! Bench 5: commit-to-item latency on loopback at a steady rate. A writer thread (mysql_async,
//! its own runtime) commits single-row autocommit INSERTs paced by a fixed schedule (one every
//! 1 ms at 1,000 tx/s, no catching up by bursts beyond the schedule) and records, keyed by the
//! row's id, the instant it sent the statement and the instant the server acknowledged the
//! commit. A binlog-signals subscriber (blocking mode, from the end of the binlog) records the
//! instant each row arrives on `rows_inserted()`. Latency = arrival − send (includes the
//! server's commit) and arrival − acknowledgement (can be negative: the binlog event may reach
//! the subscriber before the OK reaches the writer).

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use binlog_signals::{Config, Start};
use binlog_testkit::Server;
use futures::StreamExt;

use crate::generate::SERVER_ARGS;

struct Stamps {
    base: Instant,
    sent: Vec<AtomicU64>,
    acked: Vec<AtomicU64>,
    arrived: Vec<AtomicU64>,
}

impl Stamps {
    fn now(&self) -> u64 {
        // +1 so that 0 means "not yet".
        self.base.elapsed().as_nanos() as u64 + 1
    }
}

fn percentile(sorted: &[i64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

pub fn run(rate: u64, seconds: u64, warmup: u64) -> Result<String, String> {
    let mut builder = Server::builder();
    for arg in SERVER_ARGS {
        builder = builder.arg(*arg);
    }
    let server = builder.start().map_err(|e| e.to_string())?;
    server
        .try_sql("CREATE DATABASE bench; CREATE TABLE bench.lat (id BIGINT PRIMARY KEY, v INT NOT NULL)")
        .map_err(|e| e.to_string())?;
    let total = rate * (seconds + warmup);
    let stamps = Arc::new(Stamps {
        base: Instant::now(),
        sent: (0..total).map(|_| AtomicU64::new(0)).collect(),
        acked: (0..total).map(|_| AtomicU64::new(0)).collect(),
        arrived: (0..total).map(|_| AtomicU64::new(0)).collect(),
    });
    let config = Config::builder()
        .host("127.0.0.1")
        .port(server.port())
        .user(binlog_testkit::REPL_USER)
        .password(binlog_testkit::REPL_PASSWORD)
        .start(Start::End)
        .blocking(true)
        .build()
        .map_err(|e| e.to_string())?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let admin = server.admin_url();
    let writer_stamps = stamps.clone();
    let reader_stamps = stamps.clone();
    let period = Duration::from_nanos(1_000_000_000 / rate);
    let elapsed = rt.block_on(async move {
        let (client, driver) = binlog_signals::connect(config).await.map_err(|e| e.to_string())?;
        let mut inserted = client.rows_inserted().table("bench.lat");
        let driver = tokio::spawn(driver);
        let writer = std::thread::spawn(move || -> Result<Duration, String> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async move {
                use mysql_async::prelude::Queryable;
                let opts = mysql_async::Opts::from_url(&admin).map_err(|e| e.to_string())?;
                let mut conn = mysql_async::Conn::new(opts).await.map_err(|e| e.to_string())?;
                let s = &writer_stamps;
                let start = tokio::time::Instant::now();
                for id in 0..total {
                    tokio::time::sleep_until(start + period * id as u32).await;
                    s.sent[id as usize].store(s.now(), Ordering::Relaxed);
                    conn.query_drop(format!("INSERT INTO bench.lat VALUES ({id}, 0)"))
                        .await
                        .map_err(|e| e.to_string())?;
                    s.acked[id as usize].store(s.now(), Ordering::Relaxed);
                }
                Ok(start.elapsed())
            })
        });
        let mut seen = 0u64;
        while seen < total {
            let Some(event) = inserted.next().await else {
                return Err("the stream ended early".to_owned());
            };
            let event = event.map_err(|e| e.to_string())?;
            let now = reader_stamps.now();
            for row in event.rows() {
                let id = row
                    .values()
                    .get("id")
                    .and_then(|v| v.to_string().parse::<u64>().ok())
                    .ok_or("row without a numeric id")?;
                let slot = reader_stamps.arrived.get(id as usize).ok_or("unexpected id")?;
                slot.store(now, Ordering::Relaxed);
                seen += 1;
            }
        }
        client.shutdown();
        let _ = driver.await;
        writer.join().map_err(|_| "writer panicked".to_owned())?
    })?;
    let from = (rate * warmup) as usize;
    let mut send: Vec<i64> = Vec::new();
    let mut ack: Vec<i64> = Vec::new();
    for i in from..total as usize {
        let a = stamps.arrived[i].load(Ordering::Relaxed) as i64;
        send.push(a - stamps.sent[i].load(Ordering::Relaxed) as i64);
        ack.push(a - stamps.acked[i].load(Ordering::Relaxed) as i64);
    }
    send.sort_unstable();
    ack.sort_unstable();
    let achieved = total as f64 / elapsed.as_secs_f64();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} transactions measured (after {} warm-up), paced at {rate}/s, achieved {achieved:.0}/s over {:.2} s",
        send.len(),
        from,
        elapsed.as_secs_f64()
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "| latency (µs) | p50 | p90 | p99 | p99.9 | max |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
    for (name, v) in [("send → item", &send), ("commit OK → item", &ack)] {
        let _ = writeln!(
            out,
            "| {name} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} |",
            percentile(v, 0.5),
            percentile(v, 0.9),
            percentile(v, 0.99),
            percentile(v, 0.999),
            percentile(v, 1.0)
        );
    }
    Ok(out)
}
