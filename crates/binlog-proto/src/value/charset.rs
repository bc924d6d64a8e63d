//! Collation ids and the character sets behind them, and decoding text stored in them.
//!
//! TABLE_MAP optional metadata gives each character column a collation id. The id names the
//! character set: MySQL and MariaDB agree on ids 1-247 (MySQL `strings/ctype-*.cc`, MariaDB
//! `information_schema.COLLATIONS`); MySQL 8 adds 248-250 (gb18030) and 255-323 (utf8mb4
//! UCA 9.0.0); MariaDB adds 576-738 (extra UCA variants), 1024 + id for the NO PAD variant of id,
//! and from 10.10 the UCA 14.0.0 collations at 2048-3327, whose bits 8-10 name the character
//! set (`MY_UCA1400_COLLATION_ID_POSSIBLE_MIN`, include/m_ctype.h).

use std::borrow::Cow;
use std::fmt;

/// A collation id as logged in TABLE_MAP optional metadata. Unknown ids are data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Collation(pub u16);

impl Collation {
    /// `binary` (63): the collation of BINARY, VARBINARY and BLOB columns.
    pub const BINARY: Collation = Collation(63);

    /// The character set this collation belongs to, or `None` for an id this crate does not
    /// know.
    pub fn charset(self) -> Option<Charset> {
        charset_of(self.0)
    }

    /// True for the `binary` collation, whose columns hold bytes, not text.
    pub fn is_binary(self) -> bool {
        self == Self::BINARY
    }
}

impl fmt::Display for Collation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.charset() {
            Some(cs) => write!(f, "{} ({})", self.0, cs.name()),
            None => write!(f, "{} (unknown)", self.0),
        }
    }
}

macro_rules! charsets {
    ($($variant:ident = $name:literal,)*) => {
        /// A MySQL/MariaDB character set.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Charset {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
        }

        impl Charset {
            /// The character set's name as the server spells it.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Charset::$variant => $name,)*
                }
            }
        }
    };
}

charsets! {
    Binary = "binary",
    Utf8mb4 = "utf8mb4",
    Utf8mb3 = "utf8mb3",
    Latin1 = "latin1",
    Latin2 = "latin2",
    Latin5 = "latin5",
    Latin7 = "latin7",
    Ascii = "ascii",
    Ucs2 = "ucs2",
    Utf16 = "utf16",
    Utf16le = "utf16le",
    Utf32 = "utf32",
    Cp1250 = "cp1250",
    Cp1251 = "cp1251",
    Cp1256 = "cp1256",
    Cp1257 = "cp1257",
    Cp850 = "cp850",
    Cp852 = "cp852",
    Cp866 = "cp866",
    Cp932 = "cp932",
    Big5 = "big5",
    Gbk = "gbk",
    Gb2312 = "gb2312",
    Gb18030 = "gb18030",
    Sjis = "sjis",
    Ujis = "ujis",
    Eucjpms = "eucjpms",
    Euckr = "euckr",
    Koi8r = "koi8r",
    Koi8u = "koi8u",
    Greek = "greek",
    Hebrew = "hebrew",
    Tis620 = "tis620",
    Macroman = "macroman",
    Macce = "macce",
    Armscii8 = "armscii8",
    Geostd8 = "geostd8",
    Dec8 = "dec8",
    Hp8 = "hp8",
    Keybcs2 = "keybcs2",
    Swe7 = "swe7",
}

