//! Reader for the `mysql::serialization` binary format (MySQL 8.3+, libs/mysql/serialization),
//! used by GTID_TAGGED_LOG_EVENT.
//!
//! A message is: the format version as a field id (1), the message size in bytes counted from
//! the message's first byte, the id of the last field a reader must understand, then fields,
//! each its id followed by its value. Fields appear in id order; an absent optional field is
//! simply skipped, and fields after the last known one are skipped using the size.
//!
//! Integers are variable-length (1 to 9 bytes, little-endian): the number of trailing one bits
//! of the first byte plus one is the byte count, the value follows those bits. Signed integers
//! are zig-zag encoded (sign in the lowest bit). Strings are a length and the bytes; fixed-size
//! arrays are their elements, each encoded on its own.

use crate::error::Error;

/// A cursor over one serialized message; offsets in errors are relative to its first byte.
pub(crate) struct MessageReader<'a> {
    input: &'a [u8],
    pos: usize,
    end: usize,
    what: &'static str,
}

impl<'a> MessageReader<'a> {
    /// Reads the message header (format version, size, last non-ignorable field id) and
    /// checks that the message declares no field beyond `last_known_field` that a reader must
    /// understand.
    pub(crate) fn open(input: &'a [u8], what: &'static str, last_known_field: u64) -> Result<Self, Error> {
        let mut reader = MessageReader {
            input,
            pos: 0,
            end: input.len(),
            what,
        };
        let version = reader.unsigned()?;
        if version != 1 {
            return Err(Error::Unsupported(format!(
                "{what}: serialization format version {version}"
            )));
        }
        let size = reader.unsigned()?;
        reader.end = usize::try_from(size)
            .ok()
            .filter(|&s| s <= input.len() && s >= reader.pos)
            .ok_or_else(|| reader.malformed())?;
        let last_non_ignorable = reader.unsigned()?;
        if last_non_ignorable > last_known_field.saturating_add(1) {
            return Err(Error::Unsupported(format!(
                "{what}: carries fields this crate does not know and must not ignore (up to id {last_non_ignorable})"
            )));
        }
        Ok(reader)
    }

    fn malformed(&self) -> Error {
        Error::Malformed {
            what: self.what,
            offset: self.pos,
        }
    }

    /// Reads one variable-length unsigned integer.
    pub(crate) fn unsigned(&mut self) -> Result<u64, Error> {
        let first = *self
            .input
            .get(self.pos)
            .filter(|_| self.pos < self.end)
            .ok_or_else(|| self.malformed())?;
        let count = (first.trailing_ones() as usize).saturating_add(1);
        let bytes = self
            .pos
            .checked_add(count)
            .filter(|&e| e <= self.end)
            .and_then(|e| self.input.get(self.pos..e))
            .ok_or_else(|| self.malformed())?;
        let value = if count == 1 {
            u64::from(first >> 1)
        } else {
            let mut le = [0u8; 8];
            for (slot, &b) in le.iter_mut().zip(bytes.get(1..).unwrap_or_default()) {
                *slot = b;
            }
            let high = u64::from_le_bytes(le);
            // Up to 8 bytes the first byte keeps 8 - count value bits; at 9 bytes it keeps none.
            let low_bits = if count == 9 {
                0
            } else {
                8usize.saturating_sub(count)
            };
            let low = if count >= 8 { 0 } else { u64::from(first) >> count };
            (high << low_bits) | low
        };
        self.pos = self.pos.saturating_add(count);
        Ok(value)
    }

    /// Reads one zig-zag encoded signed integer.
    pub(crate) fn signed(&mut self) -> Result<i64, Error> {
        let raw = self.unsigned()?;
        let magnitude = (raw >> 1) as i64;
        Ok(if raw & 1 == 1 { !magnitude } else { magnitude })
    }

    /// Reads an unsigned integer that must fit `u8` (each element of a byte array).
    pub(crate) fn byte(&mut self) -> Result<u8, Error> {
        let at = self.pos;
        let value = self.unsigned()?;
        u8::try_from(value).map_err(|_| Error::Malformed {
            what: self.what,
            offset: at,
        })
    }

