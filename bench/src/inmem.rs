//! Bench 1: decode every event and every value of the generated binlogs held in memory,
//! binlog-proto and mysql_common on the same bytes, alternating, in the same run.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::decode::{self, Tally};
use crate::manifest::{Manifest, Part};

/// One decoder's figures on one workload part.
#[derive(Debug, Clone)]
pub struct Figure {
    pub part: String,
    pub decoder: &'static str,
    pub rows: u64,
    pub bytes: u64,
    /// Wall-clock time of each run.
    pub times: Vec<Duration>,
    /// CPU time of the decoding thread in each run: what the decoder itself used, unaffected
    /// by other processes waiting for or holding the two shared cores.
    pub cpu: Vec<Duration>,
    /// Heap allocations (counted in one pass, scaled to `passes`).
    pub allocs: u64,
    /// Passes over the files per measured run; `rows` and `bytes` count all of them.
    pub passes: usize,
}

impl Figure {
    pub fn median(&self) -> Duration {
        median(&self.times)
    }

    pub fn cpu_median(&self) -> Duration {
        median(&self.cpu)
    }

    /// Row changes per second of decoder CPU time (median run).
    pub fn rows_per_s(&self) -> f64 {
        self.rows as f64 / self.cpu_median().as_secs_f64()
    }

    /// Binlog megabytes (10^6 bytes) per second of decoder CPU time (median run).
    pub fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.cpu_median().as_secs_f64()
    }

    /// Row changes per second of wall-clock time (median run).
    pub fn wall_rows_per_s(&self) -> f64 {
        self.rows as f64 / self.median().as_secs_f64()
    }
}

fn median(times: &[Duration]) -> Duration {
    let mut t = times.to_vec();
    t.sort();
    t.get(t.len() / 2).copied().unwrap_or_default()
}

/// CPU time used by the calling thread so far.
pub fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into the valid, exclusively borrowed `ts`.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Shortest binlog-proto CPU time a measured run should take.
const MIN_RUN: Duration = Duration::from_millis(250);

pub type DecodeFn = fn(&mut Tally, &[u8]) -> Result<(), String>;

pub const DECODERS: [(&str, DecodeFn); 2] = [
    ("binlog-proto", |t, b| decode::proto_in_memory(t, b)),
    ("mysql_common", |t, b| decode::mysql_common(t, b)),
];

pub fn load(dir: &Path, part: &Part) -> Result<Vec<Vec<u8>>, String> {
    part.files
        .iter()
        .map(|f| {
            let path = dir.join(f);
            std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
        })
        .collect()
}

/// One decoding pass over all files: the tally, the wall time and the thread's CPU time.
pub fn pass(decode: DecodeFn, files: &[Vec<u8>]) -> Result<(Tally, Duration, Duration), String> {
    let mut tally = Tally::default();
    let cpu = thread_cpu_time();
    let started = Instant::now();
    for bytes in files {
        decode(&mut tally, bytes)?;
    }
    let wall = started.elapsed();
    Ok((tally, wall, thread_cpu_time().saturating_sub(cpu)))
}

/// Runs both decoders `iters` times over each part (after one checked warm-up pass each).
pub fn run(dir: &Path, manifest: &Manifest, parts: &[String], iters: usize) -> Result<Vec<Figure>, String> {
    let mut figures = Vec::new();
    for name in parts {
        let part = manifest
            .part(name)
            .ok_or(format!("no part {name} in the manifest"))?;
        let files = load(dir, part)?;
        let mut first: Option<Tally> = None;
        let mut slot: Vec<Figure> = DECODERS
            .iter()
            .map(|(decoder, _)| Figure {
                part: name.clone(),
                decoder,
                rows: part.counts.total(),
                bytes: part.bytes,
                times: Vec::new(),
                cpu: Vec::new(),
                allocs: 0,
                passes: 1,
            })
            .collect();
        // Warm-up and correctness: both decoders find exactly the workload's row changes and
        // the same values and NULLs.
        let mut reps = 1;
        for (k, (decoder, f)) in DECODERS.iter().enumerate() {
            let (result, allocs) = crate::alloc_count::count(|| pass(*f, &files));
            let (t, _, cpu) = result?;
            if k == 0 {
                // Each measured run repeats the pass until binlog-proto takes about
                // MIN_RUN: a 30 ms pass is at the mercy of whatever else the shared cores do.
                let once = cpu.as_secs_f64().max(1e-4);
                reps = (MIN_RUN.as_secs_f64() / once).ceil().clamp(1.0, 100.0) as usize;
            }
            slot[k].allocs = allocs;
            if (t.inserted, t.updated, t.deleted)
                != (part.counts.inserted, part.counts.updated, part.counts.deleted)
            {
                return Err(format!(
                    "{decoder} on {name}: found {t:?}, expected {:?}",
                    part.counts
                ));
            }
            if let Some(f) = &first
                && !f.same_counts(&t)
            {
                return Err(format!("{name}: decoders disagree:\n  {f:?}\n  {t:?}"));
            }
            eprintln!(
                "{name}: {decoder}: {} events, {} rows events, {} row changes, {} values ({} NULL)",
                t.events,
                t.rows_events,
                t.rows(),
                t.values,
                t.nulls
            );
            first.get_or_insert(t);
        }
        for i in 0..iters {
            for (k, (decoder, f)) in DECODERS.iter().enumerate() {
                let (mut wall, mut cpu) = (Duration::ZERO, Duration::ZERO);
                for _ in 0..reps {
                    let (_, w, c) = pass(*f, &files)?;
                    wall += w;
                    cpu += c;
                }
                eprintln!(
                    "{name}: {decoder} run {} ({reps} passes): {:.3} s wall, {:.3} s CPU",
                    i + 1,
                    wall.as_secs_f64(),
                    cpu.as_secs_f64()
                );
                slot[k].times.push(wall);
                slot[k].cpu.push(cpu);
            }
        }
        for f in &mut slot {
            f.rows *= reps as u64;
            f.bytes *= reps as u64;
            f.allocs *= reps as u64;
            f.passes = reps;
        }
        figures.extend(slot);
    }
    Ok(figures)
}

/// The figures as a Markdown table, with the ratio of binlog-proto to mysql_common.
pub fn table(figures: &[Figure]) -> String {
    let mut out = String::from(
        "| workload | decoder | row changes | binlog MB | passes per run | CPU s per run (median) | wall s per run (median) | rows/s | MB/s | ratio | wall rows/s | allocations / row |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for f in figures {
        let peer = figures
            .iter()
            .find(|p| p.part == f.part && p.decoder == "mysql_common");
        let ratio = peer.map_or(String::new(), |p| {
            format!("{:.2}×", f.rows_per_s() / p.rows_per_s())
        });
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.1} | {} | {:.3} | {:.3} | {:.0} | {:.1} | {} | {:.0} | {:.3} |",
            f.part,
            f.decoder,
            f.rows / f.passes.max(1) as u64,
            f.bytes as f64 / 1e6 / f.passes.max(1) as f64,
            f.passes,
            f.cpu_median().as_secs_f64(),
            f.median().as_secs_f64(),
            f.rows_per_s(),
            f.mb_per_s(),
            ratio,
            f.wall_rows_per_s(),
            f.allocs as f64 / f.rows as f64
        );
    }
    out
}
