//! Measures that memory stays bounded by the channel capacity while 1,000,000 rows stream
//! past a subscriber that sleeps between items (backpressure: nothing is dropped).
//!
//! Starts a private MariaDB (binlog-testkit), writes 1,000,000 rows in 10 transactions, then
//! reads them back in non-blocking mode and prints the peak RSS of this process (VmHWM).
//!
//! ```text
//! cargo run --release -p binlog-signals --example bounded_memory -- [capacity] [--retain]
//! ```
//!
//! `capacity` is the per-subscriber channel capacity (default 16). `--retain` keeps every
//! item, to show what the same run costs when nothing bounds it.

use std::time::{Duration, Instant};

use binlog_signals::{Config, Start};
use binlog_testkit::Server;
use futures::StreamExt;

const ROWS: u64 = 1_000_000;
const TRANSACTIONS: u64 = 10;

fn status(field: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    text.lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let retain = args.iter().any(|a| a == "--retain");
    let capacity: usize = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(16);

    let server = Server::builder().start()?;
    server.exec("CREATE DATABASE bench; CREATE TABLE bench.t (id INT PRIMARY KEY, v VARCHAR(32))");
    let (file, position) = server.master_status();
    let per = ROWS / TRANSACTIONS;
    for i in 0..TRANSACTIONS {
        server.exec(&format!(
            "INSERT INTO bench.t SELECT seq, CONCAT('row-', seq) FROM bench.seq_{}_to_{}",
            i * per + 1,
            (i + 1) * per
        ));
    }
    let (_, end) = server.master_status();
    let config = Config::builder()
        .host(server.host())
        .port(server.port())
        .user(binlog_testkit::REPL_USER)
        .password(binlog_testkit::REPL_PASSWORD)
        .start(Start::position(file, position))
        .blocking(false)
        .read_timeout(None)
        .channel_capacity(capacity)
        .build()?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let baseline = status("VmHWM:");
    let started = Instant::now();
    let (rows, events, retained) = runtime.block_on(async move {
        let (client, driver) = binlog_signals::connect(config).await?;
        let mut inserted = client.rows_inserted().table("bench.t");
        let driver = tokio::spawn(driver);
        let (mut rows, mut events, mut expected) = (0u64, 0u64, 1u64);
        let mut retained = Vec::new();
        while let Some(event) = inserted.next().await {
            let event = event?;
            events += 1;
            for row in event.rows() {
                let id = row.values().get("id").map(|v| v.to_string());
                assert_eq!(
                    id,
                    Some(expected.to_string()),
                    "rows arrive complete and in order"
                );
                expected += 1;
                rows += 1;
            }
            if retain {
                retained.push(event);
            } else if events % 4 == 0 {
                // The slow subscriber.
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        driver.await??;
        Ok::<_, Box<dyn std::error::Error>>((rows, events, retained.len()))
    })?;
    let elapsed = started.elapsed();
    assert_eq!(rows, ROWS, "every row arrived");
    println!(
        "rows: {rows} in {events} rows events ({retained} retained), binlog bytes: {}",
        end - position
    );
    println!(
        "channel capacity: {capacity}, elapsed: {:.1} s",
        elapsed.as_secs_f64()
    );
    println!(
        "peak RSS (VmHWM): {} KiB before streaming, {} KiB after; VmRSS now {} KiB",
        baseline,
        status("VmHWM:"),
        status("VmRSS:")
    );
    Ok(())
}
