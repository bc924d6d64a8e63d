//! `binlog decode`: binlog files from disk to row-change lines on stdout.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read};
use std::path::Path;
use std::rc::Rc;

use binlog_cli::format::{Change, Op, json, text};
use binlog_proto::event::rows::RowsEvent;
use binlog_proto::event::{Decoder, Event, EventHeader};
use binlog_proto::file::BinlogReader;
use binlog_signals::TableFilter;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{DecodeArgs, Format};
use crate::output::{Output, OutputError};

/// Files this large or larger get a progress bar (on a terminal).
const PROGRESS_MIN_BYTES: u64 = 16 << 20;
/// Events between progress bar updates.
const PROGRESS_EVERY: u32 = 512;
/// Read buffer for binlog files.
const READ_BUFFER: usize = 256 << 10;

/// Why one file could not be decoded to its end.
#[derive(Debug)]
pub(crate) enum FileError {
    /// The file could not be opened or read before its first event.
    Open(io::Error),
    /// The bytes at `offset` are not a valid event (or the file ends inside one).
    Corrupt {
        offset: u64,
        source: binlog_proto::Error,
    },
    /// Writing to stdout failed.
    Output(OutputError),
}

/// Decodes every file; returns whether all decoded to their end. Output errors other than a
/// closed pipe are returned; a closed pipe ends the command quietly.
pub(crate) fn run(args: &DecodeArgs) -> Result<bool, OutputError> {
    let filter = args
        .tables
        .tables
        .iter()
        .fold(TableFilter::new(), |f, p| f.include(p.as_str()));
    let mut out = Output::stdout();
    let progress = !args.no_progress && io::stderr().is_terminal();
    let mut all_ok = true;
    for path in &args.files {
        match decode_file(path, args.format, &filter, progress, &mut out) {
            Ok(()) => {}
            Err(FileError::Output(e)) => return Err(e),
            Err(err) => {
                // Rows decoded before the error come first, then the message.
                out.flush()?;
                all_ok = false;
                eprintln!("binlog decode: {}: {}", path.display(), describe(&err));
            }
        }
    }
    out.flush()?;
    Ok(all_ok)
}

fn describe(err: &FileError) -> String {
    match err {
        FileError::Open(e) => format!("cannot read: {e}"),
        FileError::Corrupt { offset, source } => {
            format!("decoding stopped at offset {offset}: {source}")
        }
        FileError::Output(e) => e.to_string(),
    }
}

/// Counts the bytes read from the file, for the progress bar.
struct Counting<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get().saturating_add(n as u64));
        Ok(n)
    }
}

/// The file's events as a reader: gzip-compressed files are decompressed on the fly.
fn open(path: &Path, count: Rc<Cell<u64>>) -> Result<(Box<dyn Read>, u64), FileError> {
    let file = File::open(path).map_err(FileError::Open)?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = BufReader::with_capacity(READ_BUFFER, Counting { inner: file, count });
    let head = reader.fill_buf().map_err(FileError::Open)?;
    let input: Box<dyn Read> = if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(BufReader::with_capacity(
            READ_BUFFER,
            flate2::bufread::MultiGzDecoder::new(reader),
        ))
    } else {
        Box::new(reader)
    };
    Ok((input, len))
}

fn progress_bar(path: &Path, len: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    );
    bar
}

/// Where the decoding of one file stands between events.
struct State<'f> {
    /// The file name printed in `pos.file`.
    file: &'f str,
    format: Format,
    filter: &'f TableFilter,
    /// The current transaction's GTID, when `has_gtid`.
    gtid: String,
    has_gtid: bool,
}

fn decode_file(
    path: &Path,
    format: Format,
    filter: &TableFilter,
    progress: bool,
    out: &mut Output,
) -> Result<(), FileError> {
    let count = Rc::new(Cell::new(0u64));
    let (input, len) = open(path, Rc::clone(&count))?;
    let bar = (progress && len >= PROGRESS_MIN_BYTES).then(|| progress_bar(path, len));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_else(|| path.to_string_lossy());
    let mut state = State {
        file: &name,
        format,
        filter,
        gtid: String::new(),
        has_gtid: false,
    };
    let result = read_events(input, &mut state, out, &count, bar.as_ref());
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    result
}

