//! Damaged, truncated, foreign and future checkpoint files are refused with a clear error.

use std::fs;
use std::path::Path;

use binlog_checkpoint::{Checkpoint, Corruption, DecodeError, Error, FileStore, Flavor, GtidState};

fn sample() -> Checkpoint {
    let gtids =
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-57:audit:1-3,55778904-0299-11f1-b1b8-4ef0c4956feb:1-12"
            .parse()
            .unwrap();
    Checkpoint::new(Flavor::Mysql, "binlog.000042", 8_807)
        .with_gtid(GtidState::Mysql(gtids))
        .with_server_id(1)
        .with_server_uuid("3e11fa47-71ca-11e1-9e33-c80aa9429562".parse().unwrap())
        .with_saved_at(1_767_225_600)
}

/// A file body with a correct checksum line appended.
fn sealed(body: &str) -> String {
    format!("{body}checksum = {:08x}\n", crc32fast::hash(body.as_bytes()))
}

fn store_with(bytes: &[u8]) -> (tempfile::TempDir, FileStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path().join("replica.checkpoint"));
    fs::write(store.path(), bytes).unwrap();
    (dir, store)
}

#[test]
fn every_single_byte_change_is_rejected() {
    let good = sample().encode().unwrap().into_bytes();
    let mut rejected = 0usize;
    for at in 0..good.len() {
        for flip in 1..=255u8 {
            let mut bad = good.clone();
            bad[at] ^= flip;
            match Checkpoint::decode(&bad) {
                Err(DecodeError::Corrupt(_)) => rejected += 1,
                other => panic!("byte {at} xor {flip:#04x} gave {other:?}"),
            }
        }
    }
    assert_eq!(rejected, good.len() * 255);
    println!("{} bytes x 255 changes: all {rejected} rejected", good.len());
}

#[test]
fn every_truncation_is_rejected() {
    let good = sample().encode().unwrap().into_bytes();
    for len in 0..good.len() {
        match Checkpoint::decode(&good[..len]) {
            Err(DecodeError::Corrupt(_)) => {}
            other => panic!("truncated to {len} bytes gave {other:?}"),
        }
    }
    assert!(Checkpoint::decode(&good).is_ok());
}

#[test]
fn damaged_files_are_reported_with_their_path_and_problem() {
    let good = sample().encode().unwrap();
    let flipped = good.replacen("8807", "8817", 1);
    let (_dir, store) = store_with(flipped.as_bytes());
    let error = store.load_blocking().unwrap_err();
    let message = error.to_string();
    match &error {
        Error::Corrupt {
            path,
            problem: Corruption::ChecksumMismatch { stored, computed },
        } => {
            assert_eq!(path, store.path());
            assert_eq!(
                *stored,
                crc32fast::hash(&good.as_bytes()[..good.find("checksum = ").unwrap()])
            );
            assert_ne!(stored, computed);
        }
        other => panic!("{other:?}"),
    }
    assert!(message.contains(&store.path().display().to_string()), "{message}");
    assert!(message.contains("checksum mismatch"), "{message}");

    let (_dir, store) = store_with(&good.as_bytes()[..good.len() - 1]);
    let message = store.load_blocking().unwrap_err().to_string();
    assert!(
        message.contains("replica.checkpoint") && message.contains("truncated"),
        "{message}"
    );

    let (_dir, store) = store_with(b"");
    assert!(matches!(
        store.load_blocking(),
        Err(Error::Corrupt {
            problem: Corruption::Empty,
            ..
        })
    ));
}

