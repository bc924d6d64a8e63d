//! The two decoders under test, each decoding every event and every row value of binlog
//! bytes and "touching" every value (folding it into a checksum, so nothing is optimised
//! away), with what they found tallied so the runs can be checked against each other and
//! against the workload's row counts.

use std::hint::black_box;
use std::io::BufRead;

use binlog_proto::event::rows::{RowImage, RowsKind};
use binlog_proto::event::{Decoder, Event};
use binlog_proto::value::Value;

/// What one pass over the files found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub events: u64,
    pub rows_events: u64,
    pub inserted: u64,
    pub updated: u64,
    pub deleted: u64,
    /// Values in all row images (NULLs included).
    pub values: u64,
    pub nulls: u64,
    /// A fold of every value (decoder-specific, only there to keep the work observable).
    pub fold: u64,
}

impl Tally {
    pub fn rows(&self) -> u64 {
        self.inserted + self.updated + self.deleted
    }

    fn add_row(&mut self, before: bool, after: bool) {
        match (before, after) {
            (true, true) => self.updated += 1,
            (false, true) => self.inserted += 1,
            (true, false) => self.deleted += 1,
            (false, false) => {}
        }
    }

    /// The counts both decoders must agree on (everything but the fold).
    pub fn same_counts(&self, other: &Tally) -> bool {
        (
            self.rows_events,
            self.inserted,
            self.updated,
            self.deleted,
            self.values,
            self.nulls,
        ) == (
            other.rows_events,
            other.inserted,
            other.updated,
            other.deleted,
            other.values,
            other.nulls,
        )
    }
}

// ---------------------------------------------------------------------------------------------
// binlog-proto

#[inline]
fn touch_proto(v: &Value<'_>) -> u64 {
    match v {
        Value::Null => 0,
        Value::Int(i) => i.as_u64(),
        Value::Float(f) => u64::from(f.to_bits()),
        Value::Double(d) => d.to_bits(),
        Value::Year(y) => u64::from(*y),
        Value::Bit(b) => b.value,
        Value::String(s) => s.stored_bytes().len() as u64,
        Value::Enum(e) => u64::from(e.index),
        Value::Set(s) => s.bits,
        Value::Geometry(g) => g.len() as u64,
        other => {
            black_box(other);
            1
        }
    }
}

#[inline]
fn proto_image(t: &mut Tally, image: Option<RowImage<'_>>) {
    if let Some(image) = image {
        for (_, value) in image.values() {
            t.values += 1;
            t.nulls += u64::from(value.is_null());
            t.fold = t.fold.wrapping_add(touch_proto(&value));
        }
    }
}

fn proto_event(t: &mut Tally, event: &Event<'_>) -> Result<(), String> {
    t.events += 1;
    if let Event::Rows(rows) = event {
        t.rows_events += 1;
        let kind = rows.kind();
        for row in rows.rows() {
            let row = row.map_err(|e| e.to_string())?;
            match kind {
                RowsKind::Write => t.inserted += 1,
                RowsKind::Update => t.updated += 1,
                RowsKind::Delete => t.deleted += 1,
            }
            proto_image(t, row.before());
            proto_image(t, row.after());
        }
    }
    Ok(())
}

/// binlog-proto over a file held in memory: [`binlog_proto::file::BinlogFile`] (CRC32 of
/// every event verified).
pub fn proto_in_memory(t: &mut Tally, bytes: &[u8]) -> Result<(), String> {
    let mut file = binlog_proto::file::BinlogFile::new(bytes).map_err(|e| e.to_string())?;
    while let Some(event) = file.next() {
        let event = event.map_err(|e| e.to_string())?;
        proto_event(t, &event.event)?;
        if let Event::TransactionPayload(payload) = &event.event {
            for inner in payload.events(file.decoder_mut()) {
                proto_event(t, &inner.map_err(|e| e.to_string())?.event)?;
            }
        }
    }
    Ok(())
}

/// binlog-proto reading a file through [`binlog_proto::file::BinlogReader`] (one reused
/// event buffer: memory bounded by the largest event).
pub fn proto_streaming(t: &mut Tally, input: impl std::io::Read) -> Result<(), String> {
    let mut reader = binlog_proto::file::BinlogReader::new(input).map_err(|e| e.to_string())?;
    let mut decoder = Decoder::new();
    while let Some(event) = reader.next_event(&mut decoder).map_err(|e| e.to_string())? {
        proto_event(t, &event.event)?;
        if let Event::TransactionPayload(payload) = &event.event {
            for inner in payload.events(&mut decoder) {
                proto_event(t, &inner.map_err(|e| e.to_string())?.event)?;
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// mysql_common

mod mc {
    pub use mysql_common::binlog::BinlogFile;
    pub use mysql_common::binlog::consts::{BinlogVersion, EventType};
    pub use mysql_common::binlog::events::EventData;
    pub use mysql_common::binlog::row::BinlogRow;
    pub use mysql_common::binlog::value::BinlogValue;
    pub use mysql_common::value::Value;
}

#[inline]
fn touch_mc(v: &mc::BinlogValue<'_>) -> u64 {
    match v {
        mc::BinlogValue::Value(mc::Value::NULL) => 0,
        mc::BinlogValue::Value(mc::Value::Int(i)) => *i as u64,
        mc::BinlogValue::Value(mc::Value::UInt(u)) => *u,
        mc::BinlogValue::Value(mc::Value::Float(f)) => u64::from(f.to_bits()),
        mc::BinlogValue::Value(mc::Value::Double(d)) => d.to_bits(),
        mc::BinlogValue::Value(mc::Value::Bytes(b)) => b.len() as u64,
        other => {
            black_box(other);
            1
        }
    }
}

#[inline]
fn mc_image(t: &mut Tally, row: Option<&mc::BinlogRow>) {
    if let Some(row) = row {
        for i in 0..row.len() {
            if let Some(value) = row.as_ref(i) {
                t.values += 1;
                t.nulls += u64::from(matches!(value, mc::BinlogValue::Value(mc::Value::NULL)));
                t.fold = t.fold.wrapping_add(touch_mc(value));
            }
        }
    }
}

/// mysql_common's binlog file parser over any `BufRead` (a byte slice for the in-memory
/// benchmark). Every event's data is read with `read_data` except FORMAT_DESCRIPTION,
/// TABLE_MAP and ROTATE, which its reader already parsed to keep its state.
pub fn mysql_common(t: &mut Tally, input: impl BufRead) -> Result<(), String> {
    let mut file = mc::BinlogFile::new(mc::BinlogVersion::Version4, input).map_err(|e| e.to_string())?;
    while let Some(event) = file.next() {
        let event = event.map_err(|e| e.to_string())?;
        t.events += 1;
        let kind = event.header().event_type_raw();
        if kind == mc::EventType::FORMAT_DESCRIPTION_EVENT as u8
            || kind == mc::EventType::TABLE_MAP_EVENT as u8
            || kind == mc::EventType::ROTATE_EVENT as u8
        {
            continue;
        }
        let Some(data) = event.read_data().map_err(|e| e.to_string())? else {
            continue;
        };
        let mc::EventData::RowsEvent(rows) = data else {
            black_box(&data);
            continue;
        };
        t.rows_events += 1;
        let tme = file
            .reader()
            .get_tme(rows.table_id())
            .ok_or("mysql_common: rows event without a table map")?;
        for row in rows.rows(tme) {
            let (before, after) = row.map_err(|e| e.to_string())?;
            t.add_row(before.is_some(), after.is_some());
            mc_image(t, before.as_ref());
            mc_image(t, after.as_ref());
        }
    }
    Ok(())
}
