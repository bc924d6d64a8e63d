//! The live benchmarks of issue 9 (items 2, 4, 5): a private MariaDB serving the generated
//! workload's binlog files, read end to end over the replication protocol.
//!
//! The server is "staged" from the cache of `generate` instead of replaying the SQL (minutes at
//! scale 4): a fresh harness MariaDB is stopped, the cached binlog files are copied into its
//! datadir under their original names and appended to `mysql-bin.index`, and the server is
//! started again. It then serves them like any binlog it wrote itself (the dump thread reads the
//! files named by the index; MariaDB `sql/sql_repl.cc`, `mysql_binlog_send`). The tables are
//! created again (outside the binlog) so that the server's schema matches the rows.

use std::path::Path;

use binlog_testkit::Server;

use crate::generate::SERVER_ARGS;
use crate::manifest::{self, Manifest};
use crate::workload;

/// A running server with the workload of `scale` in its binlog, its manifest and the bytes of
/// all its binlog files (what a reader from the oldest file receives).
pub struct Staged {
    pub server: Server,
    pub manifest: Manifest,
    pub binlog_bytes: u64,
}

pub fn stage(cache: &Path, scale: u64, seed: u64) -> Result<Staged, String> {
    let dir = manifest::dir(cache, scale, seed);
    let manifest = Manifest::read(&dir)?;
    let mut builder = Server::builder();
    for arg in SERVER_ARGS {
        builder = builder.arg(*arg);
    }
    let mut server = builder.start().map_err(|e| e.to_string())?;
    let existing = server.binlog_files();
    let last = existing
        .iter()
        .filter_map(|p| p.file_name()?.to_str()?.to_owned().into())
        .max()
        .unwrap_or_default();
    server.stop();
    let datadir = server.datadir();
    let mut index = std::fs::read_to_string(datadir.join("mysql-bin.index"))
        .map_err(|e| format!("mysql-bin.index: {e}"))?;
    for part in &manifest.parts {
        for file in &part.files {
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or("cached file name")?;
            if name <= last.as_str() {
                return Err(format!(
                    "cached {name} does not sort after the server's own {last}; regenerate"
                ));
            }
            std::fs::copy(dir.join(file), datadir.join(name))
                .map_err(|e| format!("copy {}: {e}", file.display()))?;
            index.push_str(&format!("./{name}\n"));
        }
    }
    std::fs::write(datadir.join("mysql-bin.index"), index).map_err(|e| format!("index: {e}"))?;
    server.restart().map_err(|e| e.to_string())?;
    server
        .try_sql(&format!(
            "SET SESSION sql_log_bin=0; CREATE DATABASE bench; USE bench; {}; {};",
            workload::NARROW_DDL,
            workload::WIDE_DDL
        ))
        .map_err(|e| e.to_string())?;
    let binlog_bytes = server
        .binlog_files()
        .iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum();
    Ok(Staged {
        server,
        manifest,
        binlog_bytes,
    })
}
