//! The checkpoint text format (version 1), described in `docs/checkpoints.md`.
//!
//! ```text
//! # binlog-checkpoint: where to resume MySQL/MariaDB replication. Checksummed: do not edit.
//! version = 1
//! flavor = mysql
//! binlog_file = mysql-bin.000007
//! binlog_position = 1234
//! gtid_set = 3e11fa47-71ca-11e1-9e33-c80aa9429562:1-42
//! checksum = 0123abcd
//! ```
//!
//! The envelope is the same for every format version: UTF-8 lines ending in `\n`, `#` lines
//! are comments, the first field is `version`, the last line is `checksum = ` followed by the
//! CRC-32 (IEEE, as `crc32fast` and zlib compute it) of every byte before that line, as 8
//! lower-case hex digits. The checksum is verified before anything else is read, so a torn or
//! damaged file is reported as corrupt rather than misread.

use binlog_proto::gtid::{GtidSet, MariadbGtidList, Uuid};

use crate::checkpoint::{Checkpoint, Flavor, GtidState, InvalidCheckpoint, MAX_BINLOG_FILE_LEN};

/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Largest checkpoint accepted, encoded, in bytes. Real ones are far smaller (a GTID set with
/// a thousand server UUIDs is about 50 KiB); the bound keeps a wrong path from being read
/// whole into memory.
pub const MAX_ENCODED_SIZE: usize = 16 << 20;

/// First line of every file written: tells a reader what the file is.
const HEADER: &str =
    "# binlog-checkpoint: where to resume MySQL/MariaDB replication. Checksummed: do not edit.\n";

const CHECKSUM_PREFIX: &[u8] = b"checksum = ";

/// Longest unsupported version text quoted back in an error.
const MAX_QUOTED_VERSION: usize = 32;

/// Why stored checkpoint bytes cannot be turned back into a [`Checkpoint`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The bytes are damaged, truncated or not a checkpoint.
    #[error("{0}")]
    Corrupt(Corruption),
    /// The checkpoint was written in a format version this build does not read (by a newer
    /// release, usually). Its checksum was valid.
    #[error("format version {found} is not supported (this build reads version {FORMAT_VERSION})")]
    UnsupportedVersion {
        /// The version text found (at most 32 characters of it).
        found: String,
    },
}

/// What is wrong with damaged checkpoint bytes. Lines are numbered from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Corruption {
    /// Larger than [`MAX_ENCODED_SIZE`].
    #[error("{size} bytes is larger than the {MAX_ENCODED_SIZE} bytes a checkpoint may have")]
    TooLarge {
        /// The size found.
        size: u64,
    },
    /// No bytes at all.
    #[error("the file is empty")]
    Empty,
    /// The last line has no final newline: the file was cut short.
    #[error("the last line has no newline (truncated)")]
    Truncated,
    /// The last line is not a `checksum = ` line: the file was cut short or is not a checkpoint.
    #[error("the last line is not a `checksum = ` line (truncated, or not a checkpoint)")]
    MissingChecksum,
    /// The checksum line does not hold exactly 8 lower-case hex digits.
    #[error("line {line}: the checksum is not 8 lower-case hex digits")]
    BadChecksum {
        /// The checksum line's number.
        line: usize,
    },
    /// The bytes before the checksum line do not have the stored checksum.
    #[error("checksum mismatch: stored {stored:08x}, computed {computed:08x} (the file was damaged)")]
    ChecksumMismatch {
        /// The CRC-32 written in the file.
        stored: u32,
        /// The CRC-32 of the bytes before the checksum line.
        computed: u32,
    },
    /// The text is not UTF-8.
    #[error("the text is not UTF-8")]
    NotUtf8,
    /// A line is neither a comment nor `key = value`.
    #[error("line {line} is not `key = value`")]
    BadLine {
        /// The line's number.
        line: usize,
    },
    /// A required field is absent, or `version` is not the first field.
    #[error("the `{key}` field is missing{}", if *key == "version" { " (it must be the first field)" } else { "" })]
    MissingField {
        /// The missing field.
        key: &'static str,
    },
    /// A field appears twice.
    #[error("line {line}: field `{key}` appears a second time")]
    DuplicateField {
        /// The second occurrence's line.
        line: usize,
        /// The field.
        key: String,
    },
    /// A field this format version does not have.
    #[error("line {line}: unknown field `{key}`")]
    UnknownField {
        /// The line.
        line: usize,
        /// The field (at most 64 characters of it).
        key: String,
    },
    /// A field's value cannot be read.
    #[error("line {line}: bad `{key}` value: {reason}")]
    BadValue {
        /// The line.
        line: usize,
        /// The field.
        key: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

impl From<Corruption> for DecodeError {
    fn from(problem: Corruption) -> Self {
        DecodeError::Corrupt(problem)
    }
}

impl Checkpoint {
    /// Encodes the checkpoint in the checkpoint text format (what [`crate::FileStore`] writes),
    /// for users who keep checkpoints somewhere else. Fails when
    /// [`Checkpoint::validate`] does.
    ///
    /// ```
    /// use binlog_checkpoint::{Checkpoint, Flavor};
    ///
    /// let checkpoint = Checkpoint::new(Flavor::Mariadb, "mysql-bin.000002", 4_711);
    /// let text = checkpoint.encode()?;
    /// assert!(text.contains("\nbinlog_position = 4711\n"));
    /// assert_eq!(Checkpoint::decode(text.as_bytes())?, checkpoint);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encode(&self) -> Result<String, InvalidCheckpoint> {
        self.validate()?;
        let mut out = String::from(HEADER);
        put_field(&mut out, "version", &FORMAT_VERSION.to_string());
        put_field(&mut out, "flavor", self.flavor.as_str());
        put_field(&mut out, "binlog_file", &self.binlog_file);
        put_field(&mut out, "binlog_position", &self.binlog_position.to_string());
        match &self.gtid {
            Some(GtidState::Mysql(set)) => put_field(&mut out, "gtid_set", &set.to_string()),
            Some(GtidState::Mariadb(list)) => put_field(&mut out, "gtid_pos", &list.to_string()),
            None => {}
        }
        if let Some(id) = self.server_id {
            put_field(&mut out, "server_id", &id.to_string());
        }
        if let Some(uuid) = self.server_uuid {
            put_field(&mut out, "server_uuid", &uuid.to_string());
        }
        if let Some(at) = self.saved_at {
            put_field(&mut out, "saved_at", &at.to_string());
        }
        let checksum = crc32fast::hash(out.as_bytes());
        out.push_str(&format!("checksum = {checksum:08x}\n"));
        if out.len() > MAX_ENCODED_SIZE {
            return Err(InvalidCheckpoint::TooLarge { size: out.len() });
        }
        Ok(out)
    }

    /// Decodes bytes written by [`Checkpoint::encode`]. The checksum is verified first; any
    /// damage, truncation or unknown field is an error, never a default value.
    pub fn decode(bytes: &[u8]) -> Result<Checkpoint, DecodeError> {
        let body = verify_envelope(bytes)?;
        let text = std::str::from_utf8(body).map_err(|_| Corruption::NotUtf8)?;
        parse_fields(text)
    }
}

