//! Row images: the validated bytes of one before or after image, and their values.

use std::ops::Range;

use bytes::Bytes;

use super::{lsb_bit, read_value_options};
use crate::error::Error;
use crate::event::table_map::{Column, TableMap};
use crate::value::decode::{decode_validated, value_len};
use crate::value::{ColumnType, OwnedValue, Value};

/// One image (before or after) of a row: which columns it holds, which are NULL, and their
/// values. Obtained from a validated [`Row`], so reading values cannot fail.
#[derive(Debug, Clone, Copy)]
pub struct RowImage<'r> {
    table: &'r TableMap,
    width: usize,
    columns: &'r [u8],
    nulls: &'r [u8],
    partial_json: Option<&'r [u8]>,
    values: &'r [u8],
    present: usize,
}

/// Walks one image at the start of `input`, decoding (and so validating) every value. Returns
/// the image and its length in bytes.
pub(super) fn scan<'r>(
    table: &'r TableMap,
    width: usize,
    columns: &'r [u8],
    present: usize,
    input: &'r [u8],
    after_of_partial: bool,
    row: usize,
) -> Result<(RowImage<'r>, usize), Error> {
    let (partial_json, mut pos) = if after_of_partial {
        read_value_options(input, table.json_columns())?
    } else {
        (None, 0)
    };
    let null_len = present.div_ceil(8);
    let nulls = input
        .get(pos..pos.saturating_add(null_len))
        .ok_or(Error::Malformed {
            what: "row NULL bitmap",
            offset: pos,
        })?;
    pos = pos.saturating_add(null_len);
    let values_start = pos;
    let mut image = RowImage {
        table,
        width,
        columns,
        nulls,
        partial_json,
        values: &[],
        present,
    };
    let rest = input.get(pos..).unwrap_or(&[]);
    let mut walker = Walker::new(&image, rest);
    while let Some(step) = walker.skip() {
        step.map_err(|(column, source)| Error::InValue {
            row,
            column: column.index(),
            column_type: column.column_type(),
            source: Box::new(match source {
                Error::Malformed { what, offset } => Error::Malformed {
                    what,
                    offset: offset.saturating_add(values_start),
                },
                other => other,
            }),
        })?;
    }
    let len = walker.pos;
    image.values = rest.get(..len).unwrap_or(&[]);
    Ok((image, values_start.saturating_add(len)))
}

/// Steps through the present columns of an image.
struct Walker<'r> {
    table: &'r TableMap,
    width: usize,
    columns: &'r [u8],
    nulls: &'r [u8],
    partial_json: Option<&'r [u8]>,
    input: &'r [u8],
    pos: usize,
    column: usize,
    present_index: usize,
    json_index: usize,
}

impl<'r> Walker<'r> {
    #[inline]
    fn new(image: &RowImage<'r>, input: &'r [u8]) -> Walker<'r> {
        Walker {
            table: image.table,
            width: image.width,
            columns: image.columns,
            nulls: image.nulls,
            partial_json: image.partial_json,
            input,
            pos: 0,
            column: 0,
            present_index: 0,
            json_index: 0,
        }
    }

    /// The next present column, whether it is NULL and whether it holds partial JSON; `None`
    /// after the last column.
    #[inline]
    fn next_present(&mut self) -> Option<(&'r Column, bool, bool)> {
        while self.column < self.width {
            let index = self.column;
            self.column = self.column.saturating_add(1);
            let column = self.table.column(index)?;
            // The partial-JSON bitmap has a bit for every JSON column, present or not.
            let partial = self.partial_json.is_some() && column.column_type() == ColumnType::JSON && {
                let bit = self
                    .partial_json
                    .is_some_and(|bits| lsb_bit(bits, self.json_index));
                self.json_index = self.json_index.saturating_add(1);
                bit
            };
            if !lsb_bit(self.columns, index) {
                continue;
            }
            let is_null = lsb_bit(self.nulls, self.present_index);
            self.present_index = self.present_index.saturating_add(1);
            return Some((column, is_null, partial));
        }
        None
    }

    /// Checks the next present column's value and moves past it (first pass).
    #[inline]
    fn skip(&mut self) -> Option<Result<(), (&'r Column, Error)>> {
        let (column, is_null, partial) = self.next_present()?;
        if is_null {
            return Some(Ok(()));
        }
        let input = self.input.get(self.pos..).unwrap_or(&[]);
        Some(match value_len(column, input, partial) {
            Ok(len) => {
                self.pos = self.pos.saturating_add(len);
                Ok(())
            }
            Err(e) => Err((column, offset_by(e, self.pos))),
        })
    }

    /// The next present column and its value, from an image the first pass validated.
    #[inline]
    fn next_value(&mut self) -> Option<(&'r Column, Value<'r>)> {
        let (column, is_null, partial) = self.next_present()?;
        if is_null {
            return Some((column, Value::Null));
        }
        let input = self.input.get(self.pos..).unwrap_or(&[]);
        // The first pass checked these bytes with the same decoder, so this cannot fail;
        // should it, the iteration ends rather than invent a value.
        let (value, len) = decode_validated(column, input, partial)?;
        self.pos = self.pos.saturating_add(len);
        Some((column, value))
    }
}

/// Moves the offset of a malformed-input error by `by` bytes.
fn offset_by(err: Error, by: usize) -> Error {
    match err {
        Error::Malformed { what, offset } => Error::Malformed {
            what,
            offset: offset.saturating_add(by),
        },
        other => other,
    }
}

/// Iterator over the present columns of an image and their values.
pub struct ImageValues<'r> {
    walker: Walker<'r>,
}

