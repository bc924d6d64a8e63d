//! Encoding and decoding checkpoints: fixed cases, generated values, and the example in
//! docs/checkpoints.md.

use binlog_checkpoint::gtid::{GtidSet, Interval, MariadbGtid, MariadbGtidList, Tag, Uuid};
use binlog_checkpoint::{Checkpoint, FileStore, Flavor, GtidState, InvalidCheckpoint};
use proptest::prelude::*;

const UUID_A: &str = "55778904-0299-11f1-b1b8-4ef0c4956feb";
const UUID_B: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";

fn round_trip(checkpoint: &Checkpoint) -> Checkpoint {
    let text = checkpoint.encode().unwrap();
    Checkpoint::decode(text.as_bytes()).unwrap()
}

fn round_trip_through_file(checkpoint: &Checkpoint) -> Checkpoint {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path().join("checkpoint"));
    store.save_blocking(checkpoint).unwrap();
    store.load_blocking().unwrap().unwrap()
}

#[test]
fn mysql_with_tagged_gtids_round_trips() {
    let set: GtidSet = format!("{UUID_A}:1-13:mytag:1-2:5,{UUID_B}:1-100:200-300")
        .parse()
        .unwrap();
    assert!(set.has_tags());
    let checkpoint = Checkpoint::new(Flavor::Mysql, "binlog.000123", 98_765_432_100)
        .with_gtid(GtidState::Mysql(set.clone()))
        .with_server_id(4_294_967_295)
        .with_server_uuid(UUID_A.parse().unwrap())
        .with_saved_at(1_767_225_600);
    let text = checkpoint.encode().unwrap();
    assert!(
        text.contains(&format!(
            "\ngtid_set = {UUID_B}:1-100:200-300,{UUID_A}:1-13:mytag:1-2:5\n"
        )),
        "{text}"
    );
    assert!(text.contains(&format!("\nserver_uuid = {UUID_A}\n")), "{text}");
    let back = round_trip(&checkpoint);
    assert_eq!(back, checkpoint);
    assert_eq!(back.gtid, Some(GtidState::Mysql(set)));
    assert_eq!(round_trip_through_file(&checkpoint), checkpoint);
}

#[test]
fn mariadb_gtid_list_round_trips() {
    let list: MariadbGtidList = "0-1-100,1-2-5,4294967295-4294967295-18446744073709551615"
        .parse()
        .unwrap();
    let checkpoint = Checkpoint::new(Flavor::Mariadb, "mysql-bin.000003", 4)
        .with_gtid(GtidState::Mariadb(list.clone()))
        .with_server_id(1);
    let text = checkpoint.encode().unwrap();
    assert!(text.contains("\nflavor = mariadb\n"), "{text}");
    assert!(text.contains(&format!("\ngtid_pos = {list}\n")), "{text}");
    assert!(
        !text.contains("server_uuid") && !text.contains("saved_at"),
        "{text}"
    );
    assert_eq!(round_trip(&checkpoint), checkpoint);
    assert_eq!(round_trip_through_file(&checkpoint), checkpoint);
}

#[test]
fn file_and_position_only_round_trips() {
    for flavor in [Flavor::Mysql, Flavor::Mariadb] {
        let checkpoint = Checkpoint::new(flavor, "host name with spaces-bin.000001", u64::MAX);
        let text = checkpoint.encode().unwrap();
        assert!(!text.contains("gtid"), "{text}");
        assert_eq!(round_trip(&checkpoint), checkpoint);
        assert_eq!(round_trip_through_file(&checkpoint), checkpoint);
    }
}

#[test]
fn empty_gtid_state_is_kept_apart_from_no_gtid_state() {
    let mysql =
        Checkpoint::new(Flavor::Mysql, "binlog.000001", 157).with_gtid(GtidState::Mysql(GtidSet::new()));
    let mariadb = Checkpoint::new(Flavor::Mariadb, "mysql-bin.000001", 328)
        .with_gtid(GtidState::Mariadb(MariadbGtidList::new()));
    assert!(mysql.encode().unwrap().contains("\ngtid_set =\n"));
    assert!(mariadb.encode().unwrap().contains("\ngtid_pos =\n"));
    for checkpoint in [mysql, mariadb] {
        let back = round_trip(&checkpoint);
        assert!(back.gtid.as_ref().is_some_and(GtidState::is_empty));
        assert_eq!(back, checkpoint);
    }
}

