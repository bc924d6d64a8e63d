//! The `binlog` command: `decode` binlog files, `tail` a server, run a `demo`.

mod cli;
mod decode;
mod output;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::output::OutputError;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Decode(args) => match decode::run(&args) {
            Ok(true) | Err(OutputError::Closed) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("binlog decode: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Tail(_) => not_yet("tail"),
        Command::Demo(_) => not_yet("demo"),
    }
}

/// The live subcommands need the replication driver of binlog-signals, which is not part of
/// this build yet.
fn not_yet(command: &str) -> ExitCode {
    eprintln!(
        "binlog {command}: not yet available in this build (it needs the binlog-signals replication \
         driver); `binlog decode` works offline"
    );
    ExitCode::from(2)
}
