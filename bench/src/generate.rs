//! `generate`: fills a private harness MariaDB with the workload and keeps its binlog files.

use std::path::{Path, PathBuf};
use std::time::Instant;

use binlog_testkit::Server;

use crate::manifest::{Manifest, Part};
use crate::workload::{self, Counts};

/// Server options for the run: no ANNOTATE_ROWS events (they would copy every multi-row INSERT
/// statement into the binlog and make the files mostly SQL text), room for big statements,
/// and no fsync: the binlog content is what matters, not durability.
pub const SERVER_ARGS: &[&str] = &[
    "--binlog-annotate-row-events=OFF",
    "--max-binlog-size=1073741824",
    "--max-allowed-packet=64M",
    "--innodb-buffer-pool-size=512M",
    "--innodb-flush-log-at-trx-commit=0",
    "--sync-binlog=0",
];

pub fn run(dir: &Path, scale: u64, seed: u64) -> Result<Manifest, String> {
    let started = Instant::now();
    let mut builder = Server::builder();
    for arg in SERVER_ARGS {
        builder = builder.arg(*arg);
    }
    let server = builder.start().map_err(|e| e.to_string())?;
    let version = server.query_value("SELECT VERSION()").unwrap_or_default();
    eprintln!("generate: MariaDB {version} on port {}", server.port());
    server
        .try_sql("CREATE DATABASE bench")
        .map_err(|e| e.to_string())?;

    let narrow = part(&server, dir, "narrow", workload::NARROW_DDL, |emit| {
        workload::narrow(scale, seed, emit)
    })?;
    let wide = part(&server, dir, "wide", workload::WIDE_DDL, |emit| {
        workload::wide(scale, seed, emit)
    })?;
    let manifest = Manifest {
        scale,
        seed,
        server_version: version,
        parts: vec![narrow, wide],
    };
    manifest.write(dir)?;
    eprintln!(
        "generate: done in {:.1} s: {}",
        started.elapsed().as_secs_f64(),
        dir.display()
    );
    Ok(manifest)
}

fn sql(server: &Server, script: &str) -> Result<(), String> {
    server
        .try_sql(&format!("USE bench;\n{script}"))
        .map(drop)
        .map_err(|e| e.to_string())
}

/// Runs one part in binlog files of its own and copies them to `dir/<name>/`.
fn part(
    server: &Server,
    dir: &Path,
    name: &str,
    ddl: &str,
    generate: impl FnOnce(&mut dyn FnMut(&str)) -> Counts,
) -> Result<Part, String> {
    let started = Instant::now();
    sql(server, "FLUSH BINARY LOGS")?;
    let before = server.binlog_files();
    sql(server, ddl)?;
    let mut failure = None;
    let mut sent = 0usize;
    let counts = generate(&mut |script: &str| {
        if failure.is_none() {
            sent += script.len();
            if let Err(e) = sql(server, script) {
                failure = Some(e);
            }
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    sql(server, "FLUSH BINARY LOGS")?;
    let after = server.binlog_files();
    // The files written during the part: new since `before`, plus the one active then, minus
    // the one the last flush opened.
    let first = before.len().saturating_sub(1);
    let written: Vec<PathBuf> = after
        .get(first..after.len().saturating_sub(1))
        .unwrap_or_default()
        .to_vec();
    let target = dir.join(name);
    std::fs::create_dir_all(&target).map_err(|e| format!("{}: {e}", target.display()))?;
    let mut files = Vec::new();
    let mut bytes = 0;
    for file in &written {
        let file_name = file.file_name().ok_or("binlog file name")?;
        let to = target.join(file_name);
        bytes += std::fs::copy(file, &to).map_err(|e| format!("copy {}: {e}", file.display()))?;
        files.push(PathBuf::from(name).join(file_name));
    }
    eprintln!(
        "generate: {name}: {} row changes, {} MB of SQL, {} MB of binlog in {} file(s), {:.1} s",
        counts.total(),
        sent >> 20,
        bytes >> 20,
        files.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(Part {
        name: name.to_owned(),
        counts,
        files,
        bytes,
    })
}
