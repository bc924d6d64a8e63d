//! Makes sure no server outlives the test process that started it.
//!
//! Three layers, because a test binary can end in three ways:
//! - a private [`crate::Server`] is stopped by its `Drop` (also while a failing test unwinds);
//! - the shared server lives in a `static`, which is never dropped, so an `atexit` hook kills
//!   every server still registered when the process exits normally;
//! - if the test process itself is killed, the kernel sends the server `SIGKILL`
//!   (`PR_SET_PDEATHSIG`). That signal fires when the *thread* that forked the child exits, so
//!   every server is spawned from one spawner thread that lives as long as the process.
#![allow(unsafe_code)]

use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

type SpawnRequest = (Command, mpsc::Sender<std::io::Result<Child>>);

/// Servers still running, by PID, with the directory to delete after they stop.
static LIVE: Mutex<Vec<(u32, PathBuf)>> = Mutex::new(Vec::new());
static SPAWNER: OnceLock<Mutex<mpsc::Sender<SpawnRequest>>> = OnceLock::new();

/// Spawns `cmd` from the long-lived spawner thread, with `SIGKILL` as its parent-death signal.
pub(crate) fn spawn(cmd: Command) -> std::io::Result<Child> {
    let sender = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("testkit-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(spawn_with_death_signal(&mut cmd));
                }
            })
            .expect("start the testkit spawner thread");
        install_exit_hook();
        Mutex::new(tx)
    });
    let (reply_tx, reply_rx) = mpsc::channel();
    sender
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send((cmd, reply_tx))
        .map_err(|_| std::io::Error::other("testkit spawner thread is gone"))?;
    reply_rx
        .recv()
        .map_err(|_| std::io::Error::other("testkit spawner thread is gone"))?
}

fn spawn_with_death_signal(cmd: &mut Command) -> std::io::Result<Child> {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.spawn()
}

/// Remembers a running server so the exit hook can stop it and delete `dir`.
pub(crate) fn register(pid: u32, dir: PathBuf) {
    LIVE.lock().unwrap_or_else(|e| e.into_inner()).push((pid, dir));
}

/// Forgets a server that was stopped by other means.
pub(crate) fn unregister(pid: u32) {
    LIVE.lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|(p, _)| *p != pid);
}

/// True while the process with this PID exists and is not a zombie.
pub fn pid_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state letter follows the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X')),
        Err(_) => false,
    }
}

/// Sends `signal` to `pid` and waits up to `grace` for it to go; true if it went.
pub(crate) fn signal_and_wait(pid: u32, signal: libc::c_int, grace: Duration) -> bool {
    let Ok(raw) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: kill(2) with a PID we started; no memory is shared.
    unsafe {
        libc::kill(raw, signal);
    }
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        reap(raw);
        if !pid_alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    reap(raw);
    !pid_alive(pid)
}

fn reap(pid: libc::pid_t) {
    let mut status = 0;
    // SAFETY: non-blocking waitpid on our own child; fails harmlessly if it is not our child.
    unsafe {
        libc::waitpid(pid, &mut status, libc::WNOHANG);
    }
}

fn install_exit_hook() {
    extern "C" fn stop_all() {
        let live = std::mem::take(&mut *LIVE.lock().unwrap_or_else(|e| e.into_inner()));
        for (pid, dir) in live {
            // Throwaway data: no need for a clean shutdown at exit.
            signal_and_wait(pid, libc::SIGKILL, Duration::from_secs(5));
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    // SAFETY: registers a plain function; it runs once, at normal process exit.
    unsafe {
        libc::atexit(stop_all);
    }
}
