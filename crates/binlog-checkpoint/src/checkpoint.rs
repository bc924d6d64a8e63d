//! The [`Checkpoint`] value: where to resume, and where it came from.

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use binlog_proto::gtid::{GtidSet, MariadbGtidList, Uuid};

/// Longest binlog file name accepted, in bytes: MySQL's `FN_REFLEN` (include/my_io.h), the
/// size of the buffer the server keeps log names in.
pub const MAX_BINLOG_FILE_LEN: usize = 512;

/// The server family a checkpoint was taken from. It decides how the GTID state is read and
/// how replication resumes (`COM_BINLOG_DUMP_GTID` for MySQL, `@slave_connect_state` for
/// MariaDB).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavor {
    /// Oracle MySQL (and Percona Server).
    Mysql,
    /// MariaDB.
    Mariadb,
}

impl Flavor {
    /// The name used in checkpoint files: `mysql` or `mariadb`.
    pub fn as_str(self) -> &'static str {
        match self {
            Flavor::Mysql => "mysql",
            Flavor::Mariadb => "mariadb",
        }
    }
}

impl fmt::Display for Flavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Flavor {
    type Err = UnknownFlavor;

    /// Parses `mysql` or `mariadb` (exactly, lower case).
    fn from_str(s: &str) -> Result<Self, UnknownFlavor> {
        match s {
            "mysql" => Ok(Flavor::Mysql),
            "mariadb" => Ok(Flavor::Mariadb),
            _ => Err(UnknownFlavor),
        }
    }
}

/// A flavour name other than `mysql` or `mariadb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown server flavour (expected `mysql` or `mariadb`)")]
pub struct UnknownFlavor;

/// The GTID state after the checkpointed transaction, in the form the server's flavour uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GtidState {
    /// MySQL: every transaction executed so far (`@@gtid_executed` form), tags included.
    Mysql(GtidSet),
    /// MariaDB: the last GTID of each replication domain (`@@gtid_slave_pos` form).
    Mariadb(MariadbGtidList),
}

impl GtidState {
    /// The flavour this state belongs to.
    pub fn flavor(&self) -> Flavor {
        match self {
            GtidState::Mysql(_) => Flavor::Mysql,
            GtidState::Mariadb(_) => Flavor::Mariadb,
        }
    }

    /// True when no transaction is recorded.
    pub fn is_empty(&self) -> bool {
        match self {
            GtidState::Mysql(set) => set.is_empty(),
            GtidState::Mariadb(list) => list.is_empty(),
        }
    }
}

impl fmt::Display for GtidState {
    /// The server's own text form (`uuid:1-5,...` or `0-1-100,...`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GtidState::Mysql(set) => set.fmt(f),
            GtidState::Mariadb(list) => list.fmt(f),
        }
    }
}

/// Where to resume replication: the end of the last transaction that was fully delivered.
///
/// A checkpoint must only ever be taken at a transaction boundary (after the COMMIT/XID event),
/// never in the middle of a transaction: resuming mid-transaction would lose the TABLE_MAP
/// events the following rows depend on.
///
/// Build one with [`Checkpoint::new`] and the `with_*` methods; the fields are public for
/// reading and updating. [`Checkpoint::validate`] states what a storable checkpoint must
/// satisfy; stores check it on save.
///
/// ```
/// use binlog_checkpoint::{Checkpoint, Flavor, GtidState};
///
/// let gtids = "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-42".parse()?;
/// let checkpoint = Checkpoint::new(Flavor::Mysql, "mysql-bin.000007", 1_234)
///     .with_gtid(GtidState::Mysql(gtids))
///     .with_server_id(1)
///     .with_saved_at(1_767_225_600);
/// assert_eq!(
///     checkpoint.to_string(),
///     "mysql mysql-bin.000007:1234 gtid 3e11fa47-71ca-11e1-9e33-c80aa9429562:1-42"
/// );
/// checkpoint.validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Checkpoint {
    /// The server family the position belongs to.
    pub flavor: Flavor,
    /// Binlog file name, as the server names it (e.g. `mysql-bin.000007`).
    pub binlog_file: String,
    /// Offset in [`Checkpoint::binlog_file`] just past the last delivered transaction: the
    /// `log_pos` of its COMMIT/XID event, where the next transaction starts.
    pub binlog_position: u64,
    /// The GTID state after the last delivered transaction; `None` when GTIDs are not tracked
    /// (resume by file and position only). `Some` with an empty set means "tracked, nothing
    /// executed yet". Its flavour must match [`Checkpoint::flavor`].
    pub gtid: Option<GtidState>,
    /// `@@server_id` of the server the position was read from, when known.
    pub server_id: Option<u32>,
    /// `@@server_uuid` of the server the position was read from (MySQL only has one), when
    /// known. A file position is only meaningful on that server.
    pub server_uuid: Option<Uuid>,
    /// When the checkpoint was taken, in seconds since the Unix epoch, when the caller set it
    /// ([`Checkpoint::with_saved_at`], [`Checkpoint::with_saved_now`]). Stores never change it.
    pub saved_at: Option<u64>,
}

