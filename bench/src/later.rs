//! Hooks for the benchmarks of issue 9 that need the binlog-signals driver (it reached `main`
//! as the offline benchmarks were finished). The commands exist (`e2e`, `latency`); they say
//! what is missing until they are written.
//!
//! - `e2e` (bench 2): start a private server with [`crate::generate::SERVER_ARGS`], subscribe
//!   with binlog-signals' `rows_inserted/updated/deleted` streams (and, as the peer,
//!   mysql_async's `BinlogStream` with the same starting position) while
//!   [`crate::workload::narrow`] / [`crate::workload::wide`] scripts run — or replay from
//!   position 4 once the workload is written, which measures the client alone — touch every
//!   value, check the row counts against [`crate::workload::Counts`], and report rows/s of each
//!   (target 3× mysql_async). mysql_async belongs in this crate only, never in the workspace.
//! - peak RSS while streaming live: the same run in a child process reporting
//!   [`crate::rss::peak_rss_kib`], at `--scale 1` and `--scale 4` (target ≤ 32 MiB, flat).
//! - `latency` (bench 5): a writer committing 1,000 single-row transactions per second with
//!   the commit time in a column; the subscriber records item arrival − commit time; p50/p99
//!   (target p99 < 2 ms on loopback).
//! - bench 3 is `cli --binlog-cli PATH` (not a hook any more: the CLI is on main).

/// What `e2e` and `latency` answer until they are written.
pub fn missing(command: &str) -> String {
    format!(
        "`{command}` is not written yet (it needs the binlog-signals driver, which reached main \
         as the offline benchmarks were finished); see bench/src/later.rs and \
         docs/benchmarks.md, \"Not measured yet\""
    )
}
