//! Process control for consumer children: re-executing a test, SIGKILL, restart, drop.

use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use binlog_testkit::process::{CHILD_ENV, ChildProcess, child_role, reexec_test};
use binlog_testkit::reaper::pid_alive;

const PATIENCE: Duration = Duration::from_secs(60);

/// Helper: prints READY, its PID and the value of `RUN`, then one numbered line every 5 ms
/// for up to a minute.
#[test]
#[ignore = "helper: started by other tests in a child process"]
fn child_counts_lines() {
    if child_role().as_deref() != Some("child_counts_lines") {
        return;
    }
    println!(
        "READY {} run={}",
        std::process::id(),
        std::env::var("RUN").unwrap_or_default()
    );
    for i in 0..12_000 {
        println!("line {i}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Helper: fails with a message on stderr.
#[test]
#[ignore = "helper: started by other tests in a child process"]
fn child_fails() {
    if child_role().as_deref() != Some("child_fails") {
        return;
    }
    eprintln!("consumer gave up: no checkpoint");
    std::process::exit(3);
}

fn start(run: u32) -> ChildProcess {
    let mut cmd = reexec_test("child_counts_lines");
    cmd.env("RUN", run.to_string());
    let child = ChildProcess::spawn(cmd).expect("spawn the child");
    let ready = child
        .wait_for_line(|l| l.starts_with("READY "), PATIENCE)
        .expect("the child printed READY");
    assert_eq!(ready, format!("READY {} run={run}", child.pid()));
    child
}

#[test]
fn sigkill_and_restart() {
    let mut pids = Vec::new();
    for run in 0..3 {
        let mut child = start(run);
        assert!(child.wait_for_lines(10, PATIENCE), "{}", child.describe());
        let status = child.kill().expect("kill the child");
        assert_eq!(status.signal(), Some(libc::SIGKILL));
        assert!(!pid_alive(child.pid()));
        // Every complete line printed before the kill was captured, in order.
        let lines = child.lines();
        let numbered: Vec<&String> = lines.iter().filter(|l| l.starts_with("line ")).collect();
        assert!(numbered.len() >= 5, "{lines:?}");
        for (i, line) in numbered.iter().enumerate() {
            assert_eq!(**line, format!("line {i}"));
        }
        // Killing again reports the same end.
        assert_eq!(child.kill().expect("second kill").signal(), Some(libc::SIGKILL));
        pids.push(child.pid());
    }
    pids.dedup();
    assert_eq!(pids.len(), 3, "each run is a new process: {pids:?}");
}

#[test]
fn terminate_sends_sigterm() {
    let mut child = start(7);
    let status = child.terminate(PATIENCE).expect("terminate the child");
    assert_eq!(status.signal(), Some(libc::SIGTERM));
}

#[test]
fn drop_kills_the_child() {
    let child = start(1);
    let pid = child.pid();
    assert!(pid_alive(pid));
    drop(child);
    assert!(!pid_alive(pid), "child {pid} survived its ChildProcess");
}

#[test]
fn exit_code_and_stderr_are_reported() {
    let mut child = ChildProcess::spawn(reexec_test("child_fails")).expect("spawn the child");
    let status = child
        .wait_timeout(PATIENCE)
        .expect("wait")
        .expect("the child exits by itself");
    assert_eq!(status.code(), Some(3));
    // Stdout ended without the line: no such line will come.
    assert_eq!(child.wait_for_line(|l| l == "never printed", PATIENCE), None);
    assert!(
        child.stderr().contains("consumer gave up: no checkpoint"),
        "{}",
        child.describe()
    );
    assert!(
        child.describe().contains("exited with exit status: 3"),
        "{}",
        child.describe()
    );
}

#[test]
fn reexec_marks_the_child() {
    let cmd = reexec_test("some::test");
    let env: Vec<_> = cmd.get_envs().collect();
    assert_eq!(
        env,
        [(
            std::ffi::OsStr::new(CHILD_ENV),
            Some(std::ffi::OsStr::new("some::test"))
        )]
    );
    let args: Vec<_> = cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
    assert_eq!(
        args,
        [
            "--exact",
            "some::test",
            "--ignored",
            "--nocapture",
            "--quiet",
            "--test-threads=1"
        ]
    );
    assert_eq!(child_role(), None, "the test process itself is not a child");
}
