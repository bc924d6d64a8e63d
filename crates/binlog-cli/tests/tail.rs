//! `binlog tail` against the harness MariaDB: the scripted changes over every column type print
//! exactly the expected JSON (the server's own SELECT, and the very lines `binlog decode`
//! prints for the same binlog); SIGINT and SIGTERM save the checkpoint and exit 0, and the
//! next `tail --checkpoint` resumes without losing or repeating a row; errors are messages and
//! a non-zero exit, never a panic.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};

use binlog_testkit::Server;
use serde_json::Value as Json;

use common::{BINLOG, check_lines, decode, run_script};

/// Runs `binlog tail URL ARGS...` to its end; returns its stdout lines (asserting exit 0).
fn tail_to_end(server: &Server, args: &[&str]) -> Vec<String> {
    let out = Command::new(BINLOG)
        .arg("tail")
        .arg(server.repl_url())
        .arg("--until-end")
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn tail_until_end_prints_the_servers_values_and_the_same_lines_as_decode() {
    let server = Server::shared();
    let script = run_script(server, "cli_tail");
    let table = format!("{}.t", script.db);
    let lines = tail_to_end(server, &["--from-start", "--format", "json", "--tables", &table]);
    let (file_names, decoded) = decode(server, &script.db, "json");
    check_lines(&script, &file_names, &lines);
    assert_eq!(lines, decoded, "tail and decode print the same JSON lines");

    let text = tail_to_end(server, &["--from-start", "--format", "text", "--tables", &table]);
    let (_, decoded_text) = decode(server, &script.db, "text");
    assert_eq!(text, decoded_text, "and the same text");
}

/// A blocking `binlog tail` started in the background, ready once it said it is connected.
struct Running {
    child: Child,
    stdout: BufReader<ChildStdout>,
}

impl Running {
    fn start(server: &Server, checkpoint: &Path, table: &str) -> Running {
        let mut child = Command::new(BINLOG)
            .arg("tail")
            .arg(server.repl_url())
            .arg("--checkpoint")
            .arg(checkpoint)
            .args(["--tables", table])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        assert!(line.contains("connected to"), "{line}");
        // Keep reading stderr so the child never blocks on it.
        std::thread::spawn(move || {
            for line in stderr.lines() {
                eprintln!("tail: {}", line.unwrap_or_default());
            }
        });
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Running { child, stdout }
    }

    /// The lines, as `(op, id)`, up to and including the insert of row `last`: written last,
    /// so a missing or misplaced row makes the list differ instead of the test waiting.
    fn read_until_insert(&mut self, last: i64) -> Vec<(String, i64)> {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let n = self.stdout.read_line(&mut line).unwrap();
            assert!(n > 0, "tail ended early after {lines:?}");
            let change = op_and_id(&line);
            let done = change == ("insert".to_owned(), last);
            lines.push(change);
            if done {
                return lines;
            }
        }
    }

    /// Sends `signal` and returns whether the command exited with status 0.
    fn stop(mut self, signal: &str) -> bool {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let status = self.child.wait().unwrap();
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut self.stdout, &mut rest).unwrap();
        assert_eq!(rest, "", "nothing printed after the signal");
        status.success()
    }
}

fn op_and_id(line: &str) -> (String, i64) {
    let change: Json = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
    let image = if change["after"].is_null() {
        &change["before"]
    } else {
        &change["after"]
    };
    (
        change["op"].as_str().unwrap().to_owned(),
        image["id"].as_i64().unwrap(),
    )
}

fn ops(list: &[(&str, i64)]) -> Vec<(String, i64)> {
    list.iter().map(|&(op, id)| (op.to_owned(), id)).collect()
}

