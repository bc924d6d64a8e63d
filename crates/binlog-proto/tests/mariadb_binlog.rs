//! Reads the binlog files a real MariaDB (the test harness's) writes, with the file reader:
//! every event decodes, checksums verify, rotations name the next file, GTIDs match the
//! server's own view, and the last event ends where `SHOW MASTER STATUS` says.

use std::path::Path;

use binlog_proto::Error;
use binlog_proto::event::{ChecksumAlgorithm, Event, EventType, MariadbGtidEvent};
use binlog_proto::file::{BINLOG_MAGIC, BinlogFile};
use binlog_testkit::Server;

/// A row image's values as text; `None` when the event has no such image.
type Image = Option<Vec<String>>;

/// One row: schema, table, before image, after image.
type RowText = (String, String, Image, Image);

/// What a server's binlog files hold, summarised.
#[derive(Debug, Default)]
struct Binlogs {
    /// (file name, size) of each file.
    files: Vec<(String, u64)>,
    /// Every MariaDB GTID, in order: (domain, server, seq, flags).
    gtids: Vec<(u32, u32, u64, u8)>,
    /// (type, schema, SQL) of every QUERY / QUERY_COMPRESSED event.
    queries: Vec<(EventType, String, String)>,
    /// The event types of every event of every file.
    types: Vec<EventType>,
    /// ANNOTATE_ROWS statements.
    annotations: Vec<String>,
    /// Events that carried a verified CRC32.
    crcs: usize,
    /// Events in total.
    events: usize,
    /// Every row: (schema, table, before image, after image), values as text.
    rows: Vec<RowText>,
    /// Checksum algorithm of each file's FORMAT_DESCRIPTION.
    algorithms: Vec<Option<ChecksumAlgorithm>>,
}

