//! The `binlog` command.

use clap::Parser;

/// Tail a MySQL/MariaDB binary log, decode binlog files, or run a demo.
#[derive(Debug, Parser)]
#[command(name = "binlog", version, about)]
struct Cli {}

fn main() {
    let _cli = Cli::parse();
}
