//! The extra data of v2 rows events (MySQL libs/mysql/binlog/event/rows_event.cpp): TLVs with
//! a one-byte type. NDB (0): a length byte (counting itself and the format byte), a format
//! byte, the payload. PART (1): the partition id (u16), for updates followed by the source
//! partition id. Parsing stops at an unknown type, as the server's does.

use crate::error::Error;

const NDB: u8 = 0;
const PART: u8 = 1;

/// NDB cluster information attached to a rows event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NdbInfo<'a> {
    /// The data format byte.
    pub format: u8,
    /// The payload.
    pub data: &'a [u8],
}

/// The decoded extra data of a v2 rows event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExtraRowInfo<'a> {
    /// NDB information (the first NDB entry).
    pub ndb: Option<NdbInfo<'a>>,
    /// The partition the rows are in (for updates, the target partition).
    pub partition: Option<u16>,
    /// For updates of partitioned tables, the partition the rows came from.
    pub source_partition: Option<u16>,
    /// True when an entry of unknown type stopped parsing.
    pub has_unknown: bool,
}

fn bad(offset: usize) -> Error {
    Error::Malformed {
        what: "rows event extra data",
        offset,
    }
}

impl<'a> ExtraRowInfo<'a> {
    pub(super) fn parse(mut data: &'a [u8], is_update: bool) -> Result<ExtraRowInfo<'a>, Error> {
        let total = data.len();
        let mut info = ExtraRowInfo::default();
        while let Some((&ty, rest)) = data.split_first() {
            let at = total.saturating_sub(data.len());
            match ty {
                NDB => {
                    let &len = rest.first().ok_or(bad(at))?;
                    let entry = rest.get(..usize::from(len)).ok_or(bad(at))?;
                    if info.ndb.is_none() {
                        let format = *entry.get(1).ok_or(bad(at))?;
                        info.ndb = Some(NdbInfo {
                            format,
                            data: entry.get(2..).unwrap_or(&[]),
                        });
                    }
                    data = rest.get(usize::from(len)..).ok_or(bad(at))?;
                }
                PART => {
                    let (id, after) = rest.split_first_chunk::<2>().ok_or(bad(at))?;
                    info.partition = Some(u16::from_le_bytes(*id));
                    data = after;
                    if is_update {
                        let (src, after) = data.split_first_chunk::<2>().ok_or(bad(at))?;
                        info.source_partition = Some(u16::from_le_bytes(*src));
                        data = after;
                    }
                }
                _ => {
                    info.has_unknown = true;
                    break;
                }
            }
        }
        Ok(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ndb_and_partition_entries() {
        let info = ExtraRowInfo::parse(&[NDB, 4, 7, 0xaa, 0xbb, PART, 3, 0, 2, 0], true).unwrap();
        assert_eq!(
            info.ndb,
            Some(NdbInfo {
                format: 7,
                data: &[0xaa, 0xbb]
            })
        );
        assert_eq!((info.partition, info.source_partition), (Some(3), Some(2)));
        assert!(ExtraRowInfo::parse(&[PART, 3], false).is_err());
        assert!(ExtraRowInfo::parse(&[9, 1, 2], false).unwrap().has_unknown);
    }
}
