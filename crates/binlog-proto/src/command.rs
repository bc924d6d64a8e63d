//! Command packets the client sends: COM_QUERY, COM_QUIT, COM_PING, COM_REGISTER_SLAVE,
//! COM_BINLOG_DUMP and COM_BINLOG_DUMP_GTID.
//!
//! Each `encode_*` function returns a packet payload (command byte first); the connection frames
//! it with sequence id 0. Layouts from the MySQL source documentation ("COM_BINLOG_DUMP",
//! "COM_BINLOG_DUMP_GTID", "COM_REGISTER_REPLICA"; `sql/rpl_source.cc`) and MariaDB's
//! `sql/sql_repl.cc`.

use std::fmt;

use crate::gtid::GtidSet;

/// A command code: an open newtype, so unknown codes are data.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CommandCode(pub u8);

impl CommandCode {
    /// Close the connection.
    pub const QUIT: CommandCode = CommandCode(0x01);
    /// Change the default database.
    pub const INIT_DB: CommandCode = CommandCode(0x02);
    /// A text query.
    pub const QUERY: CommandCode = CommandCode(0x03);
    /// Is the server alive?
    pub const PING: CommandCode = CommandCode(0x0e);
    /// Start a binlog stream from a file and position.
    pub const BINLOG_DUMP: CommandCode = CommandCode(0x12);
    /// Register as a replica (shows in `SHOW REPLICAS` / `SHOW SLAVE HOSTS`).
    pub const REGISTER_SLAVE: CommandCode = CommandCode(0x15);
    /// Start a binlog stream from a MySQL GTID set.
    pub const BINLOG_DUMP_GTID: CommandCode = CommandCode(0x1e);

    fn name(self) -> Option<&'static str> {
        Some(match self {
            CommandCode::QUIT => "COM_QUIT",
            CommandCode::INIT_DB => "COM_INIT_DB",
            CommandCode::QUERY => "COM_QUERY",
            CommandCode::PING => "COM_PING",
            CommandCode::BINLOG_DUMP => "COM_BINLOG_DUMP",
            CommandCode::REGISTER_SLAVE => "COM_REGISTER_SLAVE",
            CommandCode::BINLOG_DUMP_GTID => "COM_BINLOG_DUMP_GTID",
            _ => return None,
        })
    }
}

impl fmt::Debug for CommandCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "CommandCode(0x{:02x})", self.0),
        }
    }
}

/// Flags of COM_BINLOG_DUMP / COM_BINLOG_DUMP_GTID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DumpFlags(pub u16);

impl DumpFlags {
    /// Return an EOF packet at the end of the binlog instead of waiting for new events.
    pub const NON_BLOCK: DumpFlags = DumpFlags(0x01);
    /// MariaDB: send ANNOTATE_ROWS events (the SQL text of row events).
    pub const SEND_ANNOTATE_ROWS_EVENT: DumpFlags = DumpFlags(0x02);
    /// MySQL COM_BINLOG_DUMP_GTID: the GTID set follows.
    pub const THROUGH_GTID: DumpFlags = DumpFlags(0x04);

