//! Capability flags exchanged in the handshake.
//!
//! Both are open newtypes: bits this crate does not know are kept, so a server announcing a
//! newer capability is data, not an error. Values from MySQL `include/mysql_com.h` and MariaDB
//! `include/mysql_com.h` (`MARIADB_CLIENT_*`).

use std::fmt;
use std::ops::{BitAnd, BitOr, BitOrAssign};

/// The 32-bit capability flags of the MySQL client/server protocol.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Capabilities(pub u32);

macro_rules! flags {
    ($ty:ident { $($(#[$doc:meta])* $name:ident = $value:expr;)* }) => {
        impl $ty {
            $($(#[$doc])* pub const $name: $ty = $ty($value);)*

            /// Names of the known flags, for `Debug`.
            const NAMES: &'static [(&'static str, u32)] = &[$((stringify!($name), $value)),*];
        }
    };
}

flags!(Capabilities {
    /// Old flag for the 4.1 password hashing; MariaDB uses this bit as `CLIENT_MYSQL` (set by
    /// MySQL servers, unset by MariaDB servers that put extended capabilities in the filler).
    LONG_PASSWORD = 1;
    /// Report found rows instead of affected rows.
    FOUND_ROWS = 1 << 1;
    /// Column definitions carry all flags.
    LONG_FLAG = 1 << 2;
    /// A database name can be given in the handshake response.
    CONNECT_WITH_DB = 1 << 3;
    /// Don't allow `database.table.column`.
    NO_SCHEMA = 1 << 4;
    /// Compression protocol.
    COMPRESS = 1 << 5;
    /// ODBC client.
    ODBC = 1 << 6;
    /// `LOAD DATA LOCAL` allowed.
    LOCAL_FILES = 1 << 7;
    /// Ignore spaces before `(`.
    IGNORE_SPACE = 1 << 8;
    /// The 4.1 protocol (required by this crate).
    PROTOCOL_41 = 1 << 9;
    /// `wait_timeout` versus `wait_interactive_timeout`.
    INTERACTIVE = 1 << 10;
    /// TLS: the client sends an SSLRequest and upgrades the connection.
    SSL = 1 << 11;
    /// Ignore SIGPIPE (client-side only).
    IGNORE_SIGPIPE = 1 << 12;
    /// Transaction status in OK packets.
    TRANSACTIONS = 1 << 13;
    /// Reserved (old 4.1 protocol flag).
    RESERVED = 1 << 14;
    /// 4.1 authentication with a 20-byte scramble (required by this crate).
    SECURE_CONNECTION = 1 << 15;
    /// Multiple statements per COM_QUERY.
    MULTI_STATEMENTS = 1 << 16;
    /// Multiple result sets.
    MULTI_RESULTS = 1 << 17;
    /// Multiple result sets from prepared statements.
    PS_MULTI_RESULTS = 1 << 18;
    /// Authentication plugins (plugin names in the handshake).
    PLUGIN_AUTH = 1 << 19;
    /// Connection attributes in the handshake response.
    CONNECT_ATTRS = 1 << 20;
    /// Length-encoded authentication response in the handshake response.
    PLUGIN_AUTH_LENENC_CLIENT_DATA = 1 << 21;
    /// The client can handle expired passwords.
    CAN_HANDLE_EXPIRED_PASSWORDS = 1 << 22;
    /// Session state tracking in OK packets.
    SESSION_TRACK = 1 << 23;
    /// OK packets replace the EOF packets of result sets.
    DEPRECATE_EOF = 1 << 24;
    /// Optional result set metadata (MySQL 8).
    OPTIONAL_RESULTSET_METADATA = 1 << 25;
    /// zstd compression (MySQL 8.0.18+).
    ZSTD_COMPRESSION_ALGORITHM = 1 << 26;
    /// Query attributes (MySQL 8.0.23+).
    QUERY_ATTRIBUTES = 1 << 27;
    /// Multi-factor authentication (MySQL 8.0.27+).
    MULTI_FACTOR_AUTHENTICATION = 1 << 28;
    /// Capability extension (reserved).
    CAPABILITY_EXTENSION = 1 << 29;
    /// Verify the server certificate (client-side only).
    SSL_VERIFY_SERVER_CERT = 1 << 30;
    /// Don't reset the options after an unsuccessful connect (client-side only).
    REMEMBER_OPTIONS = 1 << 31;
});

impl Capabilities {
    /// True when every bit of `other` is set.
    pub fn contains(self, other: Capabilities) -> bool {
        self.0 & other.0 == other.0
    }

    /// `self` with the bits of `other` cleared.
    pub fn without(self, other: Capabilities) -> Capabilities {
        Capabilities(self.0 & !other.0)
    }
}

/// MariaDB's extended capabilities, sent in the last 4 filler bytes of the handshake when the
/// server leaves [`Capabilities::LONG_PASSWORD`] (`CLIENT_MYSQL`) unset.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MariadbCapabilities(pub u32);

flags!(MariadbCapabilities {
    /// COM_STMT_BULK_EXECUTE with progress reports (`MARIADB_CLIENT_PROGRESS`).
    PROGRESS = 1;
    /// Bulk operations (`MARIADB_CLIENT_STMT_BULK_OPERATIONS`, bit 2).
    STMT_BULK_OPERATIONS = 1 << 2;
    /// Extended type info in column definitions (`MARIADB_CLIENT_EXTENDED_METADATA`).
    EXTENDED_METADATA = 1 << 3;
    /// Skip result set metadata when unchanged (`MARIADB_CLIENT_CACHE_METADATA`).
    CACHE_METADATA = 1 << 4;
    /// Unit results for bulk operations (`MARIADB_CLIENT_BULK_UNIT_RESULTS`).
    BULK_UNIT_RESULTS = 1 << 5;
});

impl MariadbCapabilities {
    /// True when every bit of `other` is set.
    pub fn contains(self, other: MariadbCapabilities) -> bool {
        self.0 & other.0 == other.0
    }
}

macro_rules! flag_ops {
    ($ty:ident) => {
        impl BitOr for $ty {
            type Output = $ty;
            fn bitor(self, rhs: $ty) -> $ty {
                $ty(self.0 | rhs.0)
            }
        }

        impl BitOrAssign for $ty {
            fn bitor_assign(&mut self, rhs: $ty) {
                self.0 |= rhs.0;
            }
        }

        impl BitAnd for $ty {
            type Output = $ty;
            fn bitand(self, rhs: $ty) -> $ty {
                $ty(self.0 & rhs.0)
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}(0x{:08x}", stringify!($ty), self.0)?;
                let mut sep = ": ";
                let mut known = 0u32;
                for (name, bit) in Self::NAMES {
                    if self.0 & bit != 0 {
                        write!(f, "{sep}{name}")?;
                        sep = " | ";
                        known |= bit;
                    }
                }
                if self.0 & !known != 0 {
                    write!(f, "{sep}0x{:x}", self.0 & !known)?;
                }
                f.write_str(")")
            }
        }
    };
}

flag_ops!(Capabilities);
flag_ops!(MariadbCapabilities);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_names_known_bits_and_keeps_unknown_ones() {
        let caps = Capabilities::PROTOCOL_41 | Capabilities::SSL;
        assert_eq!(format!("{caps:?}"), "Capabilities(0x00000a00: PROTOCOL_41 | SSL)");
        let maria = MariadbCapabilities(MariadbCapabilities::PROGRESS.0 | 1 << 20);
        assert_eq!(
            format!("{maria:?}"),
            "MariadbCapabilities(0x00100001: PROGRESS | 0x100000)"
        );
    }

    #[test]
    fn contains_and_without() {
        let caps = Capabilities(0xdfff_ffff);
        assert!(caps.contains(Capabilities::PLUGIN_AUTH | Capabilities::DEPRECATE_EOF));
        assert!(!caps.contains(Capabilities::CAPABILITY_EXTENSION));
        assert!(!caps.without(Capabilities::SSL).contains(Capabilities::SSL));
    }
}
