//! Helpers shared by the binlog-signals end-to-end tests.

#![allow(dead_code, unreachable_pub)] // each test binary uses a part

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
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

/// What this test binary logged since [`capture_logs`].
static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

/// Sends everything this test binary logs at `level` and above into a buffer that
/// [`captured_logs`] reads. The first call installs the global subscriber; later ones keep it.
pub fn capture_logs(level: tracing::Level) {
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let writer = Arc::clone(&logs);
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_ansi(false)
            .with_writer(move || Capture(Arc::clone(&writer)))
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        logs
    });
}

/// The text logged so far (empty before [`capture_logs`]).
pub fn captured_logs() -> String {
    LOGS.get()
        .map(|logs| String::from_utf8_lossy(&logs.lock().unwrap_or_else(|e| e.into_inner())).into_owned())
        .unwrap_or_default()
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
