//! Floating-point text in MySQL's `%g`-like layout (`my_gcvt`, MySQL strings/dtoa.cc): the
//! shortest digits that round-trip, in fixed notation when the decimal point falls between
//! 10^-14 and 10^15, otherwise in exponent notation without `+` or zero padding (`1e15`,
//! `1.5e-20`).

use std::fmt::{self, Write as _};

/// `MAX_DECPT_FOR_F_FORMAT` (= DBL_DIG): beyond this, integers print in exponent notation.
const MAX_DECPT_FOR_F_FORMAT: i32 = 15;

/// A small stack buffer for formatting without allocation.
struct StackBuf {
    buf: [u8; 48],
    len: usize,
}

impl fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        self.buf
            .get_mut(self.len..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// The shortest round-trip digits of `|x|` and the decimal point position (`dtoa` mode 0:
/// value = 0.DIGITS * 10^decpt). Rust's `{:e}` prints exactly those digits.
fn digits(scientific: &str) -> Option<(&str, &str, i32)> {
    let (mantissa, exp) = scientific.split_once('e')?;
    let exp: i32 = exp.parse().ok()?;
    let (lead, rest) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    Some((lead, rest, exp.checked_add(1)?))
}

/// Writes `x` (given as the `{:e}` text of its absolute value and its sign) the way `my_gcvt`
/// lays it out. Returns whether the output contains a point or an exponent.
fn write_gcvt(f: &mut dyn fmt::Write, negative: bool, scientific: &str) -> Result<bool, fmt::Error> {
    let Some((lead, rest, decpt)) = digits(scientific) else {
        f.write_str(scientific)?;
        return Ok(true);
    };
    let trimmed_rest = rest.trim_end_matches('0');
    let len = i32::try_from(lead.len().saturating_add(trimmed_rest.len())).unwrap_or(i32::MAX);
    if negative {
        f.write_char('-')?;
    }
    let fixed = decpt > -MAX_DECPT_FOR_F_FORMAT && (decpt <= MAX_DECPT_FOR_F_FORMAT || len > decpt);
    if fixed {
        let all = lead.chars().chain(trimmed_rest.chars());
        let mut has_point = false;
        if decpt <= 0 {
            f.write_str("0.")?;
            has_point = true;
            for _ in decpt..0 {
                f.write_char('0')?;
            }
            for c in all {
                f.write_char(c)?;
            }
        } else {
            let mut written = 0i32;
            for c in all {
                if written == decpt {
                    f.write_char('.')?;
                    has_point = true;
                }
                f.write_char(c)?;
                written = written.saturating_add(1);
            }
            for _ in written..decpt {
                f.write_char('0')?;
            }
        }
        Ok(has_point)
    } else {
        f.write_str(lead)?;
        if !trimmed_rest.is_empty() {
            f.write_char('.')?;
            f.write_str(trimmed_rest)?;
        }
        write!(f, "e{}", decpt.saturating_sub(1))?;
        Ok(true)
    }
}

fn format_with(
    f: &mut dyn fmt::Write,
    negative: bool,
    abs: impl fmt::LowerExp,
    finite: bool,
) -> Result<bool, fmt::Error> {
    let mut buf = StackBuf { buf: [0; 48], len: 0 };
    write!(buf, "{abs:e}")?;
    let text = std::str::from_utf8(buf.buf.get(..buf.len).unwrap_or(&[])).map_err(|_| fmt::Error)?;
    if !finite {
        if negative {
            f.write_char('-')?;
        }
        f.write_str(text)?;
        return Ok(true);
    }
    write_gcvt(f, negative, text)
}

/// Writes a DOUBLE in MySQL's layout with the shortest round-trip digits.
pub(crate) fn write_double(f: &mut dyn fmt::Write, x: f64) -> Result<bool, fmt::Error> {
    format_with(f, x.is_sign_negative(), x.abs(), x.is_finite())
}

/// Writes a FLOAT in MySQL's layout with the shortest digits that round-trip as `f32`.
pub(crate) fn write_float(f: &mut dyn fmt::Write, x: f32) -> Result<bool, fmt::Error> {
    format_with(f, x.is_sign_negative(), x.abs(), x.is_finite())
}

/// Writes a JSON double as MySQL prints it: like a DOUBLE, plus `.0` when the text would
/// otherwise look like an integer (sql-common/json_dom.cc, `wrapper_to_string`).
pub(crate) fn write_json_double(f: &mut dyn fmt::Write, x: f64) -> fmt::Result {
    if !write_double(f, x)? {
        f.write_str(".0")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(x: f64) -> String {
        let mut s = String::new();
        write_double(&mut s, x).unwrap();
        s
    }

    fn j(x: f64) -> String {
        let mut s = String::new();
        write_json_double(&mut s, x).unwrap();
        s
    }

    #[test]
    fn mysql_layout() {
        assert_eq!(d(1.5), "1.5");
        assert_eq!(d(-2.0), "-2");
        assert_eq!(d(0.0), "0");
        assert_eq!(d(100.0), "100");
        assert_eq!(d(1e14), "100000000000000");
        assert_eq!(d(1e15), "1e15");
        assert_eq!(d(123456789012345680.0), "1.2345678901234568e17");
        assert_eq!(d(1234567890123456.7), "1234567890123456.8");
        assert_eq!(d(0.0001), "0.0001");
        assert_eq!(d(1e-14), "0.00000000000001");
        assert_eq!(d(1e-15), "0.000000000000001");
        assert_eq!(d(1e-16), "1e-16");
        assert_eq!(d(-1.25e-300), "-1.25e-300");
        assert_eq!(d(f64::MAX), "1.7976931348623157e308");
        assert_eq!(j(3.0), "3.0");
        assert_eq!(j(-0.5), "-0.5");
        assert_eq!(j(1e20), "1e20");
        let mut s = String::new();
        write_float(&mut s, 1.1f32).unwrap();
        assert_eq!(s, "1.1");
    }
}
