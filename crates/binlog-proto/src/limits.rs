//! Upper bounds on lengths read from untrusted input. Every length field is checked against
//! one of these before anything is allocated or sliced.

/// Largest protocol packet (after reassembling 16 MiB continuation packets) accepted by
/// default: MySQL's own ceiling for `max_allowed_packet` and `replica_max_allowed_packet`
/// (1 GiB, sql/sys_vars.cc).
pub const DEFAULT_MAX_PACKET_SIZE: usize = 1 << 30;

/// Largest payload of a single wire packet before continuation: 2^24 - 1 bytes.
pub const MAX_PACKET_CHUNK: usize = 0xff_ffff;

/// Largest binlog event accepted (same ceiling as packets; an event travels in one packet).
pub const MAX_EVENT_SIZE: usize = 1 << 30;

/// Most columns a table can have (MySQL's hard limit is 4096; MariaDB's is lower).
pub const MAX_COLUMNS: usize = 4096;

/// Deepest JSON nesting decoded (MySQL's JSON_DOCUMENT_MAX_DEPTH is 100).
pub const MAX_JSON_DEPTH: usize = 100;

/// Largest decompressed size of a TRANSACTION_PAYLOAD or MariaDB compressed event accepted by
/// default.
pub const DEFAULT_MAX_DECOMPRESSED_SIZE: usize = 1 << 30;

/// Largest history window a zstd frame (TRANSACTION_PAYLOAD) may ask the decoder to keep:
/// 2^27 bytes, zstd's own default ceiling (`ZSTD_WINDOWLOG_LIMIT_DEFAULT`), which MySQL's
/// compression levels stay within. The window is allocated only when it is no larger than
/// the payload's declared size (a frame with a larger window is decoded in one pass into the
/// declared-size output, which holds the history); a frame streamed with a window above
/// this is refused.
pub const MAX_ZSTD_WINDOW: usize = 1 << 27;

/// Largest total size of one text result set accepted by default (the connection keeps it in
/// memory until it is complete).
pub const DEFAULT_MAX_RESULT_SET_SIZE: usize = 256 << 20;

/// Most authentication plugin switches accepted in one handshake (MySQL switches at most once;
/// the bound stops a server from looping).
pub const MAX_AUTH_SWITCHES: u8 = 3;

/// Longest schema or table name accepted in a TABLE_MAP_EVENT: MySQL's NAME_LEN, 64
/// characters of up to 3 bytes (include/mysql_com.h).
pub const MAX_IDENTIFIER_LEN: usize = 192;

/// Table maps a [`crate::event::Decoder`] keeps before it forgets them all at the next
/// transaction end (each transaction carries the maps it needs again).
pub const MAX_CACHED_TABLE_MAPS: usize = 4096;

/// Table maps a [`crate::event::Decoder`] holds at most, even inside one transaction: at the
/// next TABLE_MAP past this it forgets them all. A statement's rows only need the maps logged
/// for that statement, a few dozen at most, so only a hostile stream gets here.
pub const MAX_HELD_TABLE_MAPS: usize = 2 * MAX_CACHED_TABLE_MAPS;

/// Bytes of TABLE_MAP bodies a [`crate::event::Decoder`] holds at most before it forgets every
/// map at the next TABLE_MAP (see [`MAX_HELD_TABLE_MAPS`]).
pub const MAX_HELD_TABLE_MAP_BYTES: usize = 64 << 20;