impl fmt::Display for Charset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a character set's bytes become text.
enum Decoding {
    /// Strict UTF-8.
    Utf8,
    /// Seven-bit ASCII: bytes above 0x7f are invalid.
    Ascii,
    /// An encoding_rs decoder that matches the server's mapping.
    Whatwg(&'static encoding_rs::Encoding),
    /// An ISO-8859 set: the WHATWG decoder for its Windows superset, with bytes 0x80-0x9f
    /// taken as the C1 controls (which is what the ISO set and the server map them to).
    IsoC1(&'static encoding_rs::Encoding),
    /// UTF-32 big-endian.
    Utf32,
    /// Binary or a set encoding_rs cannot decode.
    None,
}

impl Charset {
    fn decoding(self) -> Decoding {
        use Charset::*;
        use encoding_rs as enc;
        match self {
            Utf8mb4 | Utf8mb3 => Decoding::Utf8,
            Ascii => Decoding::Ascii,
            // MySQL's latin1 is Windows-1252 with the five unassigned bytes mapped to the C1
            // controls, which is exactly the WHATWG windows-1252 index (strings/ctype-latin1.cc).
            Latin1 => Decoding::Whatwg(enc::WINDOWS_1252),
            Latin2 => Decoding::Whatwg(enc::ISO_8859_2),
            Latin5 => Decoding::IsoC1(enc::WINDOWS_1254),
            Latin7 => Decoding::Whatwg(enc::ISO_8859_13),
            Greek => Decoding::Whatwg(enc::ISO_8859_7),
            Hebrew => Decoding::Whatwg(enc::ISO_8859_8),
            Tis620 => Decoding::IsoC1(enc::WINDOWS_874),
            // ucs2 and utf16 are big-endian in MySQL; ucs2 is the BMP subset of UTF-16.
            Ucs2 | Utf16 => Decoding::Whatwg(enc::UTF_16BE),
            Utf16le => Decoding::Whatwg(enc::UTF_16LE),
            Utf32 => Decoding::Utf32,
            Cp1250 => Decoding::Whatwg(enc::WINDOWS_1250),
            Cp1251 => Decoding::Whatwg(enc::WINDOWS_1251),
            Cp1256 => Decoding::Whatwg(enc::WINDOWS_1256),
            Cp1257 => Decoding::Whatwg(enc::WINDOWS_1257),
            Cp866 => Decoding::Whatwg(enc::IBM866),
            Koi8r => Decoding::Whatwg(enc::KOI8_R),
            Koi8u => Decoding::Whatwg(enc::KOI8_U),
            Macroman => Decoding::Whatwg(enc::MACINTOSH),
            Big5 => Decoding::Whatwg(enc::BIG5),
            Gbk | Gb2312 => Decoding::Whatwg(enc::GBK),
            Gb18030 => Decoding::Whatwg(enc::GB18030),
            Sjis | Cp932 => Decoding::Whatwg(enc::SHIFT_JIS),
            Ujis | Eucjpms => Decoding::Whatwg(enc::EUC_JP),
            Euckr => Decoding::Whatwg(enc::EUC_KR),
            Binary | Cp850 | Cp852 | Macce | Armscii8 | Geostd8 | Dec8 | Hp8 | Keybcs2 | Swe7 => {
                Decoding::None
            }
        }
    }

    /// True when [`Charset::decode`] can turn this set's bytes into text. False for `binary`
    /// and for the few legacy sets without a decoder here (cp850, cp852, macce, armscii8,
    /// geostd8, dec8, hp8, keybcs2, swe7).
    pub fn can_decode(self) -> bool {
        !matches!(self.decoding(), Decoding::None)
    }

    /// Decodes `bytes` stored in this character set. `None` when the bytes are not valid in the
    /// set, or the set is binary or has no decoder here. Never replaces characters: text
    /// returned is exactly what the bytes mean.
    pub fn decode(self, bytes: &[u8]) -> Option<Cow<'_, str>> {
        match self.decoding() {
            Decoding::Utf8 => std::str::from_utf8(bytes).ok().map(Cow::Borrowed),
            Decoding::Ascii => {
                if bytes.is_ascii() {
                    std::str::from_utf8(bytes).ok().map(Cow::Borrowed)
                } else {
                    None
                }
            }
            Decoding::Whatwg(encoding) => encoding.decode_without_bom_handling_and_without_replacement(bytes),
            Decoding::IsoC1(encoding) => decode_iso_c1(encoding, bytes),
            Decoding::Utf32 => decode_utf32(bytes).map(Cow::Owned),
            Decoding::None => None,
        }
    }
}

fn decode_iso_c1<'a>(encoding: &'static encoding_rs::Encoding, bytes: &'a [u8]) -> Option<Cow<'a, str>> {
    if !bytes.iter().any(|b| (0x80..=0x9f).contains(b)) {
        return encoding.decode_without_bom_handling_and_without_replacement(bytes);
    }
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if (0x80..=0x9f).contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&encoding.decode_without_bom_handling_and_without_replacement(&[b])?);
        }
    }
    Some(Cow::Owned(out))
}

fn decode_utf32(bytes: &[u8]) -> Option<String> {
    let chunks = bytes.chunks_exact(4);
    if !chunks.remainder().is_empty() {
        return None;
    }
    chunks
        .map(|c| {
            let code = u32::from_be_bytes(c.try_into().ok()?);
            char::from_u32(code)
        })
        .collect()
}

