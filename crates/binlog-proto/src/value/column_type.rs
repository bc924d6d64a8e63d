//! Column type codes, as an open newtype: codes this crate does not know are data.

use std::fmt;

/// A column type code as written in TABLE_MAP events (`enum_field_types`, MySQL
/// include/field_types.h; MariaDB include/mysql_com.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ColumnType(pub u8);

macro_rules! column_types {
    ($($name:ident = $code:literal,)*) => {
        impl ColumnType {
            $(
                #[doc = concat!("`MYSQL_TYPE_", stringify!($name), "` (", stringify!($code), ").")]
                pub const $name: ColumnType = ColumnType($code);
            )*

            /// The type's name without the `MYSQL_TYPE_` prefix, or `None` for an unknown code.
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($code => Some(stringify!($name)),)*
                    _ => None,
                }
            }
        }
    };
}

column_types! {
    DECIMAL = 0,
    TINY = 1,
    SHORT = 2,
    LONG = 3,
    FLOAT = 4,
    DOUBLE = 5,
    NULL = 6,
    TIMESTAMP = 7,
    LONGLONG = 8,
    INT24 = 9,
    DATE = 10,
    TIME = 11,
    DATETIME = 12,
    YEAR = 13,
    NEWDATE = 14,
    VARCHAR = 15,
    BIT = 16,
    TIMESTAMP2 = 17,
    DATETIME2 = 18,
    TIME2 = 19,
    TYPED_ARRAY = 20,
    VECTOR = 242,
    INVALID = 243,
    BOOL = 244,
    JSON = 245,
    NEWDECIMAL = 246,
    ENUM = 247,
    SET = 248,
    TINY_BLOB = 249,
    MEDIUM_BLOB = 250,
    LONG_BLOB = 251,
    BLOB = 252,
    VAR_STRING = 253,
    STRING = 254,
    GEOMETRY = 255,
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "UNKNOWN({})", self.0),
        }
    }
}
