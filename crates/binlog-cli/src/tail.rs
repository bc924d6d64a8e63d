//! `binlog tail`: follow a server over replication and print its row changes.

use std::process::ExitCode;

use binlog_checkpoint::{Checkpoint, GtidState};
use binlog_signals::gtid::{GtidSet, MariadbGtidList};
use binlog_signals::{ConfigBuilder, Start, TlsMode};

use crate::checkpoint::Saver;
use crate::cli::TailArgs;
use crate::follow::{self, Ended, Follower, Streams};
use crate::output::OutputError;

/// Runs `binlog tail`; every failure is a message on standard error and exit status 1.
pub(crate) async fn run(args: TailArgs) -> ExitCode {
    match tail(args).await {
        Ok(code) => code,
        Err(message) => {
            eprintln!("binlog tail: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `FILE:POS`.
fn parse_from(from: &str) -> Result<Start, String> {
    let (file, position) = from
        .rsplit_once(':')
        .ok_or_else(|| format!("--from {from}: expected FILE:POS, e.g. mysql-bin.000003:4"))?;
    let position = position
        .parse()
        .map_err(|_| format!("--from {from}: {position:?} is not a byte offset"))?;
    Ok(Start::position(file, position))
}

/// A MariaDB GTID list (`0-1-100,1-2-5`) or a MySQL GTID set (`uuid:1-10,...`).
fn parse_gtid(set: &str) -> Result<Start, String> {
    if let Ok(list) = set.parse::<MariadbGtidList>() {
        return Ok(Start::MariadbGtid(list));
    }
    set.parse::<GtidSet>().map(Start::MysqlGtid).map_err(|_| {
        format!(
            "--gtid {set}: neither a MariaDB GTID list (0-1-100,...) nor a MySQL GTID set (uuid:1-10,...)"
        )
    })
}

/// Where a checkpoint resumes, as `binlog_signals::start_replication` does: by GTID when it
/// has a GTID state (files written by the library's replication mode), else by file and
/// position (the files `tail` writes).
fn resume_start(checkpoint: Checkpoint) -> Start {
    match checkpoint.gtid {
        Some(GtidState::Mariadb(list)) if !list.is_empty() => Start::MariadbGtid(list),
        Some(GtidState::Mysql(set)) if !set.is_empty() => Start::MysqlGtid(set),
        _ => Start::position(checkpoint.binlog_file, checkpoint.binlog_position),
    }
}

fn describe(start: &Start) -> String {
    match start {
        Start::End => "the current end of the binlog".to_owned(),
        Start::Oldest => "the oldest binlog".to_owned(),
        Start::Position { file, position } => format!("{file}:{position}"),
        Start::MysqlGtid(set) => format!("after GTID set {set}"),
        Start::MariadbGtid(list) => format!("after GTID list {list}"),
        other => format!("{other:?}"),
    }
}

/// Environment variable whose value, when set, is the password (instead of the URL's).
const PASSWORD_VAR: &str = "BINLOG_PASSWORD";

async fn tail(args: TailArgs) -> Result<ExitCode, String> {
    let mut builder = ConfigBuilder::from_url(&args.url.0).map_err(|e| e.to_string())?;
    if let Some(password) = std::env::var_os(PASSWORD_VAR) {
        let password = password
            .into_string()
            .map_err(|_| format!("{PASSWORD_VAR} is not valid UTF-8"))?;
        builder = builder.password(password);
    }
    let mut saver = args.checkpoint.as_deref().map(Saver::new);
    // An explicit start wins over the checkpoint; the checkpoint over the URL's `start`.
    let explicit = if let Some(from) = &args.from {
        Some(parse_from(from)?)
    } else if args.from_start {
        Some(Start::Oldest)
    } else if let Some(set) = &args.gtid {
        Some(parse_gtid(set)?)
    } else {
        None
    };
    if let Some(start) = explicit {
        builder = builder.start(start);
    } else if let Some(saver) = &mut saver {
        let path = args.checkpoint.as_deref().unwrap_or(std::path::Path::new(""));
        match saver.load().await {
            Ok(Some(checkpoint)) => {
                saver.set_flavor(checkpoint.flavor);
                builder = builder.start(resume_start(checkpoint));
            }
            Ok(None) => {}
            Err(e) => return Err(format!("checkpoint {}: {e}", path.display())),
        }
    }
    if args.until_end {
        builder = builder.blocking(false);
    }
    for pattern in &args.tables.tables {
        builder = builder.include(pattern.as_str());
    }
    if let Some(mode) = &args.tls_mode {
        let mode: TlsMode = mode
            .parse()
            .map_err(|e: binlog_signals::ConfigError| e.to_string())?;
        builder = builder.tls_mode(mode);
    }
    if let Some(ca) = &args.tls_ca {
        builder = builder.tls_ca_file(ca);
    }
    let config = builder.build().map_err(|e| e.to_string())?;
    let target = format!("{}:{}", config.host(), config.port());
    let start = describe(config.start());

    let (client, driver) = binlog_signals::connect(config).await.map_err(|e| e.to_string())?;
    let mut streams = Streams::subscribe(&client);
    let interrupted = follow::interrupted();
    let driver = tokio::spawn(driver);
    // Tests (and people) wait for this line before writing changes they expect to see, or
    // sending a signal.
    eprintln!("binlog tail: connected to {target}, reading from {start}");

    let mut follower = Follower::new(args.format, saver);
    let ended = follower.run(&client, &mut streams, interrupted, |_| false).await;
    client.shutdown();
    drop(streams);
    let driver = driver.await;
    let code = match ended {
        Ended::Clean | Ended::Output(OutputError::Closed) => ExitCode::SUCCESS,
        Ended::Failed(message) => {
            eprintln!("binlog tail: {message}");
            ExitCode::FAILURE
        }
        Ended::Output(e) => {
            eprintln!("binlog tail: {e}");
            ExitCode::FAILURE
        }
        Ended::Checkpoint(e) => {
            eprintln!("binlog tail: cannot save the checkpoint: {e}");
            ExitCode::FAILURE
        }
    };
    if let Ok(Err(error)) = &driver
        && code == ExitCode::SUCCESS
    {
        // The streams ended cleanly but the driver reports an error: say it.
        eprintln!("binlog tail: {error}");
        return Ok(ExitCode::FAILURE);
    }
    if let (Some(path), Some(position)) = (&args.checkpoint, follower.resume_position()) {
        eprintln!(
            "binlog tail: {} row changes; checkpoint {} at {position}",
            follower.rows,
            path.display()
        );
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_and_gtid_parse() {
        assert_eq!(
            parse_from("mysql-bin.000003:1234").unwrap(),
            Start::position("mysql-bin.000003", 1234)
        );
        assert!(parse_from("mysql-bin.000003").is_err());
        assert!(parse_from("f:x").is_err());
        assert!(matches!(parse_gtid("0-1-100,1-2-5"), Ok(Start::MariadbGtid(_))));
        assert!(matches!(
            parse_gtid("3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5"),
            Ok(Start::MysqlGtid(_))
        ));
        assert!(parse_gtid("nonsense").is_err());
    }

    #[test]
    fn checkpoints_resume_by_gtid_when_they_have_one() {
        use binlog_checkpoint::Flavor;
        let plain = Checkpoint::new(Flavor::Mariadb, "mysql-bin.000002", 1234);
        assert_eq!(
            resume_start(plain.clone()),
            Start::position("mysql-bin.000002", 1234)
        );
        let list: MariadbGtidList = "0-1-42".parse().unwrap();
        let with_gtid = plain.with_gtid(GtidState::Mariadb(list.clone()));
        assert_eq!(resume_start(with_gtid), Start::MariadbGtid(list));
    }
}
