//! Helpers shared by the binlog-signals end-to-end tests.

#![allow(dead_code, unreachable_pub)] // each test binary uses a part

use std::time::Duration;

use binlog_signals::{Config, ConfigBuilder, Start};
use binlog_testkit::Server;
use futures::{Stream, StreamExt};

/// A builder for the replication account of `server`, reading from `start`.
pub fn builder(server: &Server, start: Start) -> ConfigBuilder {
    ConfigBuilder::from_url(&server.repl_url())
        .expect("the harness URL parses")
        .start(start)
        .connect_timeout(Duration::from_secs(30))
}

/// A non-blocking config from the current end of the binlog (`master_status`).
pub fn from_here(server: &Server) -> (Config, (String, u64)) {
    let (file, position) = server.master_status();
    let config = builder(server, Start::position(file.clone(), position))
        .blocking(false)
        .read_timeout(None)
        .build()
        .expect("valid config");
    (config, (file, position))
}

/// Every item of a stream until it ends; panics on an error item.
pub async fn collect<T, S>(stream: S) -> Vec<T>
where
    S: Stream<Item = Result<T, binlog_signals::Error>>,
{
    let items: Vec<_> = stream.collect().await;
    items
        .into_iter()
        .map(|item| item.unwrap_or_else(|e| panic!("stream error: {e}")))
        .collect()
}

/// `SHOW BINLOG EVENTS` from `file:position`: (event type, end position, info).
pub fn binlog_events(server: &Server, file: &str, position: u64) -> Vec<(String, u64, String)> {
    server
        .exec(&format!("SHOW BINLOG EVENTS IN '{file}' FROM {position}"))
        .into_iter()
        .map(|row| {
            let kind = row.get(2).cloned().flatten().expect("Event_type");
            let end = row
                .get(4)
                .cloned()
                .flatten()
                .and_then(|p| p.parse().ok())
                .expect("End_log_pos");
            let info = row.get(5).cloned().flatten().unwrap_or_default();
            (kind, end, info)
        })
        .collect()
}

/// Seconds since the epoch.
pub fn now() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as u32)
        .unwrap_or(0)
}