#[test]
fn unknown_versions_get_their_own_error() {
    let good = sample().encode().unwrap();
    let body = &good[..good.find("checksum = ").unwrap()];
    for version in ["2", "0", "999999999999999999999999", "1.1", "x"] {
        let file = sealed(&body.replacen("version = 1\n", &format!("version = {version}\n"), 1));
        assert_eq!(
            Checkpoint::decode(file.as_bytes()),
            Err(DecodeError::UnsupportedVersion {
                found: version.to_owned()
            })
        );
        let (_dir, store) = store_with(file.as_bytes());
        let error = store.load_blocking().unwrap_err();
        assert!(
            matches!(&error, Error::UnsupportedVersion { path, found } if path == store.path() && found == version),
            "{error:?}"
        );
        assert!(
            error.to_string().contains(&format!("format version {version};")),
            "{error}"
        );
    }
}

#[test]
fn well_sealed_files_with_bad_fields_are_rejected() {
    let head = "# c\nversion = 1\n";
    let ok = "flavor = mysql\nbinlog_file = b.000001\nbinlog_position = 4\n";
    let cases: Vec<(String, Corruption)> = vec![
        (
            format!("{ok}version = 1\n"),
            Corruption::DuplicateField {
                line: 6,
                key: "version".into(),
            },
        ),
        (
            format!("{ok}flavor = mysql\n"),
            Corruption::DuplicateField {
                line: 6,
                key: "flavor".into(),
            },
        ),
        (
            format!("{ok}colour = blue\n"),
            Corruption::UnknownField {
                line: 6,
                key: "colour".into(),
            },
        ),
        (format!("{ok}just words\n"), Corruption::BadLine { line: 6 }),
        (format!("{ok}Server_id = 1\n"), Corruption::BadLine { line: 6 }),
        (format!("{ok}server_id=1\n"), Corruption::BadLine { line: 6 }),
        (
            "binlog_file = b.1\nbinlog_position = 4\n".into(),
            Corruption::MissingField { key: "flavor" },
        ),
        (
            "flavor = mysql\nbinlog_position = 4\n".into(),
            Corruption::MissingField { key: "binlog_file" },
        ),
        (
            "flavor = mysql\nbinlog_file = b.1\n".into(),
            Corruption::MissingField {
                key: "binlog_position",
            },
        ),
    ];
    for (fields, expected) in cases {
        let file = sealed(&format!("{head}{fields}"));
        assert_eq!(
            Checkpoint::decode(file.as_bytes()),
            Err(DecodeError::Corrupt(expected)),
            "{file}"
        );
    }

    // `version` absent, or not the first field.
    for body in [
        format!("# c\n{ok}"),
        format!("# c\n{ok}version = 1\n"),
        "# only a comment\n".to_owned(),
    ] {
        let file = sealed(&body);
        assert_eq!(
            Checkpoint::decode(file.as_bytes()),
            Err(DecodeError::Corrupt(Corruption::MissingField { key: "version" })),
            "{file}"
        );
    }

    let bad_values = [
        (
            "flavor = MySQL\nbinlog_file = b.1\nbinlog_position = 4\n",
            "flavor",
        ),
        (
            "flavor = mysql\nbinlog_file =\nbinlog_position = 4\n",
            "binlog_file",
        ),
        (
            "flavor = mysql\nbinlog_file = b.1\nbinlog_position = -4\n",
            "binlog_position",
        ),
        (
            "flavor = mysql\nbinlog_file = b.1\nbinlog_position = +4\n",
            "binlog_position",
        ),
        (
            "flavor = mysql\nbinlog_file = b.1\nbinlog_position = 18446744073709551616\n",
            "binlog_position",
        ),
        (&format!("{ok}server_id = 4294967296\n"), "server_id"),
        (&format!("{ok}saved_at = soon\n"), "saved_at"),
        (&format!("{ok}server_uuid = not-a-uuid\n"), "server_uuid"),
        (
            &format!("{ok}gtid_set = 3e11fa47-71ca-11e1-9e33-c80aa9429562:0\n"),
            "gtid_set",
        ),
        (&format!("{ok}gtid_pos = 0-1-1\n"), "gtid_pos"),
        (
            "flavor = mariadb\nbinlog_file = b.1\nbinlog_position = 4\ngtid_set = 3e11fa47-71ca-11e1-9e33-c80aa9429562:1\n",
            "gtid_set",
        ),
        (
            "flavor = mariadb\nbinlog_file = b.1\nbinlog_position = 4\ngtid_pos = 0-1-1,0-2-2\n",
            "gtid_pos",
        ),
    ];
    for (fields, field) in bad_values {
        let file = sealed(&format!("{head}{fields}"));
        match Checkpoint::decode(file.as_bytes()) {
            Err(DecodeError::Corrupt(Corruption::BadValue { key, .. })) => assert_eq!(key, field, "{file}"),
            other => panic!("{file}: {other:?}"),
        }
    }

    // Upper-case hex is a different checksum text: refused, not normalised.
    let good = sample().encode().unwrap();
    let (body, checksum) = good.split_at(good.find("checksum = ").unwrap());
    let upper = format!(
        "{body}{}",
        checksum.to_uppercase().replace("CHECKSUM", "checksum")
    );
    assert_ne!(upper, good, "the sample's checksum has hex letters");
    assert!(matches!(
        Checkpoint::decode(upper.as_bytes()),
        Err(DecodeError::Corrupt(Corruption::BadChecksum { line: 10 }))
    ));
    // Trailing bytes after the checksum line.
    let trailing = format!("{good}\n");
    assert!(Checkpoint::decode(trailing.as_bytes()).is_err());
}

