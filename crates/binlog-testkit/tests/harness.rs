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
    // MariaDB 10.5+ shows REPLICATION CLIENT under its new name.
    assert!(
        text.contains("REPLICATION CLIENT") || text.contains("BINLOG MONITOR"),
        "{text}"
    );
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

/// Runs this test binary's ignored helper test `name` in a child process.
fn child_test(name: &str) -> Command {
    let mut cmd = Command::new(std::env::current_exe().expect("test binary path"));
    cmd.args(["--exact", name, "--ignored", "--nocapture", "--test-threads=1"]);
    cmd
}

/// `KEY=value` printed by a child test.
fn printed(stdout: &str, key: &str) -> String {
    stdout
        .lines()
        // The test harness may print `test name ... ` before the first line.
        .find_map(|l| l.split_once(key).map(|(_, value)| value))
        .unwrap_or_else(|| panic!("child printed no {key}: {stdout}"))
        .to_owned()
}

/// Waits up to `secs` seconds for `pid` to be gone.
fn gone_within(pid: u32, secs: u64) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if !pid_alive(pid) {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    !pid_alive(pid)
}

/// Run only as the child of `a_test_that_panics_leaves_no_server_behind`.
#[test]
#[ignore = "helper: started by another test in a child process"]
fn child_panics_holding_a_private_server() {
    let server = Server::builder().start().expect("private server");
    println!("PRIVATE_PID={}", server.pid());
    println!("PRIVATE_DIR={}", server.datadir().display());
    let shared = Server::shared();
    println!("SHARED_PID={}", shared.pid());
    panic!("a failing test");
}

#[test]
fn a_test_that_panics_leaves_no_server_behind() {
    let output = child_test("child_panics_holding_a_private_server")
        .output()
        .expect("run child test process");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "the child test must fail: {stdout}");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("a failing test")
            || stdout.contains("a failing test")
    );
    for key in ["PRIVATE_PID=", "SHARED_PID="] {
        let pid: u32 = printed(&stdout, key).parse().expect("pid");
        assert!(!pid_alive(pid), "{key}{pid} outlived the panicking test");
    }
    let dir = std::path::PathBuf::from(printed(&stdout, "PRIVATE_DIR="));
    assert!(!dir.exists(), "{} was left behind", dir.display());
}

/// Run only as the child of `a_killed_test_process_leaves_no_server_behind`.
#[test]
#[ignore = "helper: started by another test in a child process"]
fn child_waits_holding_a_private_server() {
    use std::io::Write;
    let server = Server::builder().start().expect("private server");
    println!("PRIVATE_PID={}", server.pid());
    println!("SHARED_PID={}", Server::shared().pid());
    println!("READY");
    std::io::stdout().flush().expect("flush");
    std::thread::sleep(std::time::Duration::from_secs(600));
}

#[test]
fn a_killed_test_process_leaves_no_server_behind() {
    use std::io::{BufRead, BufReader};
    let mut child = child_test("child_waits_holding_a_private_server")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run child test process");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout"));
    let mut stdout = String::new();
    while !stdout.contains("READY") {
        let mut line = String::new();
        if lines.read_line(&mut line).expect("read") == 0 {
            panic!("child ended early: {stdout}");
        }
        stdout.push_str(&line);
    }
    let pids: Vec<u32> = ["PRIVATE_PID=", "SHARED_PID="]
        .map(|key| printed(&stdout, key).parse().expect("pid"))
        .to_vec();
    assert!(pids.iter().all(|&pid| pid_alive(pid)));
    // SIGKILL: no Drop, no exit hook; only the parent-death signal can stop the servers.
    child.kill().expect("SIGKILL the child");
    child.wait().expect("reap the child");
    for pid in pids {
        assert!(
            gone_within(pid, 10),
            "mariadbd {pid} outlived its SIGKILLed test process"
        );
    }
}

/// Run only as the child of `no_server_binary_fails_naming_the_install_command`.
#[test]
#[ignore = "helper: started by another test in a child process"]
fn child_uses_the_shared_server() {
    let _ = Server::shared();
}

#[test]
fn no_server_binary_fails_naming_the_install_command() {
    let output = child_test("child_uses_the_shared_server")
        .env("BINLOG_TEST_MARIADBD", "/nonexistent/mariadbd")
        .output()
        .expect("run child test process");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!output.status.success(), "a server-backed test must fail: {all}");
    assert!(all.contains(binlog_testkit::INSTALL_HINT), "{all}");
    assert!(all.contains("/nonexistent/mariadbd"), "{all}");
}
