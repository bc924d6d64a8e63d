//! Benchmarks of issue 9: a workload generator and side-by-side decoders. See
//! docs/benchmarks.md for the commands and the figures.

mod alloc_count;
mod cli;
mod decode;
mod e2e;
mod generate;
mod inmem;
mod latency;
mod live;
mod manifest;
mod rss;
mod workload;

use std::path::PathBuf;
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: alloc_count::Counting = alloc_count::Counting;

const USAGE: &str = "usage: binlog-bench <command> [options]
commands:
  generate   fill a throwaway MariaDB with the workload and keep its binlogs in the cache
  decode     bench 1: in-memory decode, binlog-proto vs mysql_common, same bytes, same run
             [--iters K (default 5)] [--part narrow|wide (default both)] [--out FILE.md]
  rss        peak RSS while decoding the cached binlogs file by file (streaming), per decoder,
             in child processes [--scales 1,4 (default)] [--out FILE.md]
  cli        bench 3: mariadb-binlog -v --base64-output=decode-rows (and, with
             --binlog-cli PATH, `binlog decode --format json`) on the same files, output to
             /dev/null [--iters K (default 3)] [--out FILE.md]
  e2e        bench 2: a private MariaDB serving the generated binlogs, read from its oldest
             file (non-blocking) through rows_inserted/updated/deleted, binlog-signals vs
             mysql_async's BinlogStream, alternating [--iters K (default 3)] [--out FILE.md]
             [--only binlog-signals|mysql_async] (one client, e.g. under perf)
  rss-live   bench 4: peak RSS of each client streaming the live server, per scale, in child
             processes [--scales 1,4 (default)] [--out FILE.md]
  latency    bench 5: commit-to-item latency of single-row commits at a steady rate
             [--rate N (default 1000)/s] [--seconds S (default 10)] [--warmup S (default 1)]
             [--out FILE.md]
  profile    one decoder in a loop, for `perf record`
             --decoder binlog-proto|mysql_common --part narrow|wide [--iters K (default 10)]
options:
  --scale N      workload size (1 = 1,000,000 narrow + 16,000 wide rows inserted); default 1
  --seed S       workload seed; default 1
  --cache DIR    where generated binlogs are kept; default bench/cache";

