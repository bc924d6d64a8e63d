//! `binlog demo` end to end: a finite run prints the workload's changes and leaves no server
//! and no directory behind.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value as Json;

const BINLOG: &str = env!("CARGO_BIN_EXE_binlog");

#[test]
fn a_finite_demo_shows_changes_and_cleans_up() {
    let out = Command::new(BINLOG)
        .args(["demo", "--rounds", "2", "--pause-ms", "0", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let changes: Vec<Json> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Per round: 3 inserts, 5 updates (the order's stock, the e-mail, paid, shipped... ), 1
    // delete; exactly what the script does.
    let count = |op: &str, table: &str| {
        changes
            .iter()
            .filter(|c| c["op"] == op && c["schema"] == "demo" && c["table"] == table)
            .count()
    };
    assert_eq!(count("insert", "customers"), 2);
    assert_eq!(count("insert", "products"), 2);
    assert_eq!(count("insert", "orders"), 4);
    assert_eq!(count("update", "products"), 2);
    assert_eq!(count("update", "customers"), 2);
    assert_eq!(count("update", "orders"), 4);
    assert_eq!(count("delete", "orders"), 2);
    assert_eq!(changes.len(), 18, "{changes:#?}");
    assert_eq!(changes[0]["after"]["name"], "Ada");

    // "MariaDB pid N on 127.0.0.1:P, datadir D"
    let line = stderr.lines().find(|l| l.contains("MariaDB pid")).unwrap();
    let pid: u32 = line.split_whitespace().nth(4).unwrap().parse().unwrap();
    let datadir = PathBuf::from(line.rsplit(' ').next().unwrap());
    assert!(
        !PathBuf::from(format!("/proc/{pid}")).exists(),
        "mariadbd {pid} still running"
    );
    assert!(
        !datadir.parent().unwrap().exists(),
        "{} left behind",
        datadir.display()
    );
}

/// `binlog demo --rounds 0` runs until Ctrl-C; SIGINT ends it with status 0, the server
/// stopped and its directory removed.
#[test]
fn ctrl_c_ends_an_endless_demo_and_cleans_up() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let mut child = Command::new(BINLOG)
        .args(["demo", "--rounds", "0", "--pause-ms", "0", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("MariaDB pid") {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "demo ended early");
    }
    let pid: u32 = line.split_whitespace().nth(4).unwrap().parse().unwrap();
    let datadir = PathBuf::from(line.trim_end().rsplit(' ').next().unwrap());
    // Changes are flowing: a full round (its last statement is the delete).
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    loop {
        let mut change = String::new();
        assert!(stdout.read_line(&mut change).unwrap() > 0, "demo ended early");
        let change: Json = serde_json::from_str(&change).unwrap();
        if change["op"] == "delete" {
            break;
        }
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    // Drain both pipes so the demo never blocks on a full one while stopping.
    let out = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap());
    let rest = std::io::read_to_string(stderr).unwrap();
    let status = child.wait().unwrap();
    out.join().unwrap();
    assert!(status.success(), "{status:?}: {rest}");
    assert!(rest.contains("(interrupted)"), "{rest}");
    assert!(
        !PathBuf::from(format!("/proc/{pid}")).exists(),
        "mariadbd {pid} still running"
    );
    assert!(
        !datadir.parent().unwrap().exists(),
        "{} left behind",
        datadir.display()
    );
}
