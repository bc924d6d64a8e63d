//! Shared helpers for the corpus-driven tests: where the corpus is, which files are binlogs,
//! and what PROVENANCE.md's independent scan says about each.

#![allow(dead_code)] // each test binary uses a different part

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The shared corpus, beside the repository.
pub(crate) fn corpus_dir() -> PathBuf {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus"));
    assert!(
        dir.join("PROVENANCE.md").is_file(),
        "the binlog corpus is missing: expected {} (clone the repository with ../shared beside it)",
        dir.display()
    );
    dir
}

/// Reads a corpus file by its path relative to the corpus directory.
pub(crate) fn read(relative: &str) -> Vec<u8> {
    let path = corpus_dir().join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every file under `dir`, sorted.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Every binlog of the corpus (found by its magic; `.gz` files are gunzipped first), as
/// (path relative to the corpus, bytes).
pub(crate) fn binlogs() -> Vec<(String, Vec<u8>)> {
    let root = corpus_dir();
    let mut files = Vec::new();
    walk(&root, &mut files);
    let mut out = Vec::new();
    for path in files {
        let mut bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if path.extension().is_some_and(|e| e == "gz") {
            let mut plain = Vec::new();
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_end(&mut plain)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            bytes = plain;
        }
        if bytes.starts_with(&binlog_proto::file::BINLOG_MAGIC) {
            let rel = path
                .strip_prefix(&root)
                .expect("under root")
                .to_string_lossy()
                .into_owned();
            out.push((rel, bytes));
        }
    }
    out
}

/// What PROVENANCE.md §5 says about one binlog: raw type code -> count, for top-level events
/// and for the events inside transaction payloads, and how many non-FDE CRCs it validated.
#[derive(Debug, Default)]
pub(crate) struct Expected {
    pub(crate) top: BTreeMap<u8, usize>,
    pub(crate) inner: BTreeMap<u8, usize>,
    pub(crate) crcs: Option<usize>,
}

/// Parses the per-file table of PROVENANCE.md §5, keyed by path relative to the corpus.
pub(crate) fn provenance() -> BTreeMap<String, Expected> {
    let text = std::fs::read_to_string(corpus_dir().join("PROVENANCE.md")).expect("PROVENANCE.md");
    let section = text
        .split("## 5. Per-file table")
        .nth(1)
        .and_then(|s| s.split("## 6.").next())
        .expect("PROVENANCE.md section 5");
    let mut out = BTreeMap::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split(" | ").collect();
        let path = cells[0]
            .trim_start_matches("| `")
            .trim_end_matches('`')
            .to_string();
        let checksum = cells[5];
        let events = cells[6];
        let (top, inner) = match events.split_once(" ; inside TRANSACTION_PAYLOAD: ") {
            Some((t, i)) => (t, i),
            None => (events, ""),
        };
        let crcs = checksum
            .split_once("(")
            .and_then(|(_, rest)| rest.split(" event CRCs ok").next())
            .and_then(|n| n.trim().parse().ok());
        out.insert(
            path,
            Expected {
                top: counts(top),
                inner: counts(inner),
                crcs,
            },
        );
    }
    out
}

/// `QUERY(2)x111, ROTATE(4)x1` -> {2: 111, 4: 1}.
fn counts(list: &str) -> BTreeMap<u8, usize> {
    let mut out = BTreeMap::new();
    for item in list.split(", ").filter(|s| s.contains(")x")) {
        let (code, count) = item.rsplit_once(")x").expect("NAME(code)xN");
        let code = code.rsplit_once('(').expect("(code").1;
        out.insert(code.parse().expect("code"), count.trim().parse().expect("count"));
    }
    out
}