#[test]
fn invalid_checkpoints_are_not_encoded() {
    let cases = [
        (
            Checkpoint::new(Flavor::Mysql, "", 4),
            InvalidCheckpoint::EmptyBinlogFile,
        ),
        (
            Checkpoint::new(Flavor::Mysql, "a".repeat(513), 4),
            InvalidCheckpoint::BinlogFileTooLong { len: 513 },
        ),
        (
            Checkpoint::new(Flavor::Mysql, "bin.000001\nflavor = mariadb", 4),
            InvalidCheckpoint::ControlCharacterInBinlogFile,
        ),
        (
            Checkpoint::new(Flavor::Mysql, "bin.000001", 4)
                .with_gtid(GtidState::Mariadb(MariadbGtidList::new())),
            InvalidCheckpoint::FlavorMismatch {
                flavor: Flavor::Mysql,
                gtid_flavor: Flavor::Mariadb,
            },
        ),
    ];
    for (checkpoint, expected) in cases {
        assert_eq!(checkpoint.encode(), Err(expected.clone()));
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("checkpoint"));
        let error = store.save_blocking(&checkpoint).unwrap_err();
        assert!(
            matches!(&error, binlog_checkpoint::Error::Invalid(e) if *e == expected),
            "{error}"
        );
        assert!(!store.path().exists() && !store.temp_path().exists());
    }
    assert!(
        Checkpoint::new(Flavor::Mysql, "a".repeat(512), 4)
            .encode()
            .is_ok()
    );
}

/// The example file in docs/checkpoints.md is exactly what this build writes for it.
#[test]
fn documented_example_matches_the_encoder() {
    let doc = include_str!("../../../docs/checkpoints.md");
    let start = doc
        .find("```text\n# binlog-checkpoint")
        .expect("example block in docs/checkpoints.md");
    let block = &doc[start + "```text\n".len()..];
    let example = &block[..block.find("```").unwrap()];
    let decoded = Checkpoint::decode(example.as_bytes()).unwrap();
    assert_eq!(decoded.encode().unwrap(), example);
    assert_eq!(decoded.flavor, Flavor::Mysql);
    assert_eq!(decoded.binlog_position, 8_807);
}

fn arb_uuid() -> impl Strategy<Value = Uuid> {
    // A few UUIDs, so that sets often hold several tags and ranges of one UUID.
    prop_oneof![
        Just(UUID_A.parse().unwrap()),
        Just(UUID_B.parse().unwrap()),
        any::<[u8; 16]>().prop_map(Uuid)
    ]
}

fn arb_tag() -> impl Strategy<Value = Tag> {
    prop_oneof![
        2 => Just(Tag::untagged()),
        1 => "[a-z_][a-z0-9_]{0,31}".prop_map(|t| Tag::new(&t).unwrap()),
    ]
}

fn arb_gtid_set() -> impl Strategy<Value = GtidSet> {
    let gno = 1..binlog_checkpoint::gtid::GNO_END;
    proptest::collection::vec((arb_uuid(), arb_tag(), gno.clone(), 0u64..1_000_000), 0..8).prop_map(|parts| {
        let mut set = GtidSet::new();
        for (uuid, tag, start, len) in parts {
            let end = start
                .saturating_add(len)
                .saturating_add(1)
                .min(binlog_checkpoint::gtid::GNO_END);
            if let Ok(interval) = Interval::new(start, end) {
                set.add_interval(uuid, tag, interval);
            }
        }
        set
    })
}

fn arb_mariadb_list() -> impl Strategy<Value = MariadbGtidList> {
    proptest::collection::vec(any::<(u32, u32, u64)>(), 0..6).prop_map(|gtids| {
        gtids
            .into_iter()
            .map(|(domain_id, server_id, seq_no)| MariadbGtid {
                domain_id,
                server_id,
                seq_no,
            })
            .collect()
    })
}

fn arb_checkpoint() -> impl Strategy<Value = Checkpoint> {
    let gtid = prop_oneof![
        Just(None),
        arb_gtid_set().prop_map(|s| Some(GtidState::Mysql(s))),
        arb_mariadb_list().prop_map(|l| Some(GtidState::Mariadb(l))),
    ];
    (
        // Any printable name, spaces at either end and non-ASCII included.
        "[^\\p{Cc}]{1,120}",
        any::<u64>(),
        gtid,
        any::<Option<u32>>(),
        any::<Option<[u8; 16]>>(),
        any::<Option<u64>>(),
        any::<bool>(),
    )
        .prop_map(
            |(file, position, gtid, server_id, uuid, saved_at, mysql_without_gtid)| {
                let flavor = match &gtid {
                    Some(state) => state.flavor(),
                    None if mysql_without_gtid => Flavor::Mysql,
                    None => Flavor::Mariadb,
                };
                let mut checkpoint = Checkpoint::new(flavor, file, position);
                checkpoint.gtid = gtid;
                checkpoint.server_id = server_id;
                checkpoint.server_uuid = uuid.map(Uuid);
                checkpoint.saved_at = saved_at;
                checkpoint
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn generated_checkpoints_round_trip(checkpoint in arb_checkpoint()) {
        let text = checkpoint.encode().unwrap();
        prop_assert_eq!(Checkpoint::decode(text.as_bytes()).unwrap(), checkpoint.clone());
        // Encoding is a function of the value: decoding and encoding again gives the same bytes.
        prop_assert_eq!(Checkpoint::decode(text.as_bytes()).unwrap().encode().unwrap(), text);
    }
}

proptest! {
    // Each case writes and syncs a file: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn generated_checkpoints_round_trip_through_files(checkpoint in arb_checkpoint()) {
        prop_assert_eq!(round_trip_through_file(&checkpoint), checkpoint);
    }
}
