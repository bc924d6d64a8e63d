//! Field values of real events from the corpus, checked against the `mysqlbinlog` dumps,
//! `SHOW BINLOG EVENTS` output and the values rust_mysql_common asserts (PROVENANCE.md §2).

mod corpus;

use binlog_proto::event::{ChecksumAlgorithm, Event, EventType, PayloadCompression, ServerFlavor};
use binlog_proto::file::{BinlogFile, FileEvent};
use binlog_proto::gtid::GtidSet;

/// All events of a corpus file, decoded; inner payload events are appended after their
/// payload, with the payload's offset.
fn events(path: &str) -> Vec<(u64, EventType, String)> {
    let bytes = corpus::read(path);
    let mut out = Vec::new();
    let mut file = BinlogFile::new(&bytes).unwrap();
    while let Some(event) = file.next() {
        let event = event.unwrap_or_else(|e| panic!("{path}: {e}"));
        out.push((
            event.offset,
            event.header.event_type,
            format!("{:?}", event.event),
        ));
        if let Event::TransactionPayload(payload) = &event.event {
            for inner in payload.events(file.decoder_mut()) {
                let inner = inner.unwrap();
                out.push((
                    event.offset,
                    inner.header.event_type,
                    format!("{:?}", inner.event),
                ));
            }
        }
    }
    out
}

