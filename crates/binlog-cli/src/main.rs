//! The `binlog` command: `decode` binlog files, `tail` a server, run a `demo`.

mod checkpoint;
mod cli;
mod decode;
#[cfg(feature = "demo")]
mod demo;
mod follow;
mod output;
mod tail;

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
        Command::Tail(args) => block_on(tail::run(args)),
        #[cfg(feature = "demo")]
        Command::Demo(args) => block_on(demo::run(args)),
        #[cfg(not(feature = "demo"))]
        Command::Demo(_) => {
            eprintln!("binlog demo: this build has no demo (built without the `demo` feature)");
            ExitCode::from(2)
        }
    }
}

/// Runs the live subcommands on a single-threaded runtime: one connection needs no more, and
/// the command stays light next to the server it reads.
fn block_on(future: impl Future<Output = ExitCode>) -> ExitCode {
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(future),
        Err(e) => {
            eprintln!("binlog: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}