#[test]
fn oversized_files_are_refused_without_reading_them_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path().join("big"));
    let file = fs::File::create(store.path()).unwrap();
    file.set_len(64 << 20).unwrap();
    match store.load_blocking() {
        Err(Error::Corrupt {
            problem: Corruption::TooLarge { size },
            ..
        }) => assert_eq!(size, 64 << 20),
        other => panic!("{other:?}"),
    }
}

#[test]
fn missing_file_is_no_checkpoint_but_other_read_errors_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        FileStore::new(dir.path().join("none")).load_blocking().unwrap(),
        None
    );
    // A directory where the file should be.
    let error = FileStore::new(dir.path()).load_blocking().unwrap_err();
    assert!(
        matches!(&error, Error::Io { path, .. } if path == dir.path()),
        "{error:?}"
    );
    // A save into a directory that does not exist names the temporary file it could not create.
    let store = FileStore::new(dir.path().join("missing/dir/checkpoint"));
    let error = store.save_blocking(&sample()).unwrap_err();
    assert!(
        matches!(&error, Error::Io { path, .. } if path == store.temp_path()),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("cannot create temporary checkpoint file"),
        "{error}"
    );
}

#[test]
fn stray_temporary_files_do_not_confuse_loading_and_are_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path().join("replica.checkpoint"));
    assert_eq!(
        store.temp_path(),
        Path::new(&format!("{}.tmp", store.path().display()))
    );

    // A crash before the first save completed: only a partial temporary file.
    let good = sample().encode().unwrap();
    fs::write(store.temp_path(), &good.as_bytes()[..good.len() / 2]).unwrap();
    assert_eq!(store.load_blocking().unwrap(), None);

    let first = sample();
    store.save_blocking(&first).unwrap();
    assert!(!store.temp_path().exists());

    // A crash in a later save: a complete but newer temporary file is still not used.
    let mut newer = sample();
    newer.binlog_position = 9_000;
    fs::write(store.temp_path(), newer.encode().unwrap()).unwrap();
    assert_eq!(store.load_blocking().unwrap(), Some(first));
    // A longer stray file is truncated by the next save, not merely overwritten at the front.
    fs::write(store.temp_path(), "x".repeat(10_000)).unwrap();
    store.save_blocking(&newer).unwrap();
    assert_eq!(store.load_blocking().unwrap(), Some(newer.clone()));
    assert_eq!(fs::read_to_string(store.path()).unwrap(), newer.encode().unwrap());
    assert!(!store.temp_path().exists());
}