fn read_events(
    input: Box<dyn Read>,
    state: &mut State<'_>,
    out: &mut Output,
    count: &Cell<u64>,
    bar: Option<&ProgressBar>,
) -> Result<(), FileError> {
    let corrupt = |offset: u64| move |source| FileError::Corrupt { offset, source };
    let mut reader = BinlogReader::new(input).map_err(corrupt(0))?;
    let mut decoder = Decoder::new();
    let mut events = 0u32;
    loop {
        let offset = reader.position();
        let Some(event) = reader.next_event(&mut decoder).map_err(corrupt(offset))? else {
            return Ok(());
        };
        let end = event.end_offset();
        match &event.event {
            Event::TransactionPayload(payload) => {
                for inner in payload.events(&mut decoder) {
                    let inner = inner.map_err(corrupt(offset))?;
                    state
                        .handle(&inner.event, &event.header, end, out)
                        .map_err(|e| e.at(offset))?;
                }
            }
            other => state
                .handle(other, &event.header, end, out)
                .map_err(|e| e.at(offset))?,
        }
        events = events.wrapping_add(1);
        if let Some(bar) = bar
            && events.is_multiple_of(PROGRESS_EVERY)
        {
            bar.set_position(count.get());
        }
    }
}

/// An error while handling one event, before its offset is known.
enum HandleError {
    Rows(binlog_proto::Error),
    Output(OutputError),
}

impl HandleError {
    fn at(self, offset: u64) -> FileError {
        match self {
            HandleError::Rows(source) => FileError::Corrupt { offset, source },
            HandleError::Output(e) => FileError::Output(e),
        }
    }
}

impl State<'_> {
    /// Prints the row changes of a rows event; follows GTIDs and transaction ends.
    fn handle(
        &mut self,
        event: &Event<'_>,
        header: &EventHeader,
        end: u64,
        out: &mut Output,
    ) -> Result<(), HandleError> {
        use std::fmt::Write as _;
        match event {
            Event::Rows(rows) => return self.rows(rows, header, end, out),
            Event::Gtid(gtid) => {
                self.gtid.clear();
                self.has_gtid = match gtid.gtid() {
                    Some(g) => write!(self.gtid, "{g}").is_ok(),
                    None => false,
                };
            }
            Event::MariadbGtid(gtid) => {
                self.gtid.clear();
                self.has_gtid = write!(self.gtid, "{}", gtid.gtid).is_ok();
            }
            // A transaction ends; changes outside one (old servers) carry no GTID.
            Event::Xid(_) | Event::XaPrepare(_) | Event::Rotate(_) | Event::FormatDescription(_) => {
                self.has_gtid = false;
            }
            Event::Query(q) if q.sql.as_ref() == b"COMMIT" => self.has_gtid = false,
            _ => {}
        }
        Ok(())
    }

    fn rows(
        &mut self,
        rows: &RowsEvent<'_>,
        header: &EventHeader,
        end: u64,
        out: &mut Output,
    ) -> Result<(), HandleError> {
        let table = rows.table();
        if !self.filter.allows(table.schema(), table.table()) {
            return Ok(());
        }
        let change = Change {
            op: Op::from(rows.kind()),
            table,
            file: self.file,
            offset: end,
            gtid: self.has_gtid.then_some(self.gtid.as_str()),
            timestamp: header.timestamp,
        };
        for row in rows.rows() {
            let row = row.map_err(HandleError::Rows)?;
            let (before, after) = (row.before(), row.after());
            let buf = out.buffer();
            match self.format {
                Format::Json => json::write_row(buf, &change, before.as_ref(), after.as_ref()),
                Format::Text => text::write_row(buf, &change, before.as_ref(), after.as_ref()),
            }
            out.flush_if_full().map_err(HandleError::Output)?;
        }
        Ok(())
    }
}
