//! Date and time values and their binary row formats.
//!
//! Formats (MySQL mysys/my_time.cc and sql/field.cc, MariaDB sql/compat56.cc):
//! - DATE: 3 bytes LE, `day | month << 5 | year << 9`.
//! - old TIME: 3 bytes LE signed, `HHMMSS` as a decimal number.
//! - old DATETIME: 8 bytes LE, `YYYYMMDDhhmmss` as a decimal number.
//! - old TIMESTAMP: 4 bytes LE, seconds since the epoch.
//! - TIME2 (5.6.4+): 3 bytes BE integer part offset by 0x800000, then 0-3 bytes BE fraction.
//! - DATETIME2: 5 bytes BE offset by 0x8000000000: sign bit, 17 bits year*13+month, 5 bits day,
//!   5 bits hour, 6 bits minute, 6 bits second; then 0-3 bytes BE fraction.
//! - TIMESTAMP2: 4 bytes BE seconds since the epoch, then 0-3 bytes BE fraction.
//!
//! The fraction takes (fsp + 1) / 2 bytes: centiseconds, 1/10000 s or microseconds.

use std::fmt;

use crate::error::Error;

/// Most fractional-second digits a column can have.
pub const MAX_FSP: u8 = 6;

/// A DATE, or the date part of a DATETIME. Zero dates (`0000-00-00`) and zero parts are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    /// Year, 0-9999.
    pub year: u16,
    /// Month, 0-12 (0 in zero dates).
    pub month: u8,
    /// Day, 0-31 (0 in zero dates).
    pub day: u8,
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Writes `.ffffff` cut to `decimals` digits (nothing for 0), as MySQL prints fractions.
fn write_fraction(f: &mut fmt::Formatter<'_>, micros: u32, decimals: u8) -> fmt::Result {
    if decimals == 0 {
        return Ok(());
    }
    let decimals = decimals.min(MAX_FSP);
    let divisor = 10u32.pow(u32::from(MAX_FSP.saturating_sub(decimals)));
    let digits = micros.checked_div(divisor).unwrap_or(0);
    write!(f, ".{:0width$}", digits, width = usize::from(decimals))
}

/// A DATETIME: a calendar date and a time of day, with the column's fractional digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateTime {
    /// The date part.
    pub date: Date,
    /// Hour, 0-23.
    pub hour: u8,
    /// Minute, 0-59.
    pub minute: u8,
    /// Second, 0-59.
    pub second: u8,
    /// Microseconds, 0-999999.
    pub micros: u32,
    /// Fractional digits of the column (0-6): how many digits Display prints.
    pub decimals: u8,
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {:02}:{:02}:{:02}",
            self.date, self.hour, self.minute, self.second
        )?;
        write_fraction(f, self.micros, self.decimals)
    }
}

/// A TIME: a signed duration up to 838:59:59.999999 (the binary format allows hours to 1023).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Time {
    /// True for negative durations.
    pub negative: bool,
    /// Hours, not wrapped at 24.
    pub hours: u32,
    /// Minutes, 0-59.
    pub minutes: u8,
    /// Seconds, 0-59.
    pub seconds: u8,
    /// Microseconds, 0-999999.
    pub micros: u32,
    /// Fractional digits of the column (0-6).
    pub decimals: u8,
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.negative { "-" } else { "" };
        write!(
            f,
            "{sign}{:02}:{:02}:{:02}",
            self.hours, self.minutes, self.seconds
        )?;
        write_fraction(f, self.micros, self.decimals)
    }
}

/// A TIMESTAMP: seconds since 1970-01-01 00:00:00 UTC plus a fraction. The server stores it in
/// UTC; it shows it in the session time zone. Zero (`0000-00-00 00:00:00`) is 0 seconds.
///
/// Display prints the UTC date and time (`YYYY-MM-DD HH:MM:SS[.ffffff]`), what `SELECT` shows
/// with `time_zone = '+00:00'`; [`Timestamp::seconds`] gives the raw epoch value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp {
    /// Seconds since the epoch (0 is the zero timestamp).
    pub seconds: u32,
    /// Microseconds, 0-999999.
    pub micros: u32,
    /// Fractional digits of the column (0-6).
    pub decimals: u8,
}

impl Timestamp {
    /// Seconds since the epoch.
    pub fn seconds(&self) -> u32 {
        self.seconds
    }

