//! Exact DECIMAL values in MySQL's binary format (NEWDECIMAL, MySQL 5.0.3+).
//!
//! Format (MySQL strings/decimal.cc, `decimal2bin`/`bin2decimal`): the integer part and the
//! fraction are each split into groups of nine decimal digits stored as 4-byte big-endian
//! words; a shorter group of leftover digits sits at the far end of each part (before the
//! integer words, after the fraction words) in 1-4 bytes. The top bit of the first byte is
//! flipped (set for non-negative values) and negative values have every byte inverted, so that
//! the bytes sort like the numbers.

use std::fmt;

use crate::error::Error;

/// Largest DECIMAL precision (digits in total).
pub const MAX_PRECISION: u8 = 65;
/// Largest DECIMAL scale (digits after the point).
pub const MAX_SCALE: u8 = 30;
/// Bytes per nine-digit group.
const WORD_BYTES: usize = 4;
const DIGITS_PER_WORD: u8 = 9;
/// Bytes needed for 0-9 leftover digits.
const DIG2BYTES: [u8; 10] = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];
/// Upper bound (exclusive) of a group with 0-9 digits.
const POWERS_OF_TEN: [u32; 10] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
];
/// Binary size of DECIMAL(65,30), the largest: 35 integer digits (16 bytes) + 30 fraction
/// digits (14 bytes).
const MAX_BINARY_LEN: usize = 30;

/// An exact DECIMAL value: digits, scale and sign exactly as the server stored them.
///
/// Display prints it as MySQL does: no leading zeros, exactly `scale` digits after the point
/// (`DECIMAL(10,4)` 3 prints `3.0000`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal {
    negative: bool,
    precision: u8,
    scale: u8,
    /// The magnitude in binary layout (sign bit cleared, negative values un-inverted).
    magnitude: [u8; MAX_BINARY_LEN],
}

/// The layout of a DECIMAL(precision, scale) in binary form.
#[derive(Debug, Clone, Copy)]
struct Layout {
    int_words: u8,
    int_lead_digits: u8,
    frac_words: u8,
    frac_tail_digits: u8,
}

impl Layout {
    fn new(precision: u8, scale: u8) -> Option<Layout> {
        if precision == 0 || precision > MAX_PRECISION || scale > MAX_SCALE || scale > precision {
            return None;
        }
        let int_digits = precision.checked_sub(scale)?;
        Some(Layout {
            int_words: int_digits.checked_div(DIGITS_PER_WORD)?,
            int_lead_digits: int_digits.checked_rem(DIGITS_PER_WORD)?,
            frac_words: scale.checked_div(DIGITS_PER_WORD)?,
            frac_tail_digits: scale.checked_rem(DIGITS_PER_WORD)?,
        })
    }

    fn lead_bytes(self) -> usize {
        usize::from(
            DIG2BYTES
                .get(usize::from(self.int_lead_digits))
                .copied()
                .unwrap_or(0),
        )
    }

    fn tail_bytes(self) -> usize {
        usize::from(
            DIG2BYTES
                .get(usize::from(self.frac_tail_digits))
                .copied()
                .unwrap_or(0),
        )
    }

    fn len(self) -> usize {
        let words = usize::from(self.int_words).saturating_add(usize::from(self.frac_words));
        words
            .saturating_mul(WORD_BYTES)
            .saturating_add(self.lead_bytes())
            .saturating_add(self.tail_bytes())
    }

    /// The groups in storage order: (byte length, digit count).
    fn groups(self) -> impl Iterator<Item = (usize, u8)> {
        let lead = (self.int_lead_digits > 0).then_some((self.lead_bytes(), self.int_lead_digits));
        let int_words = std::iter::repeat_n((WORD_BYTES, DIGITS_PER_WORD), usize::from(self.int_words));
        let frac_words = std::iter::repeat_n((WORD_BYTES, DIGITS_PER_WORD), usize::from(self.frac_words));
        let tail = (self.frac_tail_digits > 0).then_some((self.tail_bytes(), self.frac_tail_digits));
        lead.into_iter().chain(int_words).chain(frac_words).chain(tail)
    }

    fn int_groups(self) -> usize {
        usize::from(self.int_words).saturating_add(usize::from(self.int_lead_digits > 0))
    }
}

/// Size in bytes of a DECIMAL(precision, scale) in binary form, or `None` when precision and
/// scale are out of range.
pub(crate) fn binary_size(precision: u8, scale: u8) -> Option<usize> {
    Layout::new(precision, scale).map(Layout::len)
}

fn read_be(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .fold(0u32, |acc, &b| acc.wrapping_shl(8) | u32::from(b))
}