    /// Reads a string of at most `max` bytes.
    pub(crate) fn string(&mut self, max: usize) -> Result<&'a [u8], Error> {
        let at = self.pos;
        let len = self.unsigned()?;
        let len = usize::try_from(len)
            .ok()
            .filter(|&l| l <= max)
            .ok_or(Error::Malformed {
                what: self.what,
                offset: at,
            })?;
        let end = self
            .pos
            .checked_add(len)
            .filter(|&e| e <= self.end)
            .ok_or_else(|| self.malformed())?;
        let bytes = self.input.get(self.pos..end).ok_or_else(|| self.malformed())?;
        self.pos = end;
        Ok(bytes)
    }

    /// True when the next field is `id` (and consumes the id); false when the field is absent.
    pub(crate) fn field(&mut self, id: u64) -> Result<bool, Error> {
        if self.pos >= self.end {
            return Ok(false);
        }
        let at = self.pos;
        if self.unsigned()? == id {
            Ok(true)
        } else {
            self.pos = at;
            Ok(false)
        }
    }

    /// Like [`MessageReader::field`], for a field a valid message always has.
    pub(crate) fn required(&mut self, id: u64) -> Result<(), Error> {
        if self.field(id)? {
            Ok(())
        } else {
            Err(self.malformed())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encoder following libs/mysql/serialization/variable_length_integers.h.
    fn encode_unsigned(value: u64) -> Vec<u8> {
        let bits = 64 - value.leading_zeros() as usize;
        let count = ((bits * 575) >> 12) + 1;
        let mut out = vec![((1u16 << (count - 1)) - 1) as u8 | (value << count) as u8];
        if count > 1 {
            let shift = 8 + ((count + 7) >> 4) - count;
            let rest = (value >> shift).to_le_bytes();
            out.extend_from_slice(&rest[..count - 1]);
        }
        out
    }

    fn read(bytes: &[u8]) -> (u64, usize) {
        let mut r = MessageReader {
            input: bytes,
            pos: 0,
            end: bytes.len(),
            what: "test",
        };
        let v = r.unsigned().unwrap();
        (v, r.pos)
    }

    #[test]
    fn unsigned_round_trips_at_every_width() {
        let mut values = vec![
            0,
            1,
            127,
            128,
            65535,
            1 << 20,
            u64::MAX,
            u64::MAX >> 1,
            1 << 56,
            (1 << 56) - 1,
        ];
        values.extend((0..64).map(|b| 1u64 << b));
        values.extend((1..64).map(|b| (1u64 << b) - 1));
        for v in values {
            let bytes = encode_unsigned(v);
            assert_eq!(read(&bytes), (v, bytes.len()), "{v:#x} as {bytes:02x?}");
        }
        // Examples from the format's readme: 65535 is 3 bytes ending in binary 011.
        assert_eq!(encode_unsigned(65535), vec![0xfb, 0xff, 0x07]);
    }

    #[test]
    fn signed_is_zig_zag() {
        for (raw, value) in [
            (0u64, 0i64),
            (2, 1),
            (1, -1),
            (6, 3),
            (131070, 65535),
            (131069, -65535),
        ] {
            let bytes = encode_unsigned(raw);
            let mut r = MessageReader {
                input: &bytes,
                pos: 0,
                end: bytes.len(),
                what: "test",
            };
            assert_eq!(r.signed().unwrap(), value);
        }
    }

    #[test]
    fn truncated_integers_and_strings_are_errors() {
        let bytes = encode_unsigned(u64::MAX);
        for cut in 0..bytes.len() {
            let mut r = MessageReader {
                input: &bytes[..cut],
                pos: 0,
                end: cut,
                what: "test",
            };
            assert!(r.unsigned().is_err());
        }
        let mut r = MessageReader {
            input: &[0x0a, b'a'],
            pos: 0,
            end: 2,
            what: "test",
        };
        assert!(r.string(32).is_err());
    }
}