struct Options {
    scale: u64,
    seed: u64,
    cache: PathBuf,
    rest: Vec<String>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        scale: 1,
        seed: 1,
        cache: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/cache")),
        rest: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--scale" => o.scale = value()?.parse().map_err(|_| "--scale: a number")?,
            "--seed" => o.seed = value()?.parse().map_err(|_| "--seed: a number")?,
            "--cache" => o.cache = PathBuf::from(value()?),
            _ => o.rest.push(a.clone()),
        }
    }
    Ok(o)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::FAILURE;
    };
    let result = parse(rest).and_then(|o| match command.as_str() {
        "generate" => {
            let dir = manifest::dir(&o.cache, o.scale, o.seed);
            generate::run(&dir, o.scale, o.seed).map(drop)
        }
        "decode" => decode_cmd(&o),
        "profile" => profile_cmd(&o),
        "rss" => rss_cmd(&o),
        "cli" => cli_cmd(&o),
        "e2e" => {
            let iters =
                flag(&o.rest, "--iters").map_or(Ok(3), |v| v.parse().map_err(|_| "--iters: a number"))?;
            write_out(
                &o.rest,
                e2e::run(
                    &o.cache,
                    o.scale,
                    o.seed,
                    iters,
                    flag(&o.rest, "--only").as_deref(),
                )?,
            )
        }
        "rss-live" => {
            let scales = scales(&o.rest)?;
            write_out(&o.rest, e2e::rss(&o.cache, &scales, o.seed)?)
        }
        "rss-live-child" => {
            let port = flag(&o.rest, "--port")
                .and_then(|p| p.parse().ok())
                .ok_or("--port")?;
            e2e::rss_child(&flag(&o.rest, "--client").unwrap_or_default(), port)
        }
        "latency" => {
            let num = |name: &str, default: u64| {
                flag(&o.rest, name).map_or(Ok(default), |v| {
                    v.parse().map_err(|_| format!("{name}: a number"))
                })
            };
            write_out(
                &o.rest,
                latency::run(num("--rate", 1000)?, num("--seconds", 10)?, num("--warmup", 1)?)?,
            )
        }
        "rss-child" => {
            let dir = flag(&o.rest, "--dir")
                .map_or_else(|| manifest::dir(&o.cache, o.scale, o.seed), PathBuf::from);
            rss::child(&dir, &flag(&o.rest, "--decoder").unwrap_or_default())
        }
        _ => Err(USAGE.to_owned()),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("binlog-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn flag(rest: &[String], name: &str) -> Option<String> {
    rest.iter()
        .position(|a| a == name)
        .and_then(|i| rest.get(i + 1).cloned())
}

fn decode_cmd(o: &Options) -> Result<(), String> {
    let dir = manifest::dir(&o.cache, o.scale, o.seed);
    let manifest = manifest::Manifest::read(&dir)?;
    let iters = flag(&o.rest, "--iters").map_or(Ok(5), |v| v.parse().map_err(|_| "--iters: a number"))?;
    let parts = match flag(&o.rest, "--part") {
        Some(p) => vec![p],
        None => vec!["narrow".to_owned(), "wide".to_owned()],
    };
    let figures = inmem::run(&dir, &manifest, &parts, iters)?;
    let table = inmem::table(&figures);
    println!("{table}");
    if let Some(out) = flag(&o.rest, "--out") {
        std::fs::write(&out, table).map_err(|e| format!("{out}: {e}"))?;
    }
    Ok(())
}

fn profile_cmd(o: &Options) -> Result<(), String> {
    let dir = manifest::dir(&o.cache, o.scale, o.seed);
    let manifest = manifest::Manifest::read(&dir)?;
    let iters: usize =
        flag(&o.rest, "--iters").map_or(Ok(10), |v| v.parse().map_err(|_| "--iters: a number"))?;
    let part = flag(&o.rest, "--part").unwrap_or_else(|| "narrow".to_owned());
    let decoder = flag(&o.rest, "--decoder").unwrap_or_else(|| "binlog-proto".to_owned());
    let (_, f) = inmem::DECODERS
        .iter()
        .find(|(name, _)| *name == decoder)
        .ok_or(format!("no decoder {decoder}"))?;
    let part = manifest.part(&part).ok_or(format!("no part {part}"))?;
    let files = inmem::load(&dir, part)?;
    for _ in 0..iters {
        let (t, wall, cpu) = inmem::pass(*f, &files)?;
        eprintln!(
            "{decoder}: {} rows in {:.3} s wall, {:.3} s CPU",
            t.rows(),
            wall.as_secs_f64(),
            cpu.as_secs_f64()
        );
    }
    Ok(())
}

fn scales(rest: &[String]) -> Result<Vec<u64>, String> {
    let scales = flag(rest, "--scales").unwrap_or_else(|| "1,4".to_owned());
    scales
        .split(',')
        .map(|s| {
            s.parse()
                .map_err(|_| "--scales: numbers, comma-separated".to_owned())
        })
        .collect()
}

fn write_out(rest: &[String], table: String) -> Result<(), String> {
    println!("{table}");
    if let Some(out) = flag(rest, "--out") {
        std::fs::write(&out, table).map_err(|e| format!("{out}: {e}"))?;
    }
    Ok(())
}

fn rss_cmd(o: &Options) -> Result<(), String> {
    let scales = scales(&o.rest)?;
    let table = rss::run(&o.cache, &scales, o.seed)?;
    println!("{table}");
    if let Some(out) = flag(&o.rest, "--out") {
        std::fs::write(&out, table).map_err(|e| format!("{out}: {e}"))?;
    }
    Ok(())
}

fn cli_cmd(o: &Options) -> Result<(), String> {
    let dir = manifest::dir(&o.cache, o.scale, o.seed);
    let manifest = manifest::Manifest::read(&dir)?;
    let iters = flag(&o.rest, "--iters").map_or(Ok(3), |v| v.parse().map_err(|_| "--iters: a number"))?;
    let table = cli::run(&dir, &manifest, flag(&o.rest, "--binlog-cli").as_deref(), iters)?;
    println!("{table}");
    if let Some(out) = flag(&o.rest, "--out") {
        std::fs::write(&out, table).map_err(|e| format!("{out}: {e}"))?;
    }
    Ok(())
}