impl Decimal {
    /// Decodes a DECIMAL(precision, scale) from the start of `input`; returns the value and the
    /// number of bytes it took. Fails when the bytes are too few, precision/scale are out of
    /// range, or a digit group holds more than its digits can (not a number the server writes).
    pub fn from_binary(input: &[u8], precision: u8, scale: u8) -> Result<(Decimal, usize), Error> {
        let layout = Layout::new(precision, scale).ok_or(Error::Malformed {
            what: "DECIMAL precision/scale",
            offset: 0,
        })?;
        let len = layout.len();
        let stored = input.get(..len).ok_or(Error::Malformed {
            what: "DECIMAL value (truncated)",
            offset: input.len(),
        })?;
        let first = stored.first().copied().unwrap_or(0x80);
        let mask = if first & 0x80 != 0 { 0x00 } else { 0xff };
        let mut magnitude = [0u8; MAX_BINARY_LEN];
        for (dst, &src) in magnitude.iter_mut().zip(stored) {
            *dst = src ^ mask;
        }
        if let Some(b) = magnitude.first_mut() {
            *b ^= 0x80;
        }
        let value = Decimal {
            negative: mask == 0xff,
            precision,
            scale,
            magnitude,
        };
        let mut offset = 0usize;
        for (bytes, digits) in layout.groups() {
            let end = offset.saturating_add(bytes);
            let group = read_be(magnitude.get(offset..end).unwrap_or(&[]));
            let limit = POWERS_OF_TEN.get(usize::from(digits)).copied().unwrap_or(0);
            if group >= limit {
                return Err(Error::Malformed {
                    what: "DECIMAL digit group",
                    offset,
                });
            }
            offset = end;
        }
        Ok((value, len))
    }

    /// Total number of digits the column allows.
    pub fn precision(&self) -> u8 {
        self.precision
    }

    /// Digits after the decimal point.
    pub fn scale(&self) -> u8 {
        self.scale
    }

    /// True for values below zero (a stored negative zero counts as zero).
    pub fn is_negative(&self) -> bool {
        self.negative && !self.is_zero()
    }

    /// True when every digit is zero.
    pub fn is_zero(&self) -> bool {
        self.magnitude.iter().all(|&b| b == 0)
    }

    fn layout(&self) -> Option<Layout> {
        Layout::new(self.precision, self.scale)
    }

    /// Calls `f` for each digit group in storage order with (value, digits, is_integer_part).
    fn for_each_group(&self, mut f: impl FnMut(u32, u8, bool) -> fmt::Result) -> fmt::Result {
        let Some(layout) = self.layout() else {
            return Ok(());
        };
        let int_groups = layout.int_groups();
        let mut offset = 0usize;
        for (index, (bytes, digits)) in layout.groups().enumerate() {
            let end = offset.saturating_add(bytes);
            let group = read_be(self.magnitude.get(offset..end).unwrap_or(&[]));
            f(group, digits, index < int_groups)?;
            offset = end;
        }
        Ok(())
    }