impl Checkpoint {
    /// A checkpoint at `binlog_file:binlog_position` with nothing else recorded.
    pub fn new(flavor: Flavor, binlog_file: impl Into<String>, binlog_position: u64) -> Self {
        Checkpoint {
            flavor,
            binlog_file: binlog_file.into(),
            binlog_position,
            gtid: None,
            server_id: None,
            server_uuid: None,
            saved_at: None,
        }
    }

    /// Records the GTID state (its flavour must match the checkpoint's).
    pub fn with_gtid(mut self, gtid: GtidState) -> Self {
        self.gtid = Some(gtid);
        self
    }

    /// Records the source server's `@@server_id`.
    pub fn with_server_id(mut self, server_id: u32) -> Self {
        self.server_id = Some(server_id);
        self
    }

    /// Records the source server's `@@server_uuid`.
    pub fn with_server_uuid(mut self, server_uuid: Uuid) -> Self {
        self.server_uuid = Some(server_uuid);
        self
    }

    /// Records when the checkpoint was taken, in seconds since the Unix epoch.
    pub fn with_saved_at(mut self, unix_seconds: u64) -> Self {
        self.saved_at = Some(unix_seconds);
        self
    }

    /// Records the current system time as the save time (0 if the clock is before 1970).
    pub fn with_saved_now(self) -> Self {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        self.with_saved_at(now)
    }

    /// Checks what every store requires before saving: a binlog file name of 1 to
    /// [`MAX_BINLOG_FILE_LEN`] bytes without control characters, and GTID state (if any) of the
    /// checkpoint's own flavour.
    pub fn validate(&self) -> Result<(), InvalidCheckpoint> {
        if self.binlog_file.is_empty() {
            return Err(InvalidCheckpoint::EmptyBinlogFile);
        }
        if self.binlog_file.len() > MAX_BINLOG_FILE_LEN {
            return Err(InvalidCheckpoint::BinlogFileTooLong {
                len: self.binlog_file.len(),
            });
        }
        if self.binlog_file.chars().any(char::is_control) {
            return Err(InvalidCheckpoint::ControlCharacterInBinlogFile);
        }
        if let Some(gtid) = &self.gtid
            && gtid.flavor() != self.flavor
        {
            return Err(InvalidCheckpoint::FlavorMismatch {
                flavor: self.flavor,
                gtid_flavor: gtid.flavor(),
            });
        }
        Ok(())
    }
}

impl fmt::Display for Checkpoint {
    /// A one-line summary for logs: `mysql mysql-bin.000007:1234 gtid <state>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}:{}", self.flavor, self.binlog_file, self.binlog_position)?;
        if let Some(gtid) = &self.gtid {
            write!(f, " gtid {gtid}")?;
        }
        Ok(())
    }
}

/// Why a [`Checkpoint`] cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidCheckpoint {
    /// The binlog file name is empty.
    #[error("the binlog file name is empty")]
    EmptyBinlogFile,
    /// The binlog file name is longer than [`MAX_BINLOG_FILE_LEN`].
    #[error("the binlog file name is {len} bytes long, more than the {MAX_BINLOG_FILE_LEN} allowed")]
    BinlogFileTooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// The binlog file name contains a control character (such as a newline).
    #[error("the binlog file name contains a control character")]
    ControlCharacterInBinlogFile,
    /// The GTID state belongs to the other flavour.
    #[error("a {flavor} checkpoint cannot hold a {gtid_flavor} GTID state")]
    FlavorMismatch {
        /// The checkpoint's flavour.
        flavor: Flavor,
        /// The flavour of its GTID state.
        gtid_flavor: Flavor,
    },
    /// The encoded checkpoint would be larger than [`crate::MAX_ENCODED_SIZE`] (a GTID set of
    /// extraordinary size); it could not be read back, so it is not written.
    #[error(
        "the encoded checkpoint would be {size} bytes, more than the {} allowed",
        crate::MAX_ENCODED_SIZE
    )]
    TooLarge {
        /// The encoded size in bytes.
        size: usize,
    },
}
