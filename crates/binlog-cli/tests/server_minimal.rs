//! `binlog decode` on a MariaDB that logs less: `binlog_row_metadata=NONE` (no column names,
//! no signedness, no primary key) and `binlog_row_image=MINIMAL` (only the columns needed).
//! The JSON names columns `@1`, `@2`, ..., prints integers signed as `mysqlbinlog` does,
//! leaves out the columns the server left out, and has empty `keys`.

use std::process::Command;

use binlog_testkit::Server;
use serde_json::{Value as Json, json};

const BINLOG: &str = env!("CARGO_BIN_EXE_binlog");

#[test]
fn without_metadata_columns_are_positional_and_minimal_images_leave_columns_out() {
    let server = Server::builder()
        .arg("--binlog-row-metadata=NO_LOG")
        .arg("--binlog-row-image=MINIMAL")
        .start()
        .expect("private server");
    let db = server.fresh_database("cli_minimal");
    server.exec(&format!(
        "CREATE TABLE `{db}`.t (id INT PRIMARY KEY, u INT UNSIGNED, s VARCHAR(10), n INT);\
         INSERT INTO `{db}`.t VALUES (1, 4294967295, 'a', NULL)"
    ));
    // The server's row, with the UNSIGNED column read as the 32-bit signed number its bits
    // make (the reading when the binlog does not say UNSIGNED).
    let row = server.exec(&format!(
        "SELECT id, CAST(u AS SIGNED) - IF(u >= 2147483648, 4294967296, 0), s, n FROM `{db}`.t"
    ));
    let [id, u, s, n] = [0, 1, 2, 3].map(|i| row[0][i].clone());
    let (id, u): (i64, i64) = (id.unwrap().parse().unwrap(), u.unwrap().parse().unwrap());
    assert_eq!(n, None);
    server.exec(&format!(
        "UPDATE `{db}`.t SET s = 'b' WHERE id = 1; DELETE FROM `{db}`.t"
    ));
    let out = Command::new(BINLOG)
        .args(["decode", "--tables", &format!("{db}.t")])
        .args(server.binlog_files())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let changes: Vec<Json> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(changes.len(), 3, "{changes:?}");
    // Insert: every column, by position; 4294967295 in an INT UNSIGNED column whose
    // signedness the binlog does not carry reads signed.
    assert_eq!(changes[0]["op"], "insert");
    assert_eq!(
        changes[0]["after"],
        json!({"@1": id, "@2": u, "@3": s, "@4": null})
    );
    assert_eq!(u, -1);
    assert_eq!(changes[0]["keys"], json!({}));
    // Update with a minimal image: the before image holds the primary key only, the after
    // image the changed column only.
    assert_eq!(changes[1]["op"], "update");
    assert_eq!(changes[1]["before"], json!({"@1": id}));
    assert_eq!(changes[1]["after"], json!({"@3": "b"}));
    // Delete: the primary key only.
    assert_eq!(changes[2]["op"], "delete");
    assert_eq!(changes[2]["before"], json!({"@1": id}));
    assert!(changes[2]["after"].is_null());
}
