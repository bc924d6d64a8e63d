//! The queries a replica runs before asking for the binlog, and how their answers are read.

use std::fmt::Write as _;

use crate::error::{Error, Result};
use crate::handshake::{Flavor, ServerVersion};
use crate::resultset::ResultSet;

use super::{BinlogChecksum, ReplicationOptions, StartPosition};

/// One query reads every setting the checks need. `SHOW GLOBAL VARIABLES` (rather than
/// `SELECT @@global.x`) because a variable the server does not have (`binlog_checksum` before
/// MySQL 5.6.2, `gtid_mode` on MariaDB) is then simply absent instead of an error.
pub(crate) const VARIABLES_QUERY: &str = "SHOW GLOBAL VARIABLES WHERE Variable_name IN \
     ('log_bin', 'binlog_format', 'binlog_checksum', 'binlog_row_image', 'gtid_mode', 'server_id')";

/// `@mariadb_slave_capability` value asking for GTID events (`MARIA_SLAVE_CAPABILITY_GTID`,
/// MariaDB `sql/log_event.h`); without it the server rewrites them for pre-10.0 replicas.
const MARIA_SLAVE_CAPABILITY_GTID: u8 = 4;

/// The settings read from the server.
#[derive(Debug, Clone, Default)]
pub(crate) struct ServerSettings {
    pub(crate) log_bin: Option<String>,
    pub(crate) binlog_format: Option<String>,
    pub(crate) binlog_checksum: Option<String>,
    pub(crate) binlog_row_image: Option<String>,
    pub(crate) gtid_mode: Option<String>,
    pub(crate) server_id: Option<u32>,
}

impl ServerSettings {
    /// Reads the `Variable_name` / `Value` rows.
    pub(crate) fn from_result(set: &ResultSet) -> ServerSettings {
        let mut settings = ServerSettings::default();
        for row in &set.rows {
            let (Some(name), value) = (row.get_str(0), row.get_str(1).map(|v| v.into_owned())) else {
                continue;
            };
            match name.to_ascii_lowercase().as_str() {
                "log_bin" => settings.log_bin = value,
                "binlog_format" => settings.binlog_format = value,
                "binlog_checksum" => settings.binlog_checksum = value,
                "binlog_row_image" => settings.binlog_row_image = value,
                "gtid_mode" => settings.gtid_mode = value,
                "server_id" => settings.server_id = value.and_then(|v| v.parse().ok()),
                _ => {}
            }
        }
        settings
    }

    /// Refuses settings that make the requested stream impossible.
    pub(crate) fn check(&self, flavor: Flavor, options: &ReplicationOptions) -> Result<()> {
        let log_bin = self.log_bin.as_deref().unwrap_or("OFF");
        if !(log_bin.eq_ignore_ascii_case("ON") || log_bin == "1") {
            return Err(Error::ServerConfig {
                setting: "log_bin",
                value: log_bin.to_owned(),
                requirement: "binary logging must be enabled (start the server with --log-bin)",
            });
        }
        // The dump thread skips events written under the replica's own server id (MariaDB
        // `sql/sql_repl.cc`, `send_event_to_slave`; MySQL's replica ignores them): with the
        // server's own id, nothing written on the server would arrive.
        if self.server_id == Some(options.server_id) {
            return Err(Error::ServerConfig {
                setting: "server_id",
                value: options.server_id.to_string(),
                requirement: "the replica's server id must differ from the server's own: the server \
                              does not send a replica the events written under its own id",
            });
        }
        if options.require_row_format {
            let format = self.binlog_format.as_deref().unwrap_or("");
            if !format.eq_ignore_ascii_case("ROW") {
                return Err(Error::ServerConfig {
                    setting: "binlog_format",
                    value: format.to_owned(),
                    requirement: "row changes need binlog_format=ROW (SET GLOBAL binlog_format=ROW)",
                });
            }
        }
        match (&options.start, flavor) {
            (StartPosition::MysqlGtids(_), Flavor::Mysql) => {
                let mode = self.gtid_mode.as_deref().unwrap_or("OFF");
                if !mode.eq_ignore_ascii_case("ON") {
                    return Err(Error::ServerConfig {
                        setting: "gtid_mode",
                        value: mode.to_owned(),
                        requirement: "starting from a GTID set needs gtid_mode=ON",
                    });
                }
            }
            (StartPosition::MysqlGtids(_), Flavor::Mariadb) => {
                return Err(Error::Unsupported(
                    "a MySQL GTID set as start position on a MariaDB server (use MariaDB GTIDs)".into(),
                ));
            }
            (StartPosition::MariadbGtids(_), Flavor::Mysql) => {
                return Err(Error::Unsupported(
                    "a MariaDB GTID position as start position on a MySQL server".into(),
                ));
            }
            _ => {}
        }
        Ok(())
    }