/// The character set of collation `id`.
fn charset_of(id: u16) -> Option<Charset> {
    use Charset::*;
    Some(match id {
        // ids shared by MySQL and MariaDB (MySQL adds 76, 248-250 and 255)
        1 => Big5,
        2 => Latin2,
        3 => Dec8,
        4 => Cp850,
        5 => Latin1,
        6 => Hp8,
        7 => Koi8r,
        8 => Latin1,
        9 => Latin2,
        10 => Swe7,
        11 => Ascii,
        12 => Ujis,
        13 => Sjis,
        14 => Cp1251,
        15 => Latin1,
        16 => Hebrew,
        18 => Tis620,
        19 => Euckr,
        20 => Latin7,
        21 => Latin2,
        22 => Koi8u,
        23 => Cp1251,
        24 => Gb2312,
        25 => Greek,
        26 => Cp1250,
        27 => Latin2,
        28 => Gbk,
        29 => Cp1257,
        30 => Latin5,
        31 => Latin1,
        32 => Armscii8,
        33 => Utf8mb3,
        34 => Cp1250,
        35 => Ucs2,
        36 => Cp866,
        37 => Keybcs2,
        38 => Macce,
        39 => Macroman,
        40 => Cp852,
        41..=42 => Latin7,
        43 => Macce,
        44 => Cp1250,
        45..=46 => Utf8mb4,
        47..=49 => Latin1,
        50..=52 => Cp1251,
        53 => Macroman,
        54..=55 => Utf16,
        56 => Utf16le,
        57 => Cp1256,
        58..=59 => Cp1257,
        60..=61 => Utf32,
        62 => Utf16le,
        63 => Binary,
        64 => Armscii8,
        65 => Ascii,
        66 => Cp1250,
        67 => Cp1256,
        68 => Cp866,
        69 => Dec8,
        70 => Greek,
        71 => Hebrew,
        72 => Hp8,
        73 => Keybcs2,
        74 => Koi8r,
        75 => Koi8u,
        76 => Utf8mb3,
        77 => Latin2,
        78 => Latin5,
        79 => Latin7,
        80 => Cp850,
        81 => Cp852,
        82 => Swe7,
        83 => Utf8mb3,
        84 => Big5,
        85 => Euckr,
        86 => Gb2312,
        87 => Gbk,
        88 => Sjis,
        89 => Tis620,
        90 => Ucs2,
        91 => Ujis,
        92..=93 => Geostd8,
        94 => Latin1,
        95..=96 => Cp932,
        97..=98 => Eucjpms,
        99 => Cp1250,
        101..=124 => Utf16,
        128..=151 | 159 => Ucs2,
        160..=183 => Utf32,
        192..=215 | 223 => Utf8mb3,
        224..=247 => Utf8mb4,
        248..=250 => Gb18030,
        // MySQL 8: utf8mb4 UCA 9.0.0 collations
        255..=323 => Utf8mb4,
        // MariaDB: extra UCA collations
        576..=578 => Utf8mb3,
        608..=610 => Utf8mb4,
        640..=642 => Ucs2,
        672..=674 => Utf16,
        736..=738 => Utf32,
        // MariaDB: NO PAD variant of collation (id - 1024)
        1025..=1271 => return charset_of(id.wrapping_sub(1024)),
        // MariaDB 10.10+: UCA 14.0.0 collations; bits 8-10 name the character set
        2048..=3327 => match id.wrapping_shr(8) {
            8 => Utf8mb3,
            9 => Utf8mb4,
            10 => Ucs2,
            11 => Utf16,
            _ => Utf32,
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_ids() {
        assert_eq!(Collation(45).charset(), Some(Charset::Utf8mb4));
        assert_eq!(Collation(255).charset(), Some(Charset::Utf8mb4));
        assert_eq!(Collation(8).charset(), Some(Charset::Latin1));
        assert_eq!(Collation(33).charset(), Some(Charset::Utf8mb3));
        assert!(Collation(63).is_binary());
        assert_eq!(Collation(63).charset(), Some(Charset::Binary));
        // utf8mb4_uca1400_ai_ci (MariaDB 11) and utf8mb4_general_nopad_ci
        assert_eq!(Collation(2304).charset(), Some(Charset::Utf8mb4));
        assert_eq!(Collation(1070).charset(), Some(Charset::Utf8mb4));
        assert_eq!(Collation(3271).charset(), Some(Charset::Utf32));
        assert_eq!(Collation(100).charset(), None);
        assert_eq!(Collation(5000).charset(), None);
    }

    #[test]
    fn decodes_exactly_or_not_at_all() {
        // MySQL latin1 is cp1252: 0x80 is the euro sign, 0x81 the C1 control U+0081
        assert_eq!(
            Charset::Latin1.decode(b"\x80\x81\xe9").unwrap(),
            "\u{20ac}\u{81}é"
        );
        assert_eq!(Charset::Utf8mb4.decode("😀".as_bytes()).unwrap(), "😀");
        assert!(Charset::Utf8mb4.decode(b"\xff").is_none());
        assert!(Charset::Ascii.decode(b"a\x80").is_none());
        assert_eq!(Charset::Ucs2.decode(&[0x00, 0x41, 0x20, 0xac]).unwrap(), "A€");
        assert_eq!(Charset::Utf16le.decode(&[0x41, 0x00]).unwrap(), "A");
        assert_eq!(Charset::Utf32.decode(&[0, 1, 0xf6, 0x00]).unwrap(), "😀");
        assert!(Charset::Utf32.decode(&[0, 0, 0]).is_none());
        assert_eq!(Charset::Latin5.decode(b"\x80\xd0").unwrap(), "\u{80}Ğ");
        assert_eq!(Charset::Cp1251.decode(b"\xcf\xf0").unwrap(), "Пр");
        assert_eq!(Charset::Gbk.decode(b"\xc4\xe3").unwrap(), "你");
        assert!(Charset::Binary.decode(b"x").is_none());
        assert!(!Charset::Cp850.can_decode());
    }
}
