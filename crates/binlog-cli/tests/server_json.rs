//! `binlog decode --format json` against the harness MariaDB: a table with every column type
//! is inserted into, updated and deleted from; each value of each JSON line must equal what
//! the server's own SELECT returned for that row at that time, rendered the documented way
//! (docs/output-format.md).

mod common;

use std::process::Command;

use binlog_testkit::Server;
use serde_json::Value as Json;

use common::{BINLOG, check_lines, decode, run_script};

#[test]
fn json_values_equal_the_servers_select() {
    let server = Server::shared();
    let script = run_script(server, "cli_json");
    let db = &script.db;
    let (file_names, lines) = decode(server, db, "json");
    check_lines(&script, &file_names, &lines);
    let changes: Vec<Json> = lines.iter().map(|l| serde_json::from_str(l).unwrap()).collect();

    // The text format shows the same changes, one header line each.
    let (_, text) = decode(server, db, "text");
    let headers: Vec<&String> = text.iter().filter(|l| !l.starts_with("  ")).collect();
    assert_eq!(headers.len(), changes.len());
    assert!(
        headers[0].starts_with(&format!("insert {db}.t at ")),
        "{}",
        headers[0]
    );
    assert!(
        text.iter().any(|l| l.contains(" bu=18446744073709551615 ")),
        "{text:?}"
    );
}

#[test]
fn tables_patterns_select_tables() {
    let server = Server::shared();
    let db = server.fresh_database("cli_filter");
    server.exec(&format!(
        "CREATE TABLE `{db}`.orders (id INT PRIMARY KEY); CREATE TABLE `{db}`.audit_log (id INT PRIMARY KEY);\
         INSERT INTO `{db}`.orders VALUES (1); INSERT INTO `{db}`.audit_log VALUES (2)"
    ));
    let files = server.binlog_files();
    let tables_of = |patterns: &[&str]| -> Vec<String> {
        let mut cmd = Command::new(BINLOG);
        cmd.arg("decode");
        for p in patterns {
            cmd.args(["--tables", p]);
        }
        let out = cmd.args(&files).output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<Json>(l).unwrap())
            .filter(|c| c["schema"] == db.as_str())
            .map(|c| c["table"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(tables_of(&[&db]), ["orders", "audit_log"]);
    assert_eq!(tables_of(&[&format!("{db}.orders")]), ["orders"]);
    assert_eq!(tables_of(&[&format!("{db}.audit_*")]), ["audit_log"]);
    assert_eq!(
        tables_of(&[&format!("{db}.orders,{db}.audit_log")]),
        ["orders", "audit_log"]
    );
    assert!(tables_of(&["other_db"]).is_empty());
}
