//! A checkpoint file survives SIGKILL at any moment of a save: a process that saves in a tight
//! loop is killed hundreds of times, and after each kill the file loads, holds exactly what
//! one of the saves wrote, and never goes back in time.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use binlog_checkpoint::gtid::{GtidSet, Interval, Uuid};
use binlog_checkpoint::{Checkpoint, FileStore, Flavor, GtidState};

/// Tells the re-invoked test binary to run the save loop on this path.
const CHILD_ENV: &str = "BINLOG_CHECKPOINT_SAVE_LOOP_FILE";
const CHILD_TEST: &str = "save_loop_child";
const ROUNDS: usize = 250;
/// How long a child runs after its first save before it is killed; drawn uniformly from 0
/// to this.
const MAX_DELAY: Duration = Duration::from_millis(30);
/// A child left behind by a failed parent stops by itself after this long.
const CHILD_LIFETIME: Duration = Duration::from_secs(20);
/// How long to wait for a child's first save before killing it anyway (the round then
/// counts as one without a save).
const FIRST_SAVE_DEADLINE: Duration = Duration::from_secs(10);
const FIRST_POSITION: u64 = 4;
/// What the child prints before each position it saved.
const ACK: &str = "checkpoint saved at ";

/// The checkpoint saved at `position`. Its size varies (1 to 40 GTID intervals, a new binlog
/// file every 1000 saves) so that a torn write could not pass for a whole file.
fn checkpoint_at(position: u64) -> Checkpoint {
    let uuid: Uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562".parse().unwrap();
    let mut set = GtidSet::new();
    for gap in 0..=position % 40 {
        let start = 1 + gap * 10;
        set.add_interval(uuid, Default::default(), Interval::new(start, start + 5).unwrap());
    }
    set.add_interval(
        uuid,
        Default::default(),
        Interval::new(1_000, 1_000 + position).unwrap(),
    );
    Checkpoint::new(
        Flavor::Mysql,
        format!("binlog.{:06}", 1 + position / 1000),
        position,
    )
    .with_gtid(GtidState::Mysql(set))
    .with_server_id(7)
    .with_saved_at(1_767_225_600 + position)
}

/// The child: saves increasing positions as fast as it can, printing each one once `save`
/// has returned. Runs only when spawned by the test below.
#[test]
#[ignore = "helper process of sigkill_during_saves_never_loses_the_checkpoint"]
fn save_loop_child() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        eprintln!("{CHILD_TEST} runs only as a child of sigkill_during_saves_never_loses_the_checkpoint");
        return;
    };
    let store = FileStore::new(path);
    // Resume like a real client: after the last saved position.
    let mut position = match store.load_blocking().unwrap() {
        Some(checkpoint) => checkpoint.binlog_position + 1,
        None => FIRST_POSITION,
    };
    let started = Instant::now();
    let mut out = std::io::stdout().lock();
    while started.elapsed() < CHILD_LIFETIME {
        store.save_blocking(&checkpoint_at(position)).unwrap();
        writeln!(out, "{ACK}{position}").unwrap();
        out.flush().unwrap();
        position += 1;
    }
}

/// Kills and reaps the child if the parent fails half-way.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Round {
    last_saved: Option<u64>,
    saves: u64,
    stderr: String,
}

fn run_child(exe: &Path, file: &Path, delay: Duration) -> Round {
    let child = Command::new(exe)
        .args([
            CHILD_TEST,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Reaped(child);
    let stdout = child.0.stdout.take().unwrap();
    let mut stderr = child.0.stderr.take().unwrap();
    let (first_save, saved) = mpsc::channel();
    let acks = thread::spawn(move || {
        let mut last = None;
        let mut saves = 0;
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            // libtest's "test save_loop_child ... " has no newline: the first ack follows it.
            if let Some((_, position)) = line.split_once(ACK) {
                last = Some(position.parse::<u64>().unwrap());
                saves += 1;
                if saves == 1 {
                    let _ = first_save.send(());
                }
            }
        }
        (last, saves)
    });
    let errors = thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    // The delay counts from the child's first save, not from its start: on a loaded machine
    // process start-up alone can take longer than the whole delay, and a kill before the first
    // save tests nothing.
    let _ = saved.recv_timeout(FIRST_SAVE_DEADLINE);
    thread::sleep(delay);
    child.0.kill().unwrap();
    let status = child.0.wait().unwrap();
    let (last_saved, saves) = acks.join().unwrap();
    let stderr = errors.join().unwrap();
    assert_eq!(
        status.signal(),
        Some(9),
        "the child did not die by SIGKILL ({status}); stderr:\n{stderr}"
    );
    Round {
        last_saved,
        saves,
        stderr,
    }
}

#[test]
fn sigkill_during_saves_never_loses_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("replica.checkpoint");
    let store = FileStore::new(&file);
    let exe = std::env::current_exe().unwrap();
    let started = Instant::now();

    // The highest position loaded so far: what the next round's child resumes after.
    let mut floor: Option<u64> = None;
    let (mut saves, mut rounds_without_save, mut unacknowledged, mut stray_temp) = (0u64, 0, 0, 0);
    for round in 0..ROUNDS {
        let delay = Duration::from_micros(fastrand::u64(0..=MAX_DELAY.as_micros() as u64));
        let outcome = run_child(&exe, &file, delay);
        saves += outcome.saves;
        if outcome.saves == 0 {
            rounds_without_save += 1;
        }
        if store.temp_path().exists() {
            stray_temp += 1;
        }
        let context = format!(
            "round {round}, killed after {delay:?}; child stderr:\n{}",
            outcome.stderr
        );
        let loaded = match store.load_blocking() {
            Ok(loaded) => loaded,
            Err(error) => panic!("{error} ({context})"),
        };
        let Some(checkpoint) = loaded else {
            assert_eq!(
                (floor, outcome.last_saved),
                (None, None),
                "checkpoint lost ({context})"
            );
            continue;
        };
        let position = checkpoint.binlog_position;
        assert_eq!(
            checkpoint,
            checkpoint_at(position),
            "content is not what was saved ({context})"
        );
        // The child saved `last_saved` and returned; it may have completed one more save
        // (killed before it could report it), never more, never less.
        let acknowledged = outcome.last_saved.or(floor).unwrap_or(FIRST_POSITION);
        assert!(
            position == acknowledged || position == acknowledged + 1,
            "loaded {position}, last acknowledged {acknowledged} ({context})"
        );
        if position != acknowledged {
            unacknowledged += 1;
        }
        assert!(
            floor.is_none_or(|f| position >= f),
            "went back from {floor:?} to {position} ({context})"
        );
        floor = Some(position);
    }
    let elapsed = started.elapsed();
    println!(
        "{ROUNDS} SIGKILLs in {elapsed:.1?}: {saves} saves acknowledged, final position {floor:?}; \
         every kill left a loadable checkpoint; {stray_temp} kills left a temporary file behind \
         (between its creation and the rename), {unacknowledged} fell after a rename but before \
         save returned (mostly in the directory fsync), {rounds_without_save} came before the \
         round's first save"
    );
    assert!(
        floor.is_some() && saves > ROUNDS as u64,
        "the children barely saved: the test proves little"
    );
    assert!(
        stray_temp + unacknowledged > 0,
        "no kill landed inside a save: the test proves little"
    );
}