    /// The UTC date and time; the zero timestamp gives the zero datetime.
    pub fn to_utc(&self) -> DateTime {
        if self.seconds == 0 && self.micros == 0 {
            return DateTime {
                date: Date {
                    year: 0,
                    month: 0,
                    day: 0,
                },
                hour: 0,
                minute: 0,
                second: 0,
                micros: 0,
                decimals: self.decimals,
            };
        }
        let secs = i64::from(self.seconds);
        let days = secs.div_euclid(86_400);
        let of_day = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        // of_day < 86400: the narrowing casts below cannot truncate
        DateTime {
            date: Date {
                year: u16::try_from(year).unwrap_or(0),
                month,
                day,
            },
            hour: u8::try_from(of_day.div_euclid(3600)).unwrap_or(0),
            minute: u8::try_from(of_day.rem_euclid(3600).div_euclid(60)).unwrap_or(0),
            second: u8::try_from(of_day.rem_euclid(60)).unwrap_or(0),
            micros: self.micros,
            decimals: self.decimals,
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_utc().fmt(f)
    }
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (H. Hinnant's `civil_from_days`). Valid for every u32 second count.
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days.saturating_add(719_468);
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = doe
        .saturating_sub(doe / 1460)
        .saturating_add(doe / 36_524)
        .saturating_sub(doe / 146_096)
        / 365;
    let y = yoe.saturating_add(era.saturating_mul(400));
    let doy = doe.saturating_sub(
        yoe.saturating_mul(365)
            .saturating_add(yoe / 4)
            .saturating_sub(yoe / 100),
    );
    let mp = doy.saturating_mul(5).saturating_add(2) / 153;
    let d = doy
        .saturating_sub(mp.saturating_mul(153).saturating_add(2) / 5)
        .saturating_add(1);
    let m = if mp < 10 {
        mp.saturating_add(3)
    } else {
        mp.saturating_sub(9)
    };
    let y = if m <= 2 { y.saturating_add(1) } else { y };
    (y, u8::try_from(m).unwrap_or(0), u8::try_from(d).unwrap_or(0))
}

fn malformed(what: &'static str) -> Error {
    Error::Malformed { what, offset: 0 }
}

fn take<const N: usize>(input: &[u8], what: &'static str) -> Result<[u8; N], Error> {
    input
        .get(..N)
        .and_then(|s| <[u8; N]>::try_from(s).ok())
        .ok_or(Error::Malformed {
            what,
            offset: input.len(),
        })
}

fn be(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0u64, |acc, &b| acc.wrapping_shl(8) | u64::from(b))
}

/// Bytes of the fraction for `fsp` digits.
pub(crate) fn fraction_bytes(fsp: u8) -> usize {
    usize::from(fsp.saturating_add(1) / 2)
}

/// Reads the 0-3 byte big-endian fraction of a TIME2/DATETIME2/TIMESTAMP2 as microseconds.
fn read_fraction(bytes: &[u8], fsp: u8) -> u32 {
    let raw = u32::try_from(be(bytes)).unwrap_or(0);
    match fsp {
        1 | 2 => raw.saturating_mul(10_000),
        3 | 4 => raw.saturating_mul(100),
        _ => raw,
    }
}

fn check_micros(micros: u32) -> Result<u32, Error> {
    if micros > 999_999 {
        return Err(malformed("fractional seconds"));
    }
    Ok(micros)
}

fn check_date(date: Date) -> Result<Date, Error> {
    if date.month > 12 || date.day > 31 {
        return Err(malformed("date"));
    }
    Ok(date)
}

fn check_clock(hour: u8, minute: u8, second: u8) -> Result<(), Error> {
    if hour > 23 || minute > 59 || second > 59 {
        return Err(malformed("time of day"));
    }
    Ok(())
}

/// DATE (and NEWDATE): 3 bytes.
pub(crate) fn decode_date(input: &[u8]) -> Result<Date, Error> {
    let v = u32::from_le_bytes({
        let b = take::<3>(input, "DATE value (truncated)")?;
        [b[0], b[1], b[2], 0]
    });
    check_date(Date {
        day: (v & 31) as u8,
        month: (v.wrapping_shr(5) & 15) as u8,
        year: v.wrapping_shr(9) as u16,
    })
}

/// Old TIME: 3 bytes, signed HHMMSS.
pub(crate) fn decode_time(input: &[u8]) -> Result<Time, Error> {
    let b = take::<3>(input, "TIME value (truncated)")?;
    // sign-extend the 24-bit value
    let v = i32::from_le_bytes([0, b[0], b[1], b[2]]).wrapping_shr(8);
    let negative = v < 0;
    let v = v.unsigned_abs();
    let seconds = (v % 100) as u8;
    let minutes = (v / 100 % 100) as u8;
    if minutes > 59 || seconds > 59 {
        return Err(malformed("TIME value"));
    }
    Ok(Time {
        negative,
        hours: v / 10_000,
        minutes,
        seconds,
        micros: 0,
        decimals: 0,
    })
}

/// Old DATETIME: 8 bytes, YYYYMMDDhhmmss.
pub(crate) fn decode_datetime(input: &[u8]) -> Result<DateTime, Error> {
    let v = u64::from_le_bytes(take::<8>(input, "DATETIME value (truncated)")?);
    let date = v / 1_000_000;
    let time = v % 1_000_000;
    let dt = DateTime {
        date: check_date(Date {
            year: u16::try_from(date / 10_000).map_err(|_| malformed("DATETIME value"))?,
            month: (date / 100 % 100) as u8,
            day: (date % 100) as u8,
        })?,
        hour: (time / 10_000) as u8,
        minute: (time / 100 % 100) as u8,
        second: (time % 100) as u8,
        micros: 0,
        decimals: 0,
    };
    check_clock(dt.hour, dt.minute, dt.second)?;
    Ok(dt)
}

/// Old TIMESTAMP: 4 bytes LE seconds.
pub(crate) fn decode_timestamp(input: &[u8]) -> Result<Timestamp, Error> {
    Ok(Timestamp {
        seconds: u32::from_le_bytes(take::<4>(input, "TIMESTAMP value (truncated)")?),
        micros: 0,
        decimals: 0,
    })
}

/// TIMESTAMP2 with `fsp` fractional digits.
pub(crate) fn decode_timestamp2(input: &[u8], fsp: u8) -> Result<Timestamp, Error> {
    let seconds = u32::from_be_bytes(take::<4>(input, "TIMESTAMP2 value (truncated)")?);
    let frac_len = fraction_bytes(fsp);
    let frac = input
        .get(4..4usize.saturating_add(frac_len))
        .ok_or_else(|| malformed("TIMESTAMP2 fraction (truncated)"))?;
    Ok(Timestamp {
        seconds,
        micros: check_micros(read_fraction(frac, fsp))?,
        decimals: fsp,
    })
}

/// Splits a packed datetime (`TIME_to_longlong_datetime_packed`, MySQL my_time.cc) into a
/// DateTime. Used for DATETIME2 rows and for temporal values inside JSON.
pub(crate) fn datetime_from_packed(packed: i64, decimals: u8) -> Result<DateTime, Error> {
    let packed = packed.unsigned_abs();
    let micros = check_micros((packed & 0xff_ffff) as u32)?;
    let ymdhms = packed.wrapping_shr(24);
    let ymd = ymdhms.wrapping_shr(17);
    let ym = ymd.wrapping_shr(5);
    let hms = ymdhms & 0x1_ffff;
    let date = check_date(Date {
        year: u16::try_from(ym / 13).map_err(|_| malformed("DATETIME value"))?,
        month: (ym % 13) as u8,
        day: (ymd & 31) as u8,
    })?;
    let (hour, minute, second) = (
        hms.wrapping_shr(12) as u8,
        (hms.wrapping_shr(6) & 63) as u8,
        (hms & 63) as u8,
    );
    check_clock(hour, minute, second)?;
    Ok(DateTime {
        date,
        hour,
        minute,
        second,
        micros,
        decimals,
    })
}

/// Splits a packed time (`TIME_to_longlong_time_packed`) into a Time.
pub(crate) fn time_from_packed(packed: i64, decimals: u8) -> Result<Time, Error> {
    let negative = packed < 0;
    let packed = packed.unsigned_abs();
    let micros = check_micros((packed & 0xff_ffff) as u32)?;
    let hms = packed.wrapping_shr(24);
    let minutes = (hms.wrapping_shr(6) & 63) as u8;
    let seconds = (hms & 63) as u8;
    if minutes > 59 || seconds > 59 {
        return Err(malformed("TIME value"));
    }
    Ok(Time {
        negative,
        hours: (hms.wrapping_shr(12) & 0x3ff) as u32,
        minutes,
        seconds,
        micros,
        decimals,
    })
}

/// DATETIME2 with `fsp` fractional digits (`my_datetime_packed_from_binary`).
pub(crate) fn decode_datetime2(input: &[u8], fsp: u8) -> Result<DateTime, Error> {
    let int_bytes = take::<5>(input, "DATETIME2 value (truncated)")?;
    let int_part = i64::try_from(be(&int_bytes))
        .unwrap_or(0)
        .wrapping_sub(0x80_0000_0000);
    let frac = input
        .get(5..5usize.saturating_add(fraction_bytes(fsp)))
        .ok_or_else(|| malformed("DATETIME2 fraction (truncated)"))?;
    let micros = i64::from(read_fraction(frac, fsp));
    datetime_from_packed(int_part.wrapping_shl(24).wrapping_add(micros), fsp)
}

/// TIME2 with `fsp` fractional digits (`my_time_packed_from_binary`). Negative values store
/// the fraction complemented, for byte-wise sorting.
pub(crate) fn decode_time2(input: &[u8], fsp: u8) -> Result<Time, Error> {
    let frac_len = fraction_bytes(fsp);
    let whole = input
        .get(..3usize.saturating_add(frac_len))
        .ok_or_else(|| malformed("TIME2 value (truncated)"))?;
    let (int_bytes, frac_bytes) = whole.split_at(3);
    let packed: i64 = match fsp {
        5 | 6 => i64::try_from(be(whole))
            .unwrap_or(0)
            .wrapping_sub(0x8000_0000_0000),
        _ => {
            let mut int_part = i64::try_from(be(int_bytes)).unwrap_or(0).wrapping_sub(0x80_0000);
            let mut frac = i64::try_from(be(frac_bytes)).unwrap_or(0);
            let (unit, modulus) = if fsp <= 2 {
                (10_000, 0x100)
            } else {
                (100, 0x1_0000)
            };
            if frac_len > 0 && int_part < 0 && frac != 0 {
                int_part = int_part.wrapping_add(1);
                frac = frac.wrapping_sub(modulus);
            }
            int_part.wrapping_shl(24).wrapping_add(frac.wrapping_mul(unit))
        }
    };
    time_from_packed(packed, fsp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_mysql() {
        let t = Time {
            negative: true,
            hours: 507,
            minutes: 48,
            seconds: 27,
            micros: 0,
            decimals: 0,
        };
        assert_eq!(t.to_string(), "-507:48:27");
        let t = Time {
            negative: false,
            hours: 1,
            minutes: 2,
            seconds: 3,
            micros: 120_000,
            decimals: 3,
        };
        assert_eq!(t.to_string(), "01:02:03.120");
        let ts = Timestamp {
            seconds: 1_493_012_711,
            micros: 500_000,
            decimals: 1,
        };
        assert_eq!(ts.to_string(), "2017-04-24 05:45:11.5");
        let zero = Timestamp {
            seconds: 0,
            micros: 0,
            decimals: 0,
        };
        assert_eq!(zero.to_string(), "0000-00-00 00:00:00");
        let max = Timestamp {
            seconds: u32::MAX,
            micros: 0,
            decimals: 0,
        };
        assert_eq!(max.to_string(), "2106-02-07 06:28:15");
    }

    #[test]
    fn time2_negative_fractions() {
        // -00:00:01.10 at fsp 2 is stored as 7FFFFE F6 (MySQL my_time.cc table)
        let t = decode_time2(&[0x7f, 0xff, 0xfe, 0xf6], 2).unwrap();
        assert_eq!(t.to_string(), "-00:00:01.10");
        let t = decode_time2(&[0x7f, 0xff, 0xff, 0xff], 2).unwrap();
        assert_eq!(t.to_string(), "-00:00:00.01");
        let t = decode_time2(&[0x80, 0x00, 0x00], 0).unwrap();
        assert_eq!(t.to_string(), "00:00:00");
    }

    #[test]
    fn date_and_datetime2() {
        // 2017-04-13 = 13 | 4 << 5 | 2017 << 9
        let v: u32 = 13 | (4 << 5) | (2017 << 9);
        assert_eq!(
            decode_date(&v.to_le_bytes()[..3]).unwrap().to_string(),
            "2017-04-13"
        );
        assert_eq!(decode_date(&[0, 0, 0]).unwrap().to_string(), "0000-00-00");
        assert!(decode_date(&[0, 0]).is_err());
        // zero DATETIME2(0)
        assert_eq!(
            decode_datetime2(&[0x80, 0, 0, 0, 0], 0).unwrap().to_string(),
            "0000-00-00 00:00:00"
        );
        assert!(decode_datetime2(&[0x80, 0, 0, 0, 0], 6).is_err());
    }
}
