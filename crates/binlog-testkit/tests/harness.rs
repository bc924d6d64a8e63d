//! Self-tests of the harness against a real MariaDB.

use std::process::Command;

use binlog_testkit::{Error, Server, reaper::pid_alive};

#[test]
fn shared_server_logs_rows_and_advances_the_binlog() {
    let server = Server::shared();
    let db = server.fresh_database("harness");
    let (file_before, pos_before) = server.master_status();
    server.exec(&format!(
        "CREATE TABLE `{db}`.t (id INT PRIMARY KEY, name VARCHAR(20));
         INSERT INTO `{db}`.t VALUES (1, 'one'), (2, NULL);"
    ));
    let (file_after, pos_after) = server.master_status();
    assert_eq!(file_after, file_before, "no rotation expected");
    assert!(
        pos_after > pos_before,
        "position did not advance: {pos_before} -> {pos_after}"
    );
    let rows = server.exec(&format!("SELECT id, name FROM `{db}`.t ORDER BY id"));
    assert_eq!(
        rows,
        vec![
            vec![Some("1".into()), Some("one".into())],
            vec![Some("2".into()), None]
        ]
    );
    // The settings the rest of the test suite relies on.
    let settings = server.exec(
        "SELECT @@log_bin, @@binlog_format, @@binlog_row_image, @@binlog_row_metadata, @@binlog_checksum, @@server_id",
    );
    assert_eq!(
        settings[0],
        ["1", "ROW", "FULL", "FULL", "CRC32", "1"]
            .map(|s| Some(s.to_owned()))
            .to_vec()
    );
    let files = server.binlog_files();
    assert!(
        files.iter().any(|f| f.ends_with(&file_after)),
        "{files:?} lacks {file_after}"
    );
}

#[test]
fn replication_account_has_its_grants() {
    let server = Server::shared();
    let grants = server.exec("SHOW GRANTS FOR 'repl'@'%'");
    let text = format!("{grants:?}");
    assert!(text.contains("REPLICATION SLAVE"), "{text}");
    assert!(text.contains("SELECT"), "{text}");
}

#[test]
fn dropping_a_private_server_stops_its_process() {
    let server = Server::builder()
        .arg("--binlog-checksum=NONE")
        .start()
        .expect("start private server");
    let pid = server.pid();
    assert!(pid_alive(pid));
    assert_eq!(
        server.query_value("SELECT @@binlog_checksum").as_deref(),
        Some("NONE")
    );
    let datadir = server.datadir();
    drop(server);
    assert!(!pid_alive(pid), "mariadbd {pid} survived its Server");
    assert!(!datadir.exists(), "datadir {} was left behind", datadir.display());
}

#[test]
fn kill_and_restart_keep_committed_data() {
    let mut server = Server::builder().start().expect("start private server");
    server.exec(
        "CREATE DATABASE k; CREATE TABLE k.t (id INT PRIMARY KEY) ENGINE=InnoDB; INSERT INTO k.t VALUES (7)",
    );
    let old_pid = server.pid();
    server.kill();
    assert!(!pid_alive(old_pid));
    server.restart().expect("restart");
    assert_ne!(server.pid(), old_pid);
    assert_eq!(server.query_value("SELECT id FROM k.t").as_deref(), Some("7"));
}

#[test]
fn failed_start_reports_the_servers_own_error() {
    let err = Server::builder()
        .arg("--no-such-option-for-testkit=1")
        .start()
        .expect_err("a bad option must fail the start");
    let Error::StartFailed { log, .. } = &err else {
        panic!("expected StartFailed, got {err}");
    };
    assert!(
        log.contains("unknown variable 'no-such-option-for-testkit=1'"),
        "log was: {log}"
    );
}

/// Run only as the child of `shared_server_is_gone_after_the_process_exits`.
#[test]
#[ignore = "helper: started by another test in a child process"]
fn child_prints_shared_server_pid() {
    let server = Server::shared();
    println!("SHARED_PID={}", server.pid());
    println!("SHARED_DIR={}", server.datadir().display());
}

#[test]
fn shared_server_is_gone_after_the_process_exits() {
    let exe = std::env::current_exe().expect("test binary path");
    let output = Command::new(exe)
        .args([
            "--exact",
            "child_prints_shared_server_pid",
            "--ignored",
            "--nocapture",
        ])
        .output()
        .expect("run child test process");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let field = |key: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("child printed no {key}: {stdout}"))
            .to_owned()
    };
    let pid: u32 = field("SHARED_PID=").parse().expect("pid");
    assert!(pid > 0);
    assert!(!pid_alive(pid), "shared mariadbd {pid} outlived its test process");
    let dir = std::path::PathBuf::from(field("SHARED_DIR="));
    assert!(!dir.exists(), "{} was left behind", dir.display());
}