/// Calls `check` on the event at `offset` of `path`.
fn at(path: &str, offset: u64, check: impl FnOnce(&FileEvent<'_>)) {
    let bytes = corpus::read(path);
    let event = BinlogFile::new(&bytes)
        .unwrap()
        .map(|e| e.unwrap())
        .find(|e| e.offset == offset)
        .unwrap_or_else(|| panic!("{path}: no event at {offset}"));
    check(&event);
}

const CDC57: &str = "mysql-cdc-rs/tests/events/5.7";

#[test]
fn format_description_5_7() {
    // dump.txt: "Start: binlog v 4, server v 5.7.30-log", CRC32 0x995ec6cd, created 0x5f22e5c8.
    at(&format!("{CDC57}/14_user_var/log.bin"), 4, |e| {
        let Event::FormatDescription(fde) = &e.event else {
            panic!("{:?}", e.event)
        };
        assert_eq!(fde.binlog_version, 4);
        assert_eq!(fde.server_version, "5.7.30-log");
        assert_eq!(fde.create_timestamp, 0x5f22e5c8);
        assert_eq!(fde.header_len, 19);
        assert_eq!(fde.checksum, Some(ChecksumAlgorithm::CRC32));
        assert_eq!((fde.version(), fde.flavor()), ((5, 7, 30), ServerFlavor::MySql));
        assert_eq!(fde.post_header_lengths().len(), 38);
        assert_eq!(fde.post_header_len(EventType::QUERY_EVENT), 13);
        assert_eq!(fde.post_header_len(EventType::GTID_LOG_EVENT), 42);
        assert_eq!(fde.post_header_len(EventType::WRITE_ROWS_EVENT), 10);
        assert_eq!(e.checksum, Some(0x995ec6cd));
        assert_eq!(e.header.log_pos, 123);
    });
}

#[test]
fn format_description_in_use_flag_mariadb_and_pre_checksum_servers() {
    // The FDE of a file copied while the server ran: flag 0x1 set, CRC valid with it cleared.
    at("rust_mysql_common/test-data/binlogs/mariadb-bin.000001", 4, |e| {
        let Event::FormatDescription(fde) = &e.event else {
            panic!()
        };
        assert!(
            e.header
                .flags
                .contains(binlog_proto::event::EventFlags::BINLOG_IN_USE)
        );
        assert!(e.checksum.is_some());
        assert_eq!(fde.flavor(), ServerFlavor::MariaDb);
        assert_eq!(fde.server_version, "10.5.15-MariaDB-1:10.5.15+maria~focal-log");
        assert_eq!(fde.post_header_lengths().len(), 171);
        assert_eq!(fde.post_header_len(EventType::GTID_EVENT), 19);
        assert_eq!(fde.post_header_len(EventType::QUERY_COMPRESSED_EVENT), 13);
    });
    // MySQL 5.1: no checksum algorithm byte.
    at(
        "rust_mysql_common/test-data/binlogs/bug40482-bin.000001",
        4,
        |e| {
            let Event::FormatDescription(fde) = &e.event else {
                panic!()
            };
            assert_eq!((fde.checksum, e.checksum), (None, None));
            assert_eq!(fde.post_header_lengths().len(), 26);
        },
    );
    // 5.6.4 with binlog_checksum=NONE: algorithm byte 0, trailer not verified.
    at(
        "rust_mysql_common/test-data/binlogs/ver_trunk_row_v2.001",
        4,
        |e| {
            let Event::FormatDescription(fde) = &e.event else {
                panic!()
            };
            assert_eq!((fde.checksum, e.checksum), (Some(ChecksumAlgorithm::OFF), None));
        },
    );
}

#[test]
fn pre_ga_wl2325_builds_use_their_own_type_codes() {
    // sql/log_event.cc maps 16..22 of the 5.2.2-a_drop6 build to TABLE_MAP, the pre-GA row
    // events, XID, BEGIN_LOAD_QUERY and EXECUTE_LOAD_QUERY.
    let s = events("rust_mysql_common/test-data/binlogs/ver_5_1-wl2325_s.001");
    let kinds: Vec<(u64, EventType)> = s.iter().map(|(o, t, _)| (*o, *t)).collect();
    assert!(kinds.contains(&(411, EventType::XID_EVENT)), "{kinds:?}");
    assert!(kinds.contains(&(874, EventType::BEGIN_LOAD_QUERY_EVENT)));
    assert!(kinds.contains(&(149656, EventType::EXECUTE_LOAD_QUERY_EVENT)));
    assert!(s[4].2.contains("xid: 16"), "{}", s[4].2);
    let r = events("rust_mysql_common/test-data/binlogs/ver_5_1-wl2325_r.001");
    let kinds: Vec<EventType> = r.iter().map(|(_, t, _)| *t).collect();
    assert_eq!(
        kinds[4..10],
        [
            EventType::TABLE_MAP_EVENT,
            EventType::PRE_GA_WRITE_ROWS_EVENT,
            EventType::TABLE_MAP_EVENT,
            EventType::PRE_GA_UPDATE_ROWS_EVENT,
            EventType::TABLE_MAP_EVENT,
            EventType::PRE_GA_DELETE_ROWS_EVENT,
        ]
    );
}

#[test]
fn rotate() {
    // dump.txt: "Rotate to mysql_bin.000002  pos: 4".
    at(&format!("{CDC57}/16_xid/log.bin"), 943, |e| {
        let Event::Rotate(r) = &e.event else { panic!() };
        assert_eq!((r.position, r.next_file), (4, &b"mysql_bin.000002"[..]));
        assert_eq!(e.header.log_pos, 990);
    });
    at(
        "rust_mysql_common/test-data/binlogs/binlog_transaction_with_GTID_TAG.000001",
        541,
        |e| {
            let Event::Rotate(r) = &e.event else { panic!() };
            assert_eq!((r.position, r.next_file_lossy().as_ref()), (4, "binlog.000005"));
        },
    );
}

#[test]
fn query_schema_sql_and_status() {
    // dump.txt at 219: thread_id=12, `use default`, DROP TABLE, sql_mode=1436549152,
    // charsets 33/33/45.
    at(&format!("{CDC57}/02_query/log.bin"), 219, |e| {
        let Event::Query(q) = &e.event else { panic!() };
        assert_eq!((q.thread_id, q.exec_time, q.error_code), (12, 0, 0));
        assert_eq!(q.schema, b"default");
        assert_eq!(
            q.sql_lossy(),
            "DROP TABLE IF EXISTS `boxercrab` /* generated by server */"
        );
        let s = &q.status;
        assert_eq!(s.flags2, Some(0));
        assert_eq!(s.sql_mode, Some(1436549152));
        assert_eq!(s.catalog, Some(&b"std"[..]));
        let cs = s.charset.unwrap();
        assert_eq!((cs.client, cs.connection, cs.server), (33, 33, 45));
        let dbs: Vec<&[u8]> = s.updated_db_names.unwrap().iter().collect();
        assert_eq!(dbs, vec![&b"default"[..]]);
        assert!(s.unparsed.is_empty());
        assert_eq!(e.checksum, Some(0x5c6f88d2));
    });
    // MySQL 8.0.45 DDL: Q_DDL_LOGGED_WITH_XID, utf8mb4 default collation, sql_require_primary_key.
    at(
        "percona-binlog-server/mtr/binlog_streaming/std_data/data_80045_gtid/binlog.000001",
        234,
        |e| {
            let Event::Query(q) = &e.event else { panic!() };
            assert_eq!(q.schema, b"test");
            assert_eq!(q.sql_lossy(), "CREATE TABLE t1(id SERIAL, PRIMARY KEY(id))");
            assert_eq!(q.status.ddl_xid, Some(2));
            assert_eq!(q.status.default_collation_for_utf8mb4, Some(255));
            assert_eq!(q.status.sql_require_primary_key, Some(0));
        },
    );
}

#[test]
fn xid_values() {
    // dump.txt: "Xid = 41", "Xid = 13"; plaintext-mysql-bin.07: "Xid = 456".
    for (path, offset, xid) in [
        (format!("{CDC57}/16_xid/log.bin"), 912, 41),
        (format!("{CDC57}/29_row_query/log.bin"), 992, 13),
        (
            "zalora-binlog-parser/data/fixtures/mysql-bin.07".to_string(),
            857,
            456,
        ),
    ] {
        at(&path, offset, |e| {
            assert!(
                matches!(e.event, Event::Xid(x) if x.xid == xid),
                "{path}: {:?}",
                e.event
            );
        });
    }
}

#[test]
fn intvar_rand_user_var() {
    at(&format!("{CDC57}/05_intvar/log.bin"), 736, |e| {
        let Event::IntVar(v) = e.event else { panic!() };
        assert_eq!((v.kind, v.value), (1, 0));
    });
    at(&format!("{CDC57}/13_rand/log.bin"), 736, |e| {
        let Event::Rand(r) = e.event else { panic!() };
        assert_eq!((r.seed1, r.seed2), (694882935, 292094996));
    });
    // sql.sql: SET @val_s := "test blog"; SET @val_i := 100; SET @val_d := 1.00;
    let path = format!("{CDC57}/14_user_var/log.bin");
    at(&path, 901, |e| {
        let Event::UserVar(v) = &e.event else { panic!() };
        let value = v.value.unwrap();
        assert_eq!((v.name, value.value_type, value.charset), (&b"val_s"[..], 0, 33));
        assert_eq!(value.bytes, b"test blog");
    });
    at(&path, 952, |e| {
        let Event::UserVar(v) = &e.event else { panic!() };
        let value = v.value.unwrap();
        assert_eq!(
            (v.name, value.as_i64(), value.is_unsigned()),
            (&b"val_i"[..], Some(100), false)
        );
    });
    at(&path, 1003, |e| {
        let Event::UserVar(v) = &e.event else { panic!() };
        let value = v.value.unwrap();
        // DECIMAL: precision 3, scale 2, then 1.00 in MySQL's binary decimal (0x81 0x00).
        assert_eq!(
            (v.name, value.value_type, value.bytes),
            (&b"val_d"[..], 4, &[3, 2, 0x81, 0][..])
        );
    });
}

#[test]
fn load_data_events() {
    // dump.txt: "Begin_load_query: file_id: 1  block_len: 8" (bytes `1,"abc"\n`), then
    // Execute_load_query with file_id 1.
    let path = format!("{CDC57}/17_18_load/log.bin");
    at(&path, 304, |e| {
        let Event::BeginLoadQuery(b) = &e.event else {
            panic!()
        };
        assert_eq!((b.file_id, b.data), (1, &b"1,\"abc\"\n"[..]));
    });
    at(&path, 339, |e| {
        let Event::ExecuteLoadQuery(x) = &e.event else {
            panic!()
        };
        assert_eq!(
            (x.file_id, x.file_name_start, x.file_name_end, x.dup_handling),
            (1, 9, 37, 0)
        );
        assert_eq!(x.query.thread_id, 23);
        assert_eq!(x.query.schema, b"default");
        let sql = x.query.sql_lossy();
        // mysqlbinlog replaces this span with " LOCAL INFILE '<temporary file>' INTO".
        assert_eq!(&sql[9..37], " INFILE '/tmp/data.txt' INTO", "{sql}");
    });
    // MySQL 5.1.23: a 128 KiB first block, an APPEND_BLOCK with the rest, and the statement,
    // all with file id 2; a word of the file spans the two blocks.
    let bytes = corpus::read("rust_mysql_common/test-data/binlogs/ver_5_1_23.001");
    let mut file_data = Vec::new();
    let mut file_ids = Vec::new();
    for event in BinlogFile::new(&bytes).unwrap() {
        match event.unwrap().event {
            Event::BeginLoadQuery(b) | Event::AppendBlock(b) => {
                file_ids.push(b.file_id);
                file_data.push(b.data.len());
                if file_data.len() == 1 {
                    assert!(b.data.starts_with(b"Aarhus\nAaron\nAbaba\n"));
                    assert!(b.data.ends_with(b"\nabbrev"));
                } else {
                    assert!(b.data.starts_with(b"iate\nabbreviated\n"));
                }
            }
            Event::ExecuteLoadQuery(x) => {
                file_ids.push(x.file_id);
                assert_eq!((x.file_name_start, x.file_name_end), (9, 36));
                assert!(x.query.sql_lossy().starts_with("LOAD DATA INFILE"));
            }
            _ => {}
        }
    }
    assert_eq!((file_ids, file_data), (vec![2, 2, 2], vec![131072, 17664]));
}

#[test]
fn rows_query_stop_incident() {
    // dump.txt: "# INSERT INTO `boxercrab` (`title`) VALUES ('hahhhhhhhhh')".
    at(&format!("{CDC57}/29_row_query/log.bin"), 802, |e| {
        let Event::RowsQuery(q) = &e.event else { panic!() };
        assert_eq!(
            q.sql_lossy(),
            "INSERT INTO `boxercrab` (`title`) VALUES ('hahhhhhhhhh')"
        );
    });
    at(&format!("{CDC57}/03_stop/log.bin"), 154, |e| {
        assert!(matches!(e.event, Event::Stop))
    });
    // MySQL 5.1.30 test binlog: incident code 0x42 with an empty message, then a ROTATE.
    at(
        "rust_mysql_common/test-data/binlogs/bug40482-bin.000001",
        106,
        |e| {
            let Event::Incident(i) = e.event else { panic!() };
            assert_eq!((i.kind, i.message), (0x42, &b""[..]));
        },
    );
}

#[test]
fn mysql_gtids_5_6_5_7_8_0() {
    // 5.7 (plaintext-mysql-bin.01): GTID 10440e47-3885-11eb-ac5b-0242ac110002:6,
    // last_committed=0 sequence_number=1, CRC32 0x01ba5b9c.
    at("zalora-binlog-parser/data/gtid-fixtures/mysql-bin.01", 194, |e| {
        let Event::Gtid(g) = &e.event else { panic!() };
        assert_eq!(
            g.gtid().unwrap().to_string(),
            "10440e47-3885-11eb-ac5b-0242ac110002:6"
        );
        let clock = g.logical_clock.unwrap();
        assert_eq!((clock.last_committed, clock.sequence_number), (0, 1));
        assert_eq!(g.immediate_commit_timestamp, None);
        assert_eq!(e.checksum, Some(0x01ba5b9c));
    });
    // 5.6: 25 bytes only.
    let gtids: Vec<String> =
        events("rust_mysql_common/test-data/binlogs/binlog_transaction_with_GTID.000001")
            .into_iter()
            .filter(|(_, t, _)| *t == EventType::GTID_LOG_EVENT)
            .map(|(_, _, d)| d)
            .collect();
    assert_eq!(gtids.len(), 3);
    assert!(
        gtids.iter().all(|d| d.contains("logical_clock: None")),
        "{gtids:?}"
    );
    // 8.0.45: commit timestamps, transaction length 208, server version 80045.
    at(
        "percona-binlog-server/mtr/binlog_streaming/std_data/data_80045_gtid/binlog.000001",
        157,
        |e| {
            let Event::Gtid(g) = &e.event else { panic!() };
            assert_eq!(g.gno, 1);
            assert!(g.may_have_sbr());
            assert_eq!(g.immediate_commit_timestamp, Some(1773162714338055));
            assert_eq!(g.original_commit_timestamp, g.immediate_commit_timestamp);
            assert_eq!(g.transaction_length, Some(365 - 157));
            assert_eq!(
                (g.immediate_server_version, g.original_server_version),
                (Some(80045), Some(80045))
            );
            assert_eq!(g.commit_group_ticket, None);
        },
    );
    // 8.2 anonymous (SHOW BINLOG EVENTS: Anonymous_Gtid 157..234, Query ..369).
    at("mysql-cdc-rs/tests/events/8.0/02_query/binlog.000001", 157, |e| {
        let Event::Gtid(g) = &e.event else { panic!() };
        assert!(g.anonymous && g.gtid().is_none());
        assert_eq!(g.transaction_length, Some(369 - 157));
        assert_eq!(g.immediate_server_version, Some(80200));
    });
}

#[test]
fn gtid_tagged_and_previous_gtids_9_6() {
    let path = "rust_mysql_common/test-data/binlogs/binlog_transaction_with_GTID_TAG.000001";
    at(path, 127, |e| {
        let Event::PreviousGtids(set) = &e.event else {
            panic!()
        };
        let expected: GtidSet = "55778904-0299-11f1-b1b8-4ef0c4956feb:1-13:mytag:1-2"
            .parse()
            .unwrap();
        assert_eq!(set, &expected);
    });
    at(path, 245, |e| {
        let Event::Gtid(g) = &e.event else { panic!() };
        assert_eq!(g.tag.as_str(), "mytag");
        assert_eq!(g.gno, 3);
        assert_eq!(
            g.gtid().unwrap().to_string(),
            "55778904-0299-11f1-b1b8-4ef0c4956feb:mytag:3"
        );
        let clock = g.logical_clock.unwrap();
        assert_eq!((clock.last_committed, clock.sequence_number), (0, 1));
        // The transaction spans 245..541 (GTID_TAGGED to the XID's end).
        assert_eq!(g.transaction_length, Some(541 - 245));
        assert_eq!(g.immediate_server_version, Some(90600));
        assert_eq!(g.original_commit_timestamp, g.immediate_commit_timestamp);
        let seconds = g.immediate_commit_timestamp.unwrap() / 1_000_000;
        assert!(seconds >= u64::from(e.header.timestamp) && seconds < u64::from(e.header.timestamp) + 60);
    });
    at(
        "rust_mysql_common/test-data/binlogs/binlog_transaction_previous_GTID_no_tag.000001",
        126,
        |e| {
            let Event::PreviousGtids(set) = &e.event else {
                panic!()
            };
            assert_eq!(set.to_string(), "b9b88c66-0755-11f1-9899-4a9da94c4d71:1-2");
        },
    );
    // plaintext-mysql-bin.01: "Previous-GTIDs # 10440e47-3885-11eb-ac5b-0242ac110002:1-5".
    at("zalora-binlog-parser/data/gtid-fixtures/mysql-bin.01", 123, |e| {
        let Event::PreviousGtids(set) = &e.event else {
            panic!()
        };
        assert_eq!(set.to_string(), "10440e47-3885-11eb-ac5b-0242ac110002:1-5");
    });
}

#[test]
fn transaction_payload_inner_events() {
    // transaction_compression.000001 (8.0.32): zstd, 124 -> 179 bytes; QUERY, TABLE_MAP,
    // WRITE_ROWS (v2), XID inside.
    let path = "rust_mysql_common/test-data/binlogs/transaction_compression.000001";
    let bytes = corpus::read(path);
    let mut file = BinlogFile::new(&bytes).unwrap();
    let payload_event = file
        .by_ref()
        .map(|e| e.unwrap())
        .find(|e| e.offset == 274)
        .unwrap();
    let Event::TransactionPayload(payload) = &payload_event.event else {
        panic!()
    };
    assert_eq!(payload.compression, PayloadCompression::ZSTD);
    assert_eq!(
        (payload.payload_size, payload.uncompressed_size),
        (124, Some(179))
    );
    assert_eq!(payload.data().len(), 179);
    let inner: Vec<_> = payload.events(file.decoder_mut()).map(|e| e.unwrap()).collect();
    let types: Vec<EventType> = inner.iter().map(|e| e.header.event_type).collect();
    assert_eq!(
        types,
        [
            EventType::QUERY_EVENT,
            EventType::TABLE_MAP_EVENT,
            EventType::WRITE_ROWS_EVENT,
            EventType::XID_EVENT
        ]
    );
    assert!(matches!(&inner[0].event, Event::Query(q) if &*q.sql == b"BEGIN" && q.schema == b"test"));
    assert!(matches!(inner[3].event, Event::Xid(x) if x.xid == 462));
    // The TABLE_MAP inside went into the decoder's maps, and the row decodes against it.
    let Event::TableMap(map) = &inner[1].event else {
        panic!()
    };
    assert_eq!((map.schema(), map.table(), map.table_id()), ("test", "tb1", 88));
    assert!(file.decoder().table_maps().get(88).is_some());
    let Event::Rows(rows) = &inner[2].event else {
        panic!()
    };
    let values: Vec<String> = rows
        .rows()
        .map(|r| r.unwrap().after().unwrap().get(0).unwrap().to_string())
        .collect();
    assert_eq!(values, ["1"]);
    assert!(inner.iter().all(|e| e.checksum.is_none()));
}

#[test]
fn mariadb_gtid_list_checkpoint_annotate() {
    // plaintext-mysql-bin.07 (MariaDB 10.0.15): "Gtid list [0-3704-2814]",
    // "Binlog checkpoint mysql-bin.000015", "GTID 0-3704-2815", "GTID 0-3704-2816".
    let path = "zalora-binlog-parser/data/fixtures/mysql-bin.07";
    at(path, 248, |e| {
        let Event::MariadbGtidList(list) = &e.event else {
            panic!()
        };
        let gtids: Vec<String> = list.gtids.iter().map(ToString::to_string).collect();
        assert_eq!((gtids, list.flags), (vec!["0-3704-2814".to_string()], 0));
    });
    at(path, 287, |e| {
        let Event::BinlogCheckpoint(c) = &e.event else {
            panic!()
        };
        assert_eq!(c.file, b"mysql-bin.000015");
    });
    at(path, 326, |e| {
        let Event::MariadbGtid(g) = &e.event else { panic!() };
        assert_eq!(g.gtid.to_string(), "0-3704-2815");
        // A DDL statement: standalone (10.0 predates FL_DDL).
        assert_eq!(g.flags, binlog_proto::event::MariadbGtidEvent::FL_STANDALONE);
        assert!(g.is_standalone() && !g.is_ddl());
    });
    at(path, 627, |e| {
        let Event::MariadbGtid(g) = &e.event else { panic!() };
        assert_eq!(g.gtid.to_string(), "0-3704-2816");
        assert!(!g.is_standalone(), "flags {:#x}", g.flags);
        assert_eq!((g.commit_id, g.xid, g.flags_extra), (None, None, 0));
    });
    // mariadb-bin.000001 (10.5.15): ANNOTATE_ROWS holds the INSERT.
    at(
        "rust_mysql_common/test-data/binlogs/mariadb-bin.000001",
        372,
        |e| {
            let Event::AnnotateRows(a) = &e.event else {
                panic!()
            };
            assert_eq!(
                String::from_utf8_lossy(a.sql),
                "insert into outbox (topic, event_type, event) values ('foo', 'JSON', '{\"foo\":1}')"
            );
        },
    );
}

#[test]
fn mariadb_11_8_files_chain_their_gtids_across_rotations() {
    // Consecutive binlogs of one server: each ROTATE names the next file, and the GTID_LIST
    // at the start of each file holds the last GTID of the previous one.
    let dir = "mariadb-poc/mariadb-binlog/binlogs/domain_id_0";
    let mut previous_last: Option<String> = None;
    let mut server_id = None;
    for n in 5..=7 {
        let path = format!("{dir}/mariadb-repl-bin.00000{n}");
        let bytes = corpus::read(&path);
        let mut list = None;
        let mut last = None;
        let mut rotate = None;
        let mut seqs = Vec::new();
        for event in BinlogFile::new(&bytes).unwrap() {
            match event.unwrap().event {
                Event::MariadbGtidList(l) => list = Some(l),
                Event::MariadbGtid(g) => {
                    assert_eq!(g.gtid.domain_id, 0, "{path}");
                    assert_eq!(*server_id.get_or_insert(g.gtid.server_id), g.gtid.server_id);
                    seqs.push(g.gtid.seq_no);
                    last = Some(g.gtid.to_string());
                }
                Event::Rotate(r) => rotate = Some(r.next_file_lossy().into_owned()),
                _ => {}
            }
        }
        assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{path}: {seqs:?}");
        assert_eq!(
            rotate.as_deref(),
            Some(format!("mariadb-repl-bin.00000{}", n + 1).as_str())
        );
        let list = list.expect("GTID_LIST");
        if let Some(prev) = previous_last {
            assert_eq!(list.gtids.last().map(ToString::to_string), Some(prev), "{path}");
        }
        previous_last = last;
    }
}
