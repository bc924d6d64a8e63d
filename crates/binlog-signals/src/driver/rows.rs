//! A decoded rows event (borrowing the received bytes) to the owned item the streams deliver.

use std::sync::Arc;

use binlog_proto::event::rows::{RowsEvent as ProtoRows, RowsKind};
use binlog_proto::value::{Int, OwnedValue, Signedness};
use bytes::Bytes;

use crate::error::Error;
use crate::item::{Columns, Meta, Row, RowAction, RowsEvent};
use crate::schema::Resolved;

pub(crate) fn action(kind: RowsKind) -> RowAction {
    match kind {
        RowsKind::Write => RowAction::Insert,
        RowsKind::Update => RowAction::Update,
        RowsKind::Delete => RowAction::Delete,
    }
}

/// Builds the item. Byte payloads share `raw` (the event as received) or the decompressed
/// rows instead of being copied. A row that fails to decode fails the whole event: a partial
/// event would be silent loss.
pub(crate) fn build(
    rows: &ProtoRows<'_>,
    raw: &Bytes,
    meta: Meta,
    resolved: &Resolved,
) -> Result<RowsEvent, Error> {
    let backing = rows.decompressed().unwrap_or(raw);
    let table = rows.table();
    let action = meta.action;
    // One `Arc` per event, not the table's shared one: every row holds a reference, and
    // counting them on an `Arc` that the subscriber's thread is releasing (for the previous
    // event) at the same time makes the two cores fight over one cache line per row. A copy
    // of the names per event is cheaper (measured: bench `e2e`, docs/benchmarks.md).
    let columns = Arc::new(Columns::clone(&resolved.columns));
    // Every image's values in one vector: one allocation per event rather than per image,
    // freed on the subscriber's thread (see `Row`).
    let mut values = Vec::new();
    let mut spans = Vec::new();
    for row in rows.rows() {
        let row = row?;
        let mut image = |image: Option<binlog_proto::event::rows::RowImage<'_>>| {
            image.map(|image| {
                let span = image.append_owned_in(backing, &mut values);
                if let (Some(unsigned), Some(slots)) = (&resolved.unsigned, values.get_mut(span.clone())) {
                    fix_signedness(slots, unsigned);
                }
                span
            })
        };
        let before = image(row.before());
        let after = image(row.after());
        spans.push((before, after));
    }
    let values: Arc<[Option<OwnedValue>]> = values.into();
    let out = spans
        .into_iter()
        .map(|(before, after)| {
            Row::in_event(Arc::clone(&columns), action, Arc::clone(&values), before, after)
        })
        .collect();
    Ok(RowsEvent::new(meta, table.schema(), table.table(), columns, out))
}

/// Reads integers of UNSIGNED columns as unsigned when the binlog did not say.
fn fix_signedness(values: &mut [Option<OwnedValue>], unsigned: &[bool]) {
    for (value, &unsigned) in values.iter_mut().zip(unsigned) {
        if unsigned
            && let Some(OwnedValue::Int(int)) = value
            && int.signedness() == Signedness::Unknown
        {
            *int = Int::new(int.as_u64(), int.width(), Signedness::Unsigned);
        }
    }
}
