//! Bench 3 (issue 9): decoding a binlog file to text with a command-line tool, output to
//! /dev/null: the server's own `mariadb-binlog --verbose --base64-output=decode-rows` now,
//! and `binlog decode --format json` (pass the path of a release build of the `binlog` CLI
//! with `--binlog-cli PATH`; without it that half is skipped).

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::manifest::Manifest;

/// CPU time (user + system) of all waited-for children so far.
fn children_cpu() -> Duration {
    // SAFETY: getrusage fills the zeroed struct we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointer to an owned rusage.
    if unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) } != 0 {
        return Duration::ZERO;
    }
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Runs `cmd` with its output sent to /dev/null; returns wall and CPU time.
fn time(cmd: &mut Command) -> Result<(Duration, Duration), String> {
    let cpu = children_cpu();
    let started = Instant::now();
    let status = cmd
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("{cmd:?}: {e}"))?;
    let wall = started.elapsed();
    if !status.success() {
        return Err(format!("{cmd:?} exited with {status}"));
    }
    Ok((wall, children_cpu().saturating_sub(cpu)))
}

pub fn run(
    dir: &Path,
    manifest: &Manifest,
    binlog_cli: Option<&str>,
    iters: usize,
) -> Result<String, String> {
    let mut out = String::from(
        "| workload | tool | row changes | CPU s (median) | wall s (median) | rows/s (CPU) |\n|---|---|---:|---:|---:|---:|\n",
    );
    for part in &manifest.parts {
        let files: Vec<_> = part.files.iter().map(|f| dir.join(f)).collect();
        let mut tools: Vec<(&str, Command)> = Vec::new();
        let mut mariadb = Command::new("mariadb-binlog");
        mariadb
            .args(["--verbose", "--base64-output=decode-rows"])
            .args(&files);
        tools.push(("mariadb-binlog -v --base64-output=decode-rows", mariadb));
        if let Some(cli) = binlog_cli {
            let mut ours = Command::new(cli);
            ours.args(["decode", "--format", "json", "--no-progress"])
                .args(&files);
            tools.push(("binlog decode --format json", ours));
        }
        for (name, mut cmd) in tools {
            let mut runs = Vec::new();
            for _ in 0..iters {
                runs.push(time(&mut cmd)?);
            }
            runs.sort_by_key(|r| r.1);
            let (wall, cpu) = runs[runs.len() / 2];
            eprintln!(
                "cli: {} {name}: {:.2} s CPU, {:.2} s wall",
                part.name,
                cpu.as_secs_f64(),
                wall.as_secs_f64()
            );
            let _ = writeln!(
                out,
                "| {} | `{name}` | {} | {:.2} | {:.2} | {:.0} |",
                part.name,
                part.counts.total(),
                cpu.as_secs_f64(),
                wall.as_secs_f64(),
                part.counts.total() as f64 / cpu.as_secs_f64()
            );
        }
    }
    if binlog_cli.is_none() {
        out.push_str(
            "\n(`binlog decode --format json` not measured: pass `--binlog-cli PATH` once the CLI exists.)\n",
        );
    }
    Ok(out)
}