fn put_field(out: &mut String, key: &str, value: &str) {
    out.push_str(key);
    if value.is_empty() {
        out.push_str(" =\n");
    } else {
        out.push_str(" = ");
        out.push_str(value);
        out.push('\n');
    }
}

/// Checks size, final newline and checksum; returns the checksummed bytes.
fn verify_envelope(bytes: &[u8]) -> Result<&[u8], Corruption> {
    if bytes.len() > MAX_ENCODED_SIZE {
        return Err(Corruption::TooLarge {
            size: bytes.len() as u64,
        });
    }
    if bytes.is_empty() {
        return Err(Corruption::Empty);
    }
    let lines = bytes.strip_suffix(b"\n").ok_or(Corruption::Truncated)?;
    let body_len = lines
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |newline| newline.saturating_add(1));
    let (body, last_line) = lines.split_at_checked(body_len).ok_or(Corruption::Truncated)?;
    let hex = last_line
        .strip_prefix(CHECKSUM_PREFIX)
        .ok_or(Corruption::MissingChecksum)?;
    let line = body.iter().filter(|&&b| b == b'\n').count().saturating_add(1);
    let stored = parse_checksum(hex).ok_or(Corruption::BadChecksum { line })?;
    let computed = crc32fast::hash(body);
    if stored != computed {
        return Err(Corruption::ChecksumMismatch { stored, computed });
    }
    Ok(body)
}

/// Exactly 8 lower-case hex digits: an upper-case variant of a digit is a different file.
fn parse_checksum(hex: &[u8]) -> Option<u32> {
    if hex.len() != 8 {
        return None;
    }
    hex.iter().try_fold(0u32, |acc, &digit| {
        let value = match digit {
            b'0'..=b'9' => digit.wrapping_sub(b'0'),
            b'a'..=b'f' => digit.wrapping_sub(b'a').wrapping_add(10),
            _ => return None,
        };
        Some(acc.wrapping_shl(4) | u32::from(value))
    })
}

/// Decimal digits only (no sign, no spaces), within `u64`.
fn parse_u64(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

/// A field value with the line it was on.
type Slot<'a> = Option<(usize, &'a str)>;

/// The fields of a version 1 checkpoint, as found.
#[derive(Default)]
struct RawFields<'a> {
    flavor: Slot<'a>,
    binlog_file: Slot<'a>,
    binlog_position: Slot<'a>,
    gtid_set: Slot<'a>,
    gtid_pos: Slot<'a>,
    server_id: Slot<'a>,
    server_uuid: Slot<'a>,
    saved_at: Slot<'a>,
}

impl<'a> RawFields<'a> {
    fn slot(&mut self, key: &str) -> Option<&mut Slot<'a>> {
        Some(match key {
            "flavor" => &mut self.flavor,
            "binlog_file" => &mut self.binlog_file,
            "binlog_position" => &mut self.binlog_position,
            "gtid_set" => &mut self.gtid_set,
            "gtid_pos" => &mut self.gtid_pos,
            "server_id" => &mut self.server_id,
            "server_uuid" => &mut self.server_uuid,
            "saved_at" => &mut self.saved_at,
            _ => return None,
        })
    }
}