    /// The checksum the stream will carry once `@master_binlog_checksum` is set to it.
    pub(crate) fn checksum(&self) -> Result<BinlogChecksum> {
        match self.binlog_checksum.as_deref() {
            None => Ok(BinlogChecksum::None),
            Some(v) if v.eq_ignore_ascii_case("NONE") => Ok(BinlogChecksum::None),
            Some(v) if v.eq_ignore_ascii_case("CRC32") => Ok(BinlogChecksum::Crc32),
            Some(other) => Err(Error::Unsupported(format!("binlog checksum algorithm {other}"))),
        }
    }
}

/// The one `SET` statement of session variables the dump thread reads, or `None` when nothing
/// needs setting.
///
/// * `@master_binlog_checksum`: tells the server the replica understands checksums; without it
///   a server with `binlog_checksum=CRC32` refuses the dump (MySQL `sql/rpl_binlog_sender.cc`,
///   `init_checksum_alg`). Set to the server's own algorithm, so events arrive as written.
/// * `@mariadb_slave_capability`: MariaDB only.
/// * `@master_heartbeat_period`: nanoseconds (both flavours read this name; MySQL 8.0.26+
///   also reads `@source_heartbeat_period`).
/// * `@slave_connect_state`: MariaDB GTID start (`sql/sql_repl.cc`, `mysql_binlog_send`).
pub(crate) fn settings_statement(
    settings: &ServerSettings,
    flavor: Flavor,
    options: &ReplicationOptions,
) -> Option<String> {
    let mut assignments: Vec<String> = Vec::new();
    if settings.binlog_checksum.is_some() {
        assignments.push("@master_binlog_checksum = @@global.binlog_checksum".into());
    }
    if flavor == Flavor::Mariadb {
        assignments.push(format!(
            "@mariadb_slave_capability = {MARIA_SLAVE_CAPABILITY_GTID}"
        ));
    }
    if let Some(period) = options.heartbeat_period {
        let nanos = u64::try_from(period.as_nanos()).unwrap_or(u64::MAX);
        assignments.push(format!("@master_heartbeat_period = {nanos}"));
    }
    if let StartPosition::MariadbGtids(list) = &options.start {
        // The list's text form is digits, '-' and ',' only: safe inside quotes.
        assignments.push(format!("@slave_connect_state = '{list}'"));
    }
    if assignments.is_empty() {
        return None;
    }
    let mut sql = String::from("SET ");
    for (i, assignment) in assignments.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        let _ = write!(sql, "{assignment}");
    }
    Some(sql)
}

/// The statement that finds the current end of the binlog or the oldest binlog file.
pub(crate) fn start_query(
    start: &StartPosition,
    flavor: Flavor,
    version: ServerVersion,
) -> Option<&'static str> {
    match start {
        // MySQL 8.2 added SHOW BINARY LOG STATUS and 8.4 removed SHOW MASTER STATUS.
        StartPosition::Current if flavor == Flavor::Mysql && version >= ServerVersion::new(8, 2, 0) => {
            Some("SHOW BINARY LOG STATUS")
        }
        StartPosition::Current => Some("SHOW MASTER STATUS"),
        StartPosition::Oldest => Some("SHOW BINARY LOGS"),
        _ => None,
    }
}

/// Reads the file (and for the current position, the position) from the answer of
/// [`start_query`]: first row, columns `File`/`Log_name` and `Position`.
pub(crate) fn resolve_start(start: &StartPosition, set: &ResultSet) -> Result<StartPosition> {
    let Some(row) = set.rows.first() else {
        return Err(Error::ServerConfig {
            setting: "log_bin",
            value: "no binary log files".into(),
            requirement: "binary logging must be enabled (start the server with --log-bin)",
        });
    };
    let file = row.get_str(0).map(|f| f.into_owned()).ok_or(Error::Malformed {
        what: "binlog status (file name)",
        offset: 0,
    })?;
    let position = match start {
        StartPosition::Current => {
            row.get_str(1)
                .and_then(|p| p.parse::<u64>().ok())
                .ok_or(Error::Malformed {
                    what: "binlog status (position)",
                    offset: 0,
                })?
        }
        _ => super::FIRST_EVENT_POSITION,
    };
    Ok(StartPosition::File { file, position })
}
