//! The scenario of python-mysql-replication-blinker's README, in Rust: subscribe to the
//! `rows_inserted`, `rows_updated` and `rows_deleted` signals of `db0.table1` and to the
//! binlog positions, then publish the binlog from its oldest file to its current end
//! (non-blocking, as the seed's default `start_publishing`).
//!
//! ```text
//! cargo run -p binlog-signals --example seed_readme -- 'mysql://repl:secret@127.0.0.1:3306'
//! ```
//!
//! Each rows event prints as the seed's `(table, rows, meta)`, serialized to JSON.

use binlog_signals::{RowsEvent, Start};
use futures::{Stream, StreamExt};

/// The seed's handler: `def handler(table, rows, meta)`.
async fn print_rows(
    signal: &str,
    mut stream: impl Stream<Item = Result<RowsEvent, binlog_signals::Error>> + Unpin,
) {
    while let Some(event) = stream.next().await {
        match event {
            Ok(event) => {
                let json = serde_json::to_value(&event).unwrap_or_default();
                println!(
                    "{signal}: table={}.{} rows={} meta={}",
                    event.schema(),
                    event.table(),
                    json["rows"],
                    json["meta"]
                );
            }
            Err(error) => eprintln!("{signal}: {error}"),
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "mysql://repl:secret@127.0.0.1:3306".to_owned());
    let config = binlog_signals::ConfigBuilder::from_url(&url)?
        .start(Start::Oldest)
        .blocking(false)
        .read_timeout(None)
        .build()?;
    let (client, driver) = binlog_signals::connect(config).await?;

    // Subscribe before the driver runs: every signal then sees every event.
    let inserted = client.rows_inserted().table("db0.table1");
    let updated = client.rows_updated().table("db0.table1");
    let deleted = client.rows_deleted().table("db0.table1");
    let mut positions = client.binlog_positions();

    let driver = tokio::spawn(driver);
    let last = tokio::spawn(async move {
        let mut last = None;
        while let Some(Ok(position)) = positions.next().await {
            last = Some(position);
        }
        last
    });
    tokio::join!(
        print_rows("rows_inserted", inserted),
        print_rows("rows_updated", updated),
        print_rows("rows_deleted", deleted),
    );
    let stopped = driver.await??;
    println!(
        "end of the binlog at {stopped} (last position signal: {:?})",
        last.await?
    );
    Ok(())
}