    /// The unscaled value as an integer (`123.45` in DECIMAL(5,2) is 12345), when it fits in
    /// an `i128` (always for precision up to 38).
    pub fn mantissa(&self) -> Option<i128> {
        let mut acc: Option<i128> = Some(0);
        let _ = self.for_each_group(|group, digits, _| {
            let scale = i128::from(POWERS_OF_TEN.get(usize::from(digits)).copied().unwrap_or(1));
            acc = acc
                .and_then(|a| a.checked_mul(scale))
                .and_then(|a| a.checked_add(i128::from(group)));
            Ok(())
        });
        let acc = acc?;
        if self.negative {
            acc.checked_neg()
        } else {
            Some(acc)
        }
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_negative() {
            f.write_str("-")?;
        }
        let mut int_started = false;
        let mut wrote_point = false;
        self.for_each_group(|group, digits, is_int| {
            if is_int {
                if int_started {
                    write!(f, "{:0width$}", group, width = usize::from(digits))
                } else if group != 0 {
                    int_started = true;
                    write!(f, "{group}")
                } else {
                    Ok(())
                }
            } else {
                if !wrote_point {
                    if !int_started {
                        f.write_str("0")?;
                        int_started = true;
                    }
                    f.write_str(".")?;
                    wrote_point = true;
                }
                write!(f, "{:0width$}", group, width = usize::from(digits))
            }
        })?;
        if !int_started {
            f.write_str("0")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Decimal({self}, {}, {})", self.precision, self.scale)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Encodes a decimal string ("-12.5") as DECIMAL(precision, scale) the way the server
    /// does (`decimal2bin`), for round-trip tests. The string must fit.
    pub(crate) fn encode(text: &str, precision: u8, scale: u8) -> Vec<u8> {
        let (negative, text) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (int_part, frac_part) = text.split_once('.').unwrap_or((text, ""));
        let int_digits = usize::from(precision - scale);
        let int_part = int_part.trim_start_matches('0');
        let int_part = format!("{:0>width$}", int_part, width = int_digits);
        let frac_part = format!("{:0<width$}", frac_part, width = usize::from(scale));
        assert_eq!(int_part.len(), int_digits, "{text} does not fit");
        assert_eq!(frac_part.len(), usize::from(scale), "{text} does not fit");
        let layout = Layout::new(precision, scale).unwrap();
        let mut out = Vec::new();
        let mut push = |digits: &str, bytes: usize| {
            let v: u32 = if digits.is_empty() {
                0
            } else {
                digits.parse().unwrap()
            };
            out.extend_from_slice(&v.to_be_bytes()[4 - bytes..]);
        };
        let lead = usize::from(layout.int_lead_digits);
        if lead > 0 {
            push(&int_part[..lead], layout.lead_bytes());
        }
        for w in int_part.as_bytes()[lead..].chunks(9) {
            push(std::str::from_utf8(w).unwrap(), 4);
        }
        let full = usize::from(layout.frac_words) * 9;
        for w in frac_part.as_bytes()[..full].chunks(9) {
            push(std::str::from_utf8(w).unwrap(), 4);
        }
        if layout.frac_tail_digits > 0 {
            push(&frac_part[full..], layout.tail_bytes());
        }
        out[0] ^= 0x80;
        if negative {
            for b in &mut out {
                *b = !*b;
            }
        }
        out
    }

    fn decode(bytes: &[u8], p: u8, s: u8) -> String {
        let (d, len) = Decimal::from_binary(bytes, p, s).unwrap();
        assert_eq!(len, bytes.len());
        d.to_string()
    }

    #[test]
    fn mysql_documentation_example() {
        // DECIMAL(14,4) 1234567890.1234 (MySQL strings/decimal.cc comment)
        let bytes = [0x81, 0x0D, 0xFB, 0x38, 0xD2, 0x04, 0xD2];
        assert_eq!(decode(&bytes, 14, 4), "1234567890.1234");
        let neg: Vec<u8> = bytes.iter().map(|b| !b).collect();
        assert_eq!(decode(&neg, 14, 4), "-1234567890.1234");
    }

    #[test]
    fn fixed_cases() {
        assert_eq!(decode(&encode("3", 10, 4), 10, 4), "3.0000");
        assert_eq!(decode(&encode("0", 10, 4), 10, 4), "0.0000");
        assert_eq!(decode(&encode("-0.5", 10, 4), 10, 4), "-0.5000");
        assert_eq!(decode(&encode("7", 5, 0), 5, 0), "7");
        assert_eq!(decode(&encode("0", 2, 2), 2, 2), "0.00");
        assert_eq!(decode(&encode("0", 5, 0), 5, 0), "0");
        assert_eq!(decode(&encode(".123", 3, 3), 3, 3), "0.123");
        let max = format!("{}.{}", "9".repeat(35), "9".repeat(30));
        assert_eq!(decode(&encode(&max, 65, 30), 65, 30), max);
        assert_eq!(encode(&max, 65, 30).len(), 30);
        let min = format!("-{max}");
        assert_eq!(decode(&encode(&min, 65, 30), 65, 30), min);
        let (d, _) = Decimal::from_binary(&encode("-123.45", 5, 2), 5, 2).unwrap();
        assert_eq!(d.mantissa(), Some(-12345));
        let (d, _) = Decimal::from_binary(&encode(&max, 65, 30), 65, 30).unwrap();
        assert_eq!(d.mantissa(), None);
    }

    #[test]
    fn rejects_bad_input() {
        assert!(Decimal::from_binary(&[0x80], 10, 4).is_err());
        assert!(Decimal::from_binary(&[0x80; 40], 66, 0).is_err());
        assert!(Decimal::from_binary(&[0x80; 40], 10, 11).is_err());
        // a nine-digit word of 0xffffffff > 999999999
        assert!(Decimal::from_binary(&[0xff, 0xff, 0xff, 0xff], 9, 0).is_err());
        assert_eq!(binary_size(65, 30), Some(30));
        assert_eq!(binary_size(10, 4), Some(5));
        assert_eq!(binary_size(14, 4), Some(7));
    }

    fn decimal_strategy() -> impl Strategy<Value = (String, u8, u8)> {
        (1u8..=65)
            .prop_flat_map(|p| (Just(p), 0u8..=p.min(30)))
            .prop_flat_map(|(p, s)| {
                let int_digits = usize::from(p - s);
                (
                    Just(p),
                    Just(s),
                    any::<bool>(),
                    proptest::collection::vec(0u8..10, int_digits),
                    proptest::collection::vec(0u8..10, usize::from(s)),
                )
            })
            .prop_map(|(p, s, neg, int, frac)| {
                let int: String = int.iter().map(|d| char::from(b'0' + d)).collect();
                let int = int.trim_start_matches('0');
                let int = if int.is_empty() { "0" } else { int };
                let frac: String = frac.iter().map(|d| char::from(b'0' + d)).collect();
                let mut text = String::new();
                let zero = int == "0" && frac.bytes().all(|b| b == b'0');
                if neg && !zero {
                    text.push('-');
                }
                text.push_str(int);
                if s > 0 {
                    text.push('.');
                    text.push_str(&frac);
                }
                (text, p, s)
            })
    }

    proptest! {
        #[test]
        fn round_trips_every_precision_and_scale((text, p, s) in decimal_strategy()) {
            let bytes = encode(&text, p, s);
            prop_assert_eq!(Some(bytes.len()), binary_size(p, s));
            prop_assert_eq!(decode(&bytes, p, s), text);
        }
    }
}
