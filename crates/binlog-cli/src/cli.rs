//! The command line: subcommands and their options (clap derive). Every option's doc comment
//! is its `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Read MySQL/MariaDB binary logs: follow a live server, decode binlog files, or try it all
/// on a throwaway local MariaDB.
///
/// Row changes are printed one per line as JSON (`--format json`, the stable format described
/// in docs/output-format.md) or in a human-readable text form (`--format text`).
#[derive(Debug, Parser)]
#[command(name = "binlog", version, about, long_about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Follow a server's binary log over replication and print every row change live.
    ///
    /// Connects as a replica (the account needs REPLICATION SLAVE and REPLICATION CLIENT, and
    /// SELECT on the tables when the server does not log binlog_row_metadata=FULL), says
    /// `connected to HOST:PORT, reading from ...` on standard error, then prints each inserted,
    /// updated and deleted row in binlog order as it is committed: the same lines `binlog
    /// decode` prints for the same binlog. Ctrl-C (SIGINT) and SIGTERM stop it, save the
    /// checkpoint (with --checkpoint) and exit 0; a connection error exits 1 with a message.
    Tail(TailArgs),
    /// Decode binlog files offline and print their row changes.
    ///
    /// Reads each FILE (plain or gzip-compressed binlog or relay log) from the start, in the
    /// order given, and prints every row change of the tables selected with --tables. A
    /// truncated or corrupt file stops that file's decoding with a message naming the file and
    /// the offset; the remaining files are still decoded and the exit status is 1.
    Decode(DecodeArgs),
    /// Start a throwaway local MariaDB, run a small workload and show its changes live.
    ///
    /// Needs `mariadbd` installed (scripts/ensure-mariadb.sh installs it). The server lives in
    /// a temporary directory on a free port and is removed on exit, also on Ctrl-C.
    Demo(DemoArgs),
}

/// How row changes are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// One JSON object per line per row change: the stable, lossless format
    /// (docs/output-format.md).
    Json,
    /// A header line per change and one line per row image, values as MySQL prints them.
    Text,
}

/// `--tables`, shared by tail and decode.
#[derive(Debug, Clone, Args)]
pub(crate) struct TableArgs {
    /// Only print changes of tables matching PATTERN (`schema.table`, `*` and `?` wildcards,
    /// `shop` means `shop.*`; case-sensitive). Repeat the option or separate patterns with
    /// commas to allow several; without it every table is printed.
    #[arg(long = "tables", value_name = "PATTERN", value_delimiter = ',', action = clap::ArgAction::Append)]
    pub(crate) tables: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct TailArgs {
    /// Server to connect to: `mysql://user:password@host:port/?options` (see the
    /// binlog-signals Config docs for the options, e.g. `ssl-mode`, `server-id`). The
    /// environment variable BINLOG_PASSWORD, when set, is the password instead of the URL's,
    /// which keeps it out of the process list.
    #[arg(value_name = "URL")]
    pub(crate) url: ServerUrl,

    /// Start at this binlog coordinate, e.g. `mysql-bin.000003:4`. Default: the server's
    /// current end (only changes made from now on), or the checkpoint's position.
    #[arg(long, value_name = "FILE:POS", conflicts_with_all = ["from_start", "gtid"])]
    pub(crate) from: Option<String>,

    /// Start at the beginning of the oldest binlog the server still has.
    #[arg(long, conflicts_with = "gtid")]
    pub(crate) from_start: bool,

    /// Start after the transactions in this GTID set (MySQL `uuid:1-10,...` or MariaDB
    /// `0-1-100,...`).
    #[arg(long, value_name = "SET")]
    pub(crate) gtid: Option<String>,

    /// Stop, exit 0, once the end of the binlog as it was at connection time is reached
    /// (instead of waiting for new changes).
    #[arg(long)]
    pub(crate) until_end: bool,

    /// Resume from, and keep saving the position to, this checkpoint file (written
    /// atomically). The position saved is the end of the last transaction whose lines were all
    /// written out: at most once a second while running, and when tail ends (Ctrl-C, SIGTERM,
    /// --until-end, an error), so a resume neither loses nor repeats a transaction. An explicit
    /// --from, --from-start or --gtid wins over the file's position.
    #[arg(long, value_name = "FILE")]
    pub(crate) checkpoint: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) tables: TableArgs,

    /// How to print row changes: `json` (one object per line, the stable format) or `text`
    /// (for reading).
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub(crate) format: Format,