    /// True when every bit of `other` is set.
    pub fn contains(self, other: DumpFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for DumpFlags {
    type Output = DumpFlags;
    fn bitor(self, rhs: DumpFlags) -> DumpFlags {
        DumpFlags(self.0 | rhs.0)
    }
}

/// COM_QUERY with `sql`.
pub fn encode_query(sql: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(sql.len().saturating_add(1));
    out.push(CommandCode::QUERY.0);
    out.extend_from_slice(sql.as_bytes());
    out
}

/// COM_QUIT.
pub fn encode_quit() -> Vec<u8> {
    vec![CommandCode::QUIT.0]
}

/// COM_PING.
pub fn encode_ping() -> Vec<u8> {
    vec![CommandCode::PING.0]
}

/// What a replica tells the server about itself in COM_REGISTER_SLAVE.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RegisterReplica {
    /// The replica's server id (must be unique among the server's replicas).
    pub server_id: u32,
    /// Host name reported in `SHOW REPLICAS` (may be empty).
    pub hostname: String,
    /// User name reported (may be empty).
    pub user: String,
    /// Password reported (may be empty; MySQL ignores it).
    pub password: String,
    /// Port reported.
    pub port: u16,
}

/// Appends a string with a one-byte length prefix, cutting it at 255 bytes (the server keeps
/// at most 60 characters of the host name anyway).
fn put_u8_string(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let bytes = bytes.get(..bytes.len().min(255)).unwrap_or_default();
    out.push(bytes.len() as u8);
    out.extend_from_slice(bytes);
}

/// COM_REGISTER_SLAVE: server id, host, user, password (each one-byte-length prefixed),
/// port, replication rank (0) and source id (0).
pub fn encode_register_replica(replica: &RegisterReplica) -> Vec<u8> {
    let mut out = Vec::with_capacity(32);
    out.push(CommandCode::REGISTER_SLAVE.0);
    out.extend_from_slice(&replica.server_id.to_le_bytes());
    put_u8_string(&mut out, &replica.hostname);
    put_u8_string(&mut out, &replica.user);
    put_u8_string(&mut out, &replica.password);
    out.extend_from_slice(&replica.port.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out
}

/// COM_BINLOG_DUMP: position (4 bytes; positions beyond 4 GiB cannot be asked for with this
/// command), flags, server id, file name (rest of packet). MariaDB's GTID start sends an empty
/// file name and position 4 after setting `@slave_connect_state`.
pub fn encode_binlog_dump(file: &str, position: u32, flags: DumpFlags, server_id: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(11usize.saturating_add(file.len()));
    out.push(CommandCode::BINLOG_DUMP.0);
    out.extend_from_slice(&position.to_le_bytes());
    out.extend_from_slice(&flags.0.to_le_bytes());
    out.extend_from_slice(&server_id.to_le_bytes());
    out.extend_from_slice(file.as_bytes());
    out
}

/// COM_BINLOG_DUMP_GTID: flags (THROUGH_GTID added), server id, file name length and name,
/// position (8 bytes), then the GTID set's binary encoding with its length
/// ([`GtidSet::encode`], tagged format when the set has tags, MySQL 8.3+).
pub fn encode_binlog_dump_gtid(
    file: &str,
    position: u64,
    flags: DumpFlags,
    server_id: u32,
    gtids: &GtidSet,
) -> Vec<u8> {
    let data = gtids.encode();
    let mut out = Vec::with_capacity(27usize.saturating_add(file.len()).saturating_add(data.len()));
    out.push(CommandCode::BINLOG_DUMP_GTID.0);
    out.extend_from_slice(&(flags | DumpFlags::THROUGH_GTID).0.to_le_bytes());
    out.extend_from_slice(&server_id.to_le_bytes());
    out.extend_from_slice(&(file.len() as u32).to_le_bytes());
    out.extend_from_slice(file.as_bytes());
    out.extend_from_slice(&position.to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binlog_dump_layout() {
        let p = encode_binlog_dump("mysql-bin.000001", 4, DumpFlags::NON_BLOCK, 1001);
        assert_eq!(hex::encode(&p[..11]), "12040000000100e9030000");
        assert_eq!(&p[11..], b"mysql-bin.000001");
    }

    #[test]
    fn register_replica_layout() {
        let p = encode_register_replica(&RegisterReplica {
            server_id: 7,
            hostname: "h".into(),
            port: 3306,
            ..Default::default()
        });
        assert_eq!(hex::encode(p), "150700000001680000ea0c0000000000000000");
    }

    #[test]
    fn binlog_dump_gtid_carries_the_encoded_set() {
        let set: GtidSet = "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5".parse().unwrap();
        let p = encode_binlog_dump_gtid("", 4, DumpFlags::default(), 2, &set);
        let data = set.encode();
        assert_eq!(p[0], 0x1e);
        assert_eq!(u16::from_le_bytes([p[1], p[2]]), 0x04);
        assert_eq!(u32::from_le_bytes(p[3..7].try_into().unwrap()), 2);
        assert_eq!(u32::from_le_bytes(p[7..11].try_into().unwrap()), 0);
        assert_eq!(u64::from_le_bytes(p[11..19].try_into().unwrap()), 4);
        assert_eq!(
            u32::from_le_bytes(p[19..23].try_into().unwrap()) as usize,
            data.len()
        );
        assert_eq!(&p[23..], &data[..]);
        // 8 (count) + 16 (uuid) + 8 (intervals) + 16 (one interval).
        assert_eq!(data.len(), 48);
    }

    #[test]
    fn tagged_gtid_sets_use_the_tagged_encoding() {
        let set: GtidSet = "3e11fa47-71ca-11e1-9e33-c80aa9429562:blue:1-2".parse().unwrap();
        let p = encode_binlog_dump_gtid("", 4, DumpFlags::NON_BLOCK, 2, &set);
        assert_eq!(u16::from_le_bytes([p[1], p[2]]), 0x05);
        // Tagged format marker in the first and last byte of the 8-byte header.
        assert_eq!((p[23], p[30]), (1, 1));
    }

    #[test]
    fn command_codes_print_by_name() {
        assert_eq!(
            format!("{:?}", CommandCode::BINLOG_DUMP_GTID),
            "COM_BINLOG_DUMP_GTID"
        );
        assert_eq!(format!("{:?}", CommandCode(0x99)), "CommandCode(0x99)");
    }
}