/// Splits `key = value` (or `key =` for an empty value).
fn split_field(line: &str) -> Option<(&str, &str)> {
    let (key, rest) = line.split_once(" =")?;
    let value = if rest.is_empty() {
        rest
    } else {
        rest.strip_prefix(' ')?
    };
    let key_ok = !key.is_empty() && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    key_ok.then_some((key, value))
}

fn parse_fields(text: &str) -> Result<Checkpoint, DecodeError> {
    let mut fields = RawFields::default();
    let mut saw_version = false;
    for (index, line) in text.split_terminator('\n').enumerate() {
        let line_no = index.saturating_add(1);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = split_field(line).ok_or(Corruption::BadLine { line: line_no })?;
        if !saw_version {
            if key != "version" {
                return Err(Corruption::MissingField { key: "version" }.into());
            }
            if parse_u64(value) != Some(u64::from(FORMAT_VERSION)) {
                return Err(DecodeError::UnsupportedVersion {
                    found: value.chars().take(MAX_QUOTED_VERSION).collect(),
                });
            }
            saw_version = true;
            continue;
        }
        if key == "version" {
            return Err(Corruption::DuplicateField {
                line: line_no,
                key: key.to_owned(),
            }
            .into());
        }
        let slot = fields.slot(key).ok_or_else(|| Corruption::UnknownField {
            line: line_no,
            key: key.chars().take(64).collect(),
        })?;
        if slot.is_some() {
            return Err(Corruption::DuplicateField {
                line: line_no,
                key: key.to_owned(),
            }
            .into());
        }
        *slot = Some((line_no, value));
    }
    if !saw_version {
        return Err(Corruption::MissingField { key: "version" }.into());
    }
    Ok(build(&fields)?)
}

fn required<'a>(slot: Slot<'a>, key: &'static str) -> Result<(usize, &'a str), Corruption> {
    slot.ok_or(Corruption::MissingField { key })
}

fn bad_value(line: usize, key: &'static str, reason: impl ToString) -> Corruption {
    Corruption::BadValue {
        line,
        key,
        reason: reason.to_string(),
    }
}

fn number<T: TryFrom<u64>>(slot: Slot<'_>, key: &'static str) -> Result<Option<T>, Corruption> {
    slot.map(|(line, value)| {
        parse_u64(value)
            .and_then(|n| T::try_from(n).ok())
            .ok_or_else(|| bad_value(line, key, "not a decimal number in range"))
    })
    .transpose()
}

fn build(fields: &RawFields<'_>) -> Result<Checkpoint, Corruption> {
    let (line, flavor_text) = required(fields.flavor, "flavor")?;
    let flavor: Flavor = flavor_text
        .parse()
        .map_err(|error| bad_value(line, "flavor", error))?;

    let (line, binlog_file) = required(fields.binlog_file, "binlog_file")?;
    if binlog_file.is_empty()
        || binlog_file.len() > MAX_BINLOG_FILE_LEN
        || binlog_file.chars().any(char::is_control)
    {
        return Err(bad_value(
            line,
            "binlog_file",
            "not a file name of 1 to 512 bytes without control characters",
        ));
    }

    let (line, position_text) = required(fields.binlog_position, "binlog_position")?;
    let binlog_position = parse_u64(position_text)
        .ok_or_else(|| bad_value(line, "binlog_position", "not a decimal number in range"))?;

    let gtid = match (flavor, fields.gtid_set, fields.gtid_pos) {
        (_, None, None) => None,
        (Flavor::Mysql, Some((line, text)), None) => Some(GtidState::Mysql(
            text.parse::<GtidSet>()
                .map_err(|error| bad_value(line, "gtid_set", error))?,
        )),
        (Flavor::Mariadb, None, Some((line, text))) => Some(GtidState::Mariadb(
            text.parse::<MariadbGtidList>()
                .map_err(|error| bad_value(line, "gtid_pos", error))?,
        )),
        (Flavor::Mariadb, Some((line, _)), _) => {
            return Err(bad_value(
                line,
                "gtid_set",
                "a MySQL GTID set in a mariadb checkpoint",
            ));
        }
        (Flavor::Mysql, _, Some((line, _))) => {
            return Err(bad_value(
                line,
                "gtid_pos",
                "a MariaDB GTID position in a mysql checkpoint",
            ));
        }
    };

    let server_uuid = fields
        .server_uuid
        .map(|(line, text)| {
            text.parse::<Uuid>()
                .map_err(|_| bad_value(line, "server_uuid", "not a UUID"))
        })
        .transpose()?;

    Ok(Checkpoint {
        flavor,
        binlog_file: binlog_file.to_owned(),
        binlog_position,
        gtid,
        server_id: number(fields.server_id, "server_id")?,
        server_uuid,
        saved_at: number(fields.saved_at, "saved_at")?,
    })
}