    /// TLS: `disabled`, `preferred` (the default: TLS when the server offers it, certificate
    /// not checked), `required` (TLS, certificate not checked), `verify_ca` (the certificate
    /// must chain to --tls-ca, or to the Mozilla roots without it) or `verify_identity`
    /// (verify_ca and the certificate must name the host). Overrides the URL's `ssl-mode`.
    #[arg(long, value_name = "MODE")]
    pub(crate) tls_mode: Option<String>,

    /// PEM file with the CA certificate(s) to trust; needs --tls-mode verify_ca or
    /// verify_identity. Overrides the URL's `ssl-ca`.
    #[arg(long, value_name = "FILE")]
    pub(crate) tls_ca: Option<PathBuf>,
}

/// The server URL as given, with a `Debug` that hides its password.
#[derive(Clone)]
pub(crate) struct ServerUrl(pub(crate) String);

impl std::str::FromStr for ServerUrl {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(ServerUrl(s.to_owned()))
    }
}

impl std::fmt::Debug for ServerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `scheme://user:password@host`: everything between the user's `:` and the last `@`
        // of the authority is the password.
        let url = &self.0;
        let authority_start = url.find("://").map_or(0, |i| i + 3);
        let authority_end = url[authority_start..]
            .find(['/', '?'])
            .map_or(url.len(), |i| authority_start + i);
        let authority = &url[authority_start..authority_end];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(at), Some(colon)) if colon < at => write!(
                f,
                "\"{}:***{}\"",
                &url[..authority_start + colon],
                &url[authority_start + at..]
            ),
            _ => write!(f, "{url:?}"),
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct DecodeArgs {
    /// Binlog files to decode, in order (plain or gzip-compressed).
    #[arg(value_name = "FILE", required = true)]
    pub(crate) files: Vec<PathBuf>,

    /// How to print row changes: `json` (one object per line, the stable format) or `text`
    /// (for reading).
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub(crate) format: Format,

    #[command(flatten)]
    pub(crate) tables: TableArgs,

    /// Never show the progress bar. By default a bar is drawn on standard error for files of
    /// 16 MiB or more when standard error is a terminal.
    #[arg(long)]
    pub(crate) no_progress: bool,
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// How to print row changes: `text` (for reading) or `json` (one object per line, the
    /// stable format).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,

    /// How many rounds of the workload to run (each round adds a customer and a product,
    /// places, pays and ships an order, and deletes a cancelled one); 0 runs until Ctrl-C.
    /// The demo ends by itself once the last round's changes are shown.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub(crate) rounds: u32,

    /// Pause between two statements of the workload, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 250)]
    pub(crate) pause_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn tables_accepts_repeats_and_commas() {
        let cli = Cli::try_parse_from([
            "binlog", "decode", "--tables", "a.b,c", "--tables", "d", "f1", "f2",
        ])
        .unwrap();
        let Command::Decode(args) = cli.command else {
            panic!("not decode")
        };
        assert_eq!(args.tables.tables, ["a.b", "c", "d"]);
        assert_eq!(args.files, [PathBuf::from("f1"), PathBuf::from("f2")]);
    }

    #[test]
    fn every_option_of_every_subcommand_has_help() {
        let mut seen = 0;
        for sub in Cli::command().get_subcommands() {
            assert!(sub.get_about().is_some(), "{} has no description", sub.get_name());
            for arg in sub.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
                assert!(
                    help.split_whitespace().count() >= 4,
                    "{} {id}: no help text ({help:?})",
                    sub.get_name()
                );
                seen += 1;
            }
        }
        // decode 4, tail 10, demo 3: a new option is counted (and needs help) too.
        assert_eq!(seen, 17);
    }

    #[test]
    fn the_url_debug_hides_the_password() {
        let cli =
            Cli::try_parse_from(["binlog", "tail", "mysql://repl:s3cr@t:x@db:3306/?server-id=7"]).unwrap();
        let debug = format!("{cli:?}");
        assert!(!debug.contains("s3cr"), "{debug}");
        assert!(debug.contains("mysql://repl:***@db:3306/?server-id=7"), "{debug}");
        for (url, shown) in [
            ("mysql://repl@db/", "mysql://repl@db/"),
            ("mysql://db:3306", "mysql://db:3306"),
            ("repl:pw@db", "repl:***@db"),
            ("mysql://u:p@", "mysql://u:***@"),
        ] {
            assert_eq!(format!("{:?}", ServerUrl(url.to_owned())), format!("{shown:?}"));
        }
    }

    #[test]
    fn from_and_gtid_conflict() {
        assert!(
            Cli::try_parse_from(["binlog", "tail", "mysql://x", "--from", "f:4", "--gtid", "0-1-1"]).is_err()
        );
    }
}
