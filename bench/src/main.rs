//! Benchmarks of issue 9: a workload generator and side-by-side decoders. See
//! docs/benchmarks.md for the commands and the figures.

mod generate;
mod manifest;
mod workload;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: binlog-bench <command> [options]
commands:
  generate   fill a throwaway MariaDB with the workload and keep its binlogs in the cache
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
