//! Peak resident memory while decoding the generated binlogs file by file, streaming (each
//! decoder reads through a 64 KiB `BufReader`; nothing is held beyond the current event).
//! Each measurement runs in a fresh child process, which reports its own `VmHWM`.

use std::fmt::Write as _;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::process::Command;

use crate::decode::{self, Tally};
use crate::manifest::{self, Manifest};

/// The decoders measured, and `none`: the same process that opens the files but decodes
/// nothing (the baseline of the bench binary itself).
pub const DECODERS: [&str; 3] = ["none", "binlog-proto", "mysql_common"];

/// Peak resident set size of this process so far, in KiB (`VmHWM` in /proc/self/status).
pub fn peak_rss_kib() -> Result<u64, String> {
    let status =
        std::fs::read_to_string("/proc/self/status").map_err(|e| format!("/proc/self/status: {e}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "no VmHWM in /proc/self/status".to_owned())
}

/// In the child: decode every file of every part with `decoder`, then print
/// `rows=<n> peak_kib=<n>`.
pub fn child(dir: &Path, decoder: &str) -> Result<(), String> {
    let manifest = Manifest::read(dir)?;
    let mut tally = Tally::default();
    for part in &manifest.parts {
        for file in &part.files {
            let path = dir.join(file);
            let input = BufReader::with_capacity(
                64 * 1024,
                File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?,
            );
            match decoder {
                "none" => {}
                "binlog-proto" => decode::proto_streaming(&mut tally, input)?,
                "mysql_common" => decode::mysql_common(&mut tally, input)?,
                other => return Err(format!("no decoder {other}")),
            }
        }
    }
    println!("rows={} peak_kib={}", tally.rows(), peak_rss_kib()?);
    Ok(())
}

/// In the parent: one child per scale found in the cache and decoder; a Markdown table.
pub fn run(cache: &Path, scales: &[u64], seed: u64) -> Result<String, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut out = String::from(
        "| workload | decoder | binlog MB | row changes | peak RSS MiB |\n|---|---|---:|---:|---:|\n",
    );
    for &scale in scales {
        let dir = manifest::dir(cache, scale, seed);
        let manifest = Manifest::read(&dir)?;
        let bytes: u64 = manifest.parts.iter().map(|p| p.bytes).sum();
        let rows: u64 = manifest.parts.iter().map(|p| p.counts.total()).sum();
        for decoder in DECODERS {
            let output = Command::new(&exe)
                .args(["rss-child", "--decoder", decoder, "--dir"])
                .arg(&dir)
                .output()
                .map_err(|e| format!("run {}: {e}", exe.display()))?;
            let text = String::from_utf8_lossy(&output.stdout);
            if !output.status.success() {
                return Err(format!(
                    "rss child {decoder} failed: {}",
                    String::from_utf8_lossy(&output.stderr)
                ));
            }
            let field = |name: &str| {
                text.split_whitespace()
                    .find_map(|f| f.strip_prefix(name))
                    .and_then(|v| v.parse::<u64>().ok())
                    .ok_or_else(|| format!("rss child said {text:?}"))
            };
            let (found, peak) = (field("rows=")?, field("peak_kib=")?);
            if decoder != "none" && found != rows {
                return Err(format!("{decoder} found {found} row changes, expected {rows}"));
            }
            eprintln!("rss: {scale}x {decoder}: {peak} KiB");
            let _ = writeln!(
                out,
                "| {scale}× | {decoder} | {:.0} | {} | {:.1} |",
                bytes as f64 / 1e6,
                if decoder == "none" { 0 } else { rows },
                peak as f64 / 1024.0
            );
        }
    }
    Ok(out)
}