/// Decodes every binlog file of `server`; checks framing and rotations on the way.
fn read_binlogs(server: &Server) -> Binlogs {
    let paths = server.binlog_files();
    assert!(!paths.is_empty(), "no binlog files");
    let mut out = Binlogs::default();
    for (i, path) in paths.iter().enumerate() {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(bytes.starts_with(&BINLOG_MAGIC));
        let name = file_name(path);
        let mut file = BinlogFile::new(&bytes).unwrap();
        let mut rotate_to = None;
        let mut end = 4;
        for event in file.by_ref() {
            let event = event.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(event.offset, end, "{name}: events are back to back");
            assert_eq!(
                u64::from(event.header.log_pos),
                event.end_offset(),
                "{name}: log_pos"
            );
            end = event.end_offset();
            out.events += 1;
            out.crcs += usize::from(event.checksum.is_some());
            out.types.push(event.header.event_type);
            match &event.event {
                Event::FormatDescription(fde) => out.algorithms.push(fde.checksum),
                Event::MariadbGtid(g) => {
                    assert_eq!(g.gtid.server_id, event.header.server_id);
                    out.gtids
                        .push((g.gtid.domain_id, g.gtid.server_id, g.gtid.seq_no, g.flags));
                }
                Event::Query(q) => out.queries.push((
                    event.header.event_type,
                    q.schema_lossy().into_owned(),
                    q.sql_lossy().into_owned(),
                )),
                Event::AnnotateRows(a) => out.annotations.push(String::from_utf8_lossy(a.sql).into_owned()),
                Event::Rotate(r) => rotate_to = Some((r.next_file_lossy().into_owned(), r.position)),
                Event::Rows(rows) => {
                    let table = rows.table();
                    for row in rows.rows() {
                        let row = row.unwrap_or_else(|e| panic!("{name} at {}: {e}", event.offset));
                        let text = |image: Option<binlog_proto::event::rows::RowImage<'_>>| {
                            image.map(|i| i.values().map(|(_, v)| v.to_string()).collect::<Vec<_>>())
                        };
                        out.rows.push((
                            table.schema().to_owned(),
                            table.table().to_owned(),
                            text(row.before()),
                            text(row.after()),
                        ));
                    }
                }
                Event::Unknown { event_type, .. } => {
                    panic!("{name}: undecoded {event_type} at {}", event.offset)
                }
                _ => {}
            }
        }
        assert_eq!(end, bytes.len() as u64, "{name}: the last event ends the file");
        match paths.get(i + 1) {
            Some(next) => assert_eq!(rotate_to, Some((file_name(next), 4)), "{name}: ROTATE"),
            None => assert_eq!(rotate_to, None, "{name}: the active file has no ROTATE"),
        }
        out.files.push((name, bytes.len() as u64));
    }
    out
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// `0-1-25` -> (0, 1, 25) for each domain of a MariaDB GTID position.
fn parse_gtid_pos(text: &str) -> Vec<(u32, u32, u64)> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|g| {
            let parts: Vec<&str> = g.trim().split('-').collect();
            (
                parts[0].parse().unwrap(),
                parts[1].parse().unwrap(),
                parts[2].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn shared_server_binlogs_decode_completely() {
    let server = Server::shared();
    let db = server.fresh_database("events");
    server.exec(&format!(
        "CREATE TABLE `{db}`.t (id INT PRIMARY KEY, name VARCHAR(40), amount DECIMAL(10,2));
         BEGIN;
         INSERT INTO `{db}`.t VALUES (1, 'first', 1.50), (2, 'second', 2.25);
         UPDATE `{db}`.t SET amount = amount * 2 WHERE id = 1;
         COMMIT;
         ALTER TABLE `{db}`.t ADD COLUMN note TEXT;
         FLUSH BINARY LOGS;
         BEGIN;
         INSERT INTO `{db}`.t VALUES (3, 'third', 3.00, 'after the rotation');
         DELETE FROM `{db}`.t WHERE id = 2;
         COMMIT;
         SET @v := 7;
         INSERT INTO `{db}`.t VALUES (@v, 'seven', 7.00, NULL);"
    ));
    let (status_file, status_pos) = server.master_status();
    let gtid_binlog_pos = server.query_value("SELECT @@gtid_binlog_pos").unwrap();
    let binlogs = read_binlogs(server);

    // The active file is SHOW MASTER STATUS's, and its last event ends at its position.
    let (last_name, last_size) = binlogs.files.last().unwrap();
    assert_eq!((last_name, *last_size), (&status_file, status_pos));
    assert!(
        binlogs.files.len() >= 2,
        "FLUSH BINARY LOGS rotated: {:?}",
        binlogs.files
    );

    // Every event, FORMAT_DESCRIPTIONs included, carries a verified CRC32.
    assert_eq!(binlogs.crcs, binlogs.events);
    assert!(
        binlogs
            .algorithms
            .iter()
            .all(|a| *a == Some(ChecksumAlgorithm::CRC32))
    );

    // GTIDs: one domain, this server, sequence numbers without gaps; the last one is the
    // server's @@gtid_binlog_pos.
    assert!(
        binlogs.gtids.iter().all(|g| (g.0, g.1) == (0, 1)),
        "{:?}",
        binlogs.gtids
    );
    let seqs: Vec<u64> = binlogs.gtids.iter().map(|g| g.2).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    let last = binlogs.gtids.last().unwrap();
    assert_eq!(parse_gtid_pos(&gtid_binlog_pos), vec![(last.0, last.1, last.2)]);

    // The workload's statements, in order, with their schema.
    let ours: Vec<&(EventType, String, String)> = binlogs
        .queries
        .iter()
        .filter(|(_, _, sql)| sql.contains(&db))
        .collect();
    let ddl: Vec<&str> = ours.iter().map(|(_, _, sql)| sql.as_str()).collect();
    assert_eq!(
        ddl,
        [
            format!("CREATE DATABASE `{db}`"),
            format!("CREATE TABLE `{db}`.t (id INT PRIMARY KEY, name VARCHAR(40), amount DECIMAL(10,2))"),
            format!("ALTER TABLE `{db}`.t ADD COLUMN note TEXT"),
        ]
    );
    assert_eq!(ours[0].1, db, "CREATE DATABASE runs in its own schema");
    // Row-based DML appears as ANNOTATE_ROWS (binlog_annotate_row_events is on by default).
    let annotated: Vec<&String> = binlogs.annotations.iter().filter(|a| a.contains(&db)).collect();
    assert_eq!(annotated.len(), 5, "{annotated:?}");
    assert!(annotated[0].starts_with("INSERT INTO"), "{annotated:?}");
    assert!(annotated[1].starts_with("UPDATE"), "{annotated:?}");

    // Every row image, value by value, as the workload wrote it.
    let ours: Vec<(Image, Image)> = binlogs
        .rows
        .iter()
        .filter(|(schema, table, _, _)| *schema == db && table == "t")
        .map(|(_, _, before, after)| (before.clone(), after.clone()))
        .collect();
    let image = |values: &[&str]| Some(values.iter().map(|v| v.to_string()).collect::<Vec<_>>());
    assert_eq!(
        ours,
        vec![
            (None, image(&["1", "first", "1.50"])),
            (None, image(&["2", "second", "2.25"])),
            (image(&["1", "first", "1.50"]), image(&["1", "first", "3.00"])),
            (None, image(&["3", "third", "3.00", "after the rotation"])),
            (image(&["2", "second", "2.25", "NULL"]), None),
            (None, image(&["7", "seven", "7.00", "NULL"])),
        ]
    );

    // The DDL GTIDs are standalone DDL groups; the transactions are transactional.
    let ddl_gtids = binlogs
        .gtids
        .iter()
        .filter(|g| g.3 & MariadbGtidEvent::FL_DDL != 0)
        .count();
    assert!(
        ddl_gtids >= 3,
        "CREATE DATABASE, CREATE TABLE, ALTER TABLE: {:?}",
        binlogs.gtids
    );
    assert!(binlogs.types.contains(&EventType::GTID_LIST_EVENT));
    assert!(binlogs.types.contains(&EventType::BINLOG_CHECKPOINT_EVENT));
    assert!(binlogs.types.contains(&EventType::XID_EVENT));
}

#[test]
fn compressed_binlog_queries_decompress() {
    let server = Server::builder()
        .arg("--log-bin-compress=ON")
        .arg("--log-bin-compress-min-len=10")
        .start()
        .unwrap_or_else(|e| panic!("{e}"));
    let db = server.fresh_database("compressed");
    // Long enough to be compressed (the client strips /* comments */, so a table comment).
    let comment = "x".repeat(300);
    let create = format!("CREATE TABLE `{db}`.t (id INT PRIMARY KEY, payload TEXT) COMMENT '{comment}'");
    server.exec(&format!(
        "{create};
         INSERT INTO `{db}`.t VALUES (1, REPEAT('a', 1000)), (2, 'b');
         FLUSH BINARY LOGS;
         UPDATE `{db}`.t SET payload = 'c' WHERE id = 2;"
    ));
    let (status_file, status_pos) = server.master_status();
    let binlogs = read_binlogs(&server);
    assert_eq!(binlogs.files.last().unwrap(), &(status_file, status_pos));
    // The compressed CREATE TABLE comes back byte for byte.
    assert!(
        binlogs
            .queries
            .iter()
            .any(|(t, _, sql)| *t == EventType::QUERY_COMPRESSED_EVENT && *sql == create),
        "{:?}",
        binlogs.queries
    );
    // Row events are compressed too (MariaDB 166-171), and decode to the values written.
    assert!(
        binlogs.types.iter().any(|t| (166..=171).contains(&t.0)),
        "{:?}",
        binlogs.types
    );
    let after: Vec<Image> = binlogs
        .rows
        .iter()
        .filter(|(schema, _, _, _)| *schema == db)
        .map(|(_, _, _, after)| after.clone())
        .collect();
    assert_eq!(
        after,
        vec![
            Some(vec!["1".to_string(), "a".repeat(1000)]),
            Some(vec!["2".to_string(), "b".to_string()]),
            Some(vec!["2".to_string(), "c".to_string()]),
        ]
    );
    assert_eq!(binlogs.crcs, binlogs.events);
}

#[test]
fn binlogs_without_checksums() {
    let server = Server::builder()
        .arg("--binlog-checksum=NONE")
        .start()
        .unwrap_or_else(|e| panic!("{e}"));
    let db = server.fresh_database("nocrc");
    server.exec(&format!(
        "CREATE TABLE `{db}`.t (id INT PRIMARY KEY);
         INSERT INTO `{db}`.t VALUES (1), (2);
         FLUSH BINARY LOGS;
         INSERT INTO `{db}`.t VALUES (3);"
    ));
    let (status_file, status_pos) = server.master_status();
    let binlogs = read_binlogs(&server);
    assert_eq!(binlogs.files.last().unwrap(), &(status_file, status_pos));
    assert_eq!(binlogs.crcs, 0);
    assert!(
        binlogs
            .algorithms
            .iter()
            .all(|a| *a == Some(ChecksumAlgorithm::OFF)),
        "{:?}",
        binlogs.algorithms
    );
    assert!(
        binlogs
            .queries
            .iter()
            .any(|(_, _, sql)| sql.starts_with("CREATE TABLE"))
    );
}

#[test]
fn encrypted_binlogs_are_reported_not_misread() {
    let keys = std::env::temp_dir().join(format!("binlog-proto-keys-{}.txt", std::process::id()));
    std::fs::write(
        &keys,
        "1;a7addd9adea9978fda19f21e6be987880e68ac92632ca052e5bb42b1a506939a\n",
    )
    .unwrap();
    let server = Server::builder()
        .arg("--plugin-load-add=file_key_management")
        .arg(format!("--file-key-management-filename={}", keys.display()))
        .arg("--encrypt-binlog=ON")
        .start()
        .unwrap_or_else(|e| panic!("{e}"));
    let db = server.fresh_database("encrypted");
    server.exec(&format!(
        "CREATE TABLE `{db}`.t (id INT PRIMARY KEY); INSERT INTO `{db}`.t VALUES (1);"
    ));
    let path = server.binlog_files().pop().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_file(&keys);
    let mut file = BinlogFile::new(&bytes).unwrap();
    let fde = file.next().unwrap().unwrap();
    assert!(matches!(fde.event, Event::FormatDescription(_)));
    let start = file.next().unwrap().unwrap();
    let Event::StartEncryption(info) = start.event else {
        panic!("{:?}", start.event)
    };
    assert_eq!((info.scheme, info.key_version), (1, 1));
    let err = file.next().unwrap().unwrap_err();
    assert_eq!(
        err,
        Error::Encrypted {
            offset: start.end_offset()
        }
    );
    assert!(file.next().is_none());
}
