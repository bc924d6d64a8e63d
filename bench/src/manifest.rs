//! The cache of generated binlogs: `<cache>/s<scale>-seed<seed>/{narrow,wide}/mysql-bin.*` and
//! a `manifest.txt` that says what the files hold.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::workload::Counts;

/// One workload part: its binlog files (relative to the cache dir) and row changes.
#[derive(Debug, Clone)]
pub struct Part {
    pub name: String,
    pub counts: Counts,
    pub files: Vec<PathBuf>,
    pub bytes: u64,
}

#[derive(Debug, Clone)]
pub struct Manifest {
    pub scale: u64,
    pub seed: u64,
    pub server_version: String,
    pub parts: Vec<Part>,
}

pub fn dir(cache: &Path, scale: u64, seed: u64) -> PathBuf {
    cache.join(format!("s{scale}-seed{seed}"))
}

impl Manifest {
    pub fn write(&self, dir: &Path) -> Result<(), String> {
        let mut text = String::new();
        let _ = writeln!(text, "scale={}", self.scale);
        let _ = writeln!(text, "seed={}", self.seed);
        let _ = writeln!(text, "server_version={}", self.server_version);
        for p in &self.parts {
            let files: Vec<String> = p.files.iter().map(|f| f.display().to_string()).collect();
            let _ = writeln!(
                text,
                "part={} inserted={} updated={} deleted={} bytes={} files={}",
                p.name,
                p.counts.inserted,
                p.counts.updated,
                p.counts.deleted,
                p.bytes,
                files.join(",")
            );
        }
        let path = dir.join("manifest.txt");
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn read(dir: &Path) -> Result<Manifest, String> {
        let path = dir.join("manifest.txt");
        let text = std::fs::read_to_string(&path).map_err(|e| {
            format!(
                "{}: {e}\n(run `generate` first; see docs/benchmarks.md)",
                path.display()
            )
        })?;
        let mut m = Manifest {
            scale: 0,
            seed: 0,
            server_version: String::new(),
            parts: Vec::new(),
        };
        for line in text.lines() {
            if let Some(v) = line.strip_prefix("scale=") {
                m.scale = v.parse().map_err(|_| "manifest scale")?;
            } else if let Some(v) = line.strip_prefix("seed=") {
                m.seed = v.parse().map_err(|_| "manifest seed")?;
            } else if let Some(v) = line.strip_prefix("server_version=") {
                m.server_version = v.to_owned();
            } else if line.starts_with("part=") {
                let mut part = Part {
                    name: String::new(),
                    counts: Counts::default(),
                    files: Vec::new(),
                    bytes: 0,
                };
                for field in line.split(' ') {
                    let (k, v) = field.split_once('=').ok_or("manifest field")?;
                    let num = || v.parse::<u64>().map_err(|_| format!("manifest {k}"));
                    match k {
                        "part" => part.name = v.to_owned(),
                        "inserted" => part.counts.inserted = num()?,
                        "updated" => part.counts.updated = num()?,
                        "deleted" => part.counts.deleted = num()?,
                        "bytes" => part.bytes = num()?,
                        "files" => part.files = v.split(',').map(PathBuf::from).collect(),
                        _ => {}
                    }
                }
                m.parts.push(part);
            }
        }
        Ok(m)
    }

    pub fn part(&self, name: &str) -> Option<&Part> {
        self.parts.iter().find(|p| p.name == name)
    }
}