#[test]
fn signals_save_the_checkpoint_and_the_next_tail_resumes_without_loss() {
    let server = Server::shared();
    let db = server.fresh_database("cli_ckpt");
    let table = format!("{db}.t");
    server.exec(&format!(
        "CREATE TABLE {table} (id INT PRIMARY KEY, v VARCHAR(10))"
    ));
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("tail.checkpoint");

    // No checkpoint yet: from the current end.
    let mut tail = Running::start(server, &checkpoint, &table);
    for id in 1..=3 {
        server.exec(&format!("INSERT INTO {table} VALUES ({id}, 'a')"));
    }
    assert_eq!(
        tail.read_until_insert(3),
        ops(&[("insert", 1), ("insert", 2), ("insert", 3)])
    );
    assert!(tail.stop("-INT"), "SIGINT: exit status 0");
    assert!(checkpoint.exists());

    // Written while no tail runs: the next one resumes before them.
    server.exec(&format!(
        "INSERT INTO {table} VALUES (4, 'b'); UPDATE {table} SET v = 'c' WHERE id = 1"
    ));
    let mut tail = Running::start(server, &checkpoint, &table);
    // A multi-statement transaction: delivered whole.
    server.exec(&format!(
        "BEGIN; DELETE FROM {table} WHERE id = 2; INSERT INTO {table} VALUES (5, 'd'); COMMIT"
    ));
    assert_eq!(
        tail.read_until_insert(5),
        ops(&[("insert", 4), ("update", 1), ("delete", 2), ("insert", 5)])
    );
    assert!(tail.stop("-TERM"), "SIGTERM: exit status 0");

    server.exec(&format!("DELETE FROM {table} WHERE id = 3"));
    let args = ["--checkpoint", checkpoint.to_str().unwrap(), "--tables", &table];
    let rest: Vec<(String, i64)> = tail_to_end(server, &args).iter().map(|l| op_and_id(l)).collect();
    assert_eq!(rest, ops(&[("delete", 3)]), "no row lost, none repeated");
    // That run saved its end too.
    assert!(tail_to_end(server, &args).is_empty());
}

#[test]
fn the_password_can_come_from_the_environment_and_from_file_pos_starts_there() {
    let server = Server::shared();
    let script = run_script(server, "cli_env");
    let table = format!("{}.t", script.db);
    let all = tail_to_end(server, &["--from-start", "--tables", &table]);
    assert!(all.len() > 2, "{all:?}");
    // Start just past the first rows event (its `pos`, inside the first INSERT's
    // transaction, before its XID): the output is every change of the later events.
    let pos = |line: &str| {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        let file = value["pos"]["file"].as_str().unwrap().to_owned();
        (file, value["pos"]["offset"].as_u64().unwrap())
    };
    let (file, first_end) = pos(&all[0]);
    let later = all.iter().position(|l| pos(l) != pos(&all[0])).unwrap();
    let url = server
        .repl_url()
        .replacen(":repl-Pa55.word@", ":not-this-one@", 1);
    let out = Command::new(BINLOG)
        .args(["tail", &url, "--until-end", "--tables", &table, "--from"])
        .arg(format!("{file}:{first_end}"))
        .env("BINLOG_PASSWORD", binlog_testkit::REPL_PASSWORD)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(
        lines,
        all[later..],
        "from the first rows event's end on: every later change"
    );
}

#[test]
fn errors_are_messages_and_a_nonzero_exit() {
    let server = Server::shared();
    let url = server.repl_url().replacen(":repl-Pa55.word@", ":wrong@", 1);
    assert_ne!(url, server.repl_url());
    let cases: Vec<Vec<String>> = vec![
        vec![url],
        vec!["not a url".into()],
        vec![server.repl_url(), "--from".into(), "no-offset".into()],
        vec![server.repl_url(), "--from".into(), "mysql-bin.999999:4".into()],
        vec![server.repl_url(), "--gtid".into(), "nonsense".into()],
        vec![server.repl_url(), "--tls-mode".into(), "sometimes".into()],
        vec![server.repl_url(), "--checkpoint".into(), "/proc/version".into()],
    ];
    for args in cases {
        let out = Command::new(BINLOG)
            .arg("tail")
            .args(&args)
            .arg("--until-end")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.starts_with("binlog tail: "), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty());
    }
}