impl<'r> Iterator for ImageValues<'r> {
    type Item = (&'r Column, Value<'r>);

    // Inlined into the caller's loop: the per-value call and the copy of the returned value
    // were a third of the decoding time of narrow rows.
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.walker.next_value()
    }
}

impl std::fmt::Debug for ImageValues<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageValues")
            .field("column", &self.walker.column)
            .finish()
    }
}

impl<'r> RowImage<'r> {
    /// The table the image belongs to.
    pub fn table(&self) -> &'r TableMap {
        self.table
    }

    /// The present columns and their values, in column order. Columns missing from the image
    /// (minimal row images, NDB partial rows) are skipped.
    #[inline]
    pub fn values(&self) -> ImageValues<'r> {
        ImageValues {
            walker: Walker::new(self, self.values),
        }
    }

    /// The value of column `index`: `None` when the column is not in the image.
    pub fn get(&self, index: usize) -> Option<Value<'r>> {
        if !self.contains(index) {
            return None;
        }
        self.values().find(|(c, _)| c.index() == index).map(|(_, v)| v)
    }

    /// The value of the column named `name` (needs FULL metadata).
    pub fn get_by_name(&self, name: &str) -> Option<Value<'r>> {
        self.get(self.table.column_by_name(name)?.index())
    }

    /// Whether column `index` is in the image.
    pub fn contains(&self, index: usize) -> bool {
        index < self.width && lsb_bit(self.columns, index)
    }

    /// Number of columns in the image.
    pub fn len(&self) -> usize {
        self.present
    }

    /// True when the image holds no column.
    pub fn is_empty(&self) -> bool {
        self.present == 0
    }

    /// True when this after image carries partial JSON edits (PARTIAL_UPDATE_ROWS_EVENT).
    pub fn has_partial_json(&self) -> bool {
        self.partial_json.is_some()
    }

    /// Appends the image to `out` as [`to_owned_in`](Self::to_owned_in) builds it (one slot
    /// per column of the rows event, `None` for a column not in the image) and returns where
    /// it went. Many images in one vector cost one allocation, not one each.
    pub fn append_owned_in(&self, backing: &Bytes, out: &mut Vec<Option<OwnedValue>>) -> Range<usize> {
        self.append_owned(Some(backing), out)
    }

    /// One slot per column appended to `out`; byte payloads share `backing` or are copied.
    fn append_owned(&self, backing: Option<&Bytes>, out: &mut Vec<Option<OwnedValue>>) -> Range<usize> {
        let start = out.len();
        out.resize(start.saturating_add(self.width), None);
        let end = out.len();
        if let Some(slots) = out.get_mut(start..end) {
            for (column, value) in self.values() {
                if let Some(slot) = slots.get_mut(column.index()) {
                    *slot = Some(match backing {
                        Some(b) => value.to_owned_in(b),
                        None => value.to_owned_value(),
                    });
                }
            }
        }
        start..end
    }

    fn owned(&self, backing: Option<&Bytes>) -> OwnedImage {
        let mut values = Vec::with_capacity(self.width);
        self.append_owned(backing, &mut values);
        OwnedImage { values }
    }

    /// An owned copy of the image (byte payloads copied).
    pub fn to_owned_image(&self) -> OwnedImage {
        self.owned(None)
    }

    /// An owned image sharing `backing` for byte payloads inside it (see
    /// [`Value::to_owned_in`]).
    pub fn to_owned_in(&self, backing: &Bytes) -> OwnedImage {
        self.owned(Some(backing))
    }
}

/// One row of a rows event: the before image (updates, deletes) and the after image (inserts,
/// updates).
#[derive(Debug, Clone, Copy)]
pub struct Row<'r> {
    before: Option<RowImage<'r>>,
    after: Option<RowImage<'r>>,
}

impl<'r> Row<'r> {
    pub(super) fn new(before: Option<RowImage<'r>>, after: Option<RowImage<'r>>) -> Row<'r> {
        Row { before, after }
    }

    /// The row before the change (updates and deletes).
    pub fn before(&self) -> Option<RowImage<'r>> {
        self.before
    }

    /// The row after the change (inserts and updates).
    pub fn after(&self) -> Option<RowImage<'r>> {
        self.after
    }

    /// An owned copy (byte payloads copied).
    pub fn to_owned_row(&self) -> OwnedRow {
        OwnedRow {
            before: self.before.map(|i| i.to_owned_image()),
            after: self.after.map(|i| i.to_owned_image()),
        }
    }

    /// An owned row sharing `backing` (the buffer the event body, or
    /// [`RowsEvent::decompressed`](super::RowsEvent::decompressed), lives in) for byte
    /// payloads.
    pub fn to_owned_in(&self, backing: &Bytes) -> OwnedRow {
        OwnedRow {
            before: self.before.map(|i| i.to_owned_in(backing)),
            after: self.after.map(|i| i.to_owned_in(backing)),
        }
    }
}

/// An image detached from its event: one slot per table column, `None` for columns not in the
/// image, `Some(OwnedValue::Null)` for NULL.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedImage {
    /// The values by column index.
    pub values: Vec<Option<OwnedValue>>,
}

impl OwnedImage {
    /// The value of column `index`, if in the image.
    pub fn get(&self, index: usize) -> Option<&OwnedValue> {
        self.values.get(index)?.as_ref()
    }
}

/// A row detached from its event.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedRow {
    /// The image before the change (updates, deletes).
    pub before: Option<OwnedImage>,
    /// The image after the change (inserts, updates).
    pub after: Option<OwnedImage>,
}
