//! The stores through the async trait: trait objects, shared handles, overlapping saves.

use std::sync::Arc;
use std::task::{Context, Waker};

use binlog_checkpoint::{Checkpoint, CheckpointStore, Error, FileStore, Flavor, GtidState, MemoryStore};
use futures::executor::block_on;

fn at(position: u64) -> Checkpoint {
    Checkpoint::new(Flavor::Mariadb, "mysql-bin.000001", position)
        .with_gtid(GtidState::Mariadb(format!("0-1-{position}").parse().unwrap()))
}

fn assert_send_sync<T: Send + Sync + ?Sized>() {}
fn assert_send<T: Send>(_: &T) {}

#[test]
fn stores_are_usable_as_shared_trait_objects() {
    assert_send_sync::<dyn CheckpointStore>();
    assert_send_sync::<Box<dyn CheckpointStore>>();
    assert_send_sync::<FileStore>();
    assert_send_sync::<MemoryStore>();

    let dir = tempfile::tempdir().unwrap();
    let file = FileStore::new(dir.path().join("checkpoint"));
    let memory = Arc::new(MemoryStore::new());
    let stores: Vec<Box<dyn CheckpointStore>> = vec![
        Box::new(file.clone()),
        Box::new(Arc::clone(&memory)),
        Box::new(Arc::new(FileStore::new(dir.path().join("other"))) as Arc<dyn CheckpointStore>),
        Box::new(Box::new(MemoryStore::with_checkpoint(at(1))) as Box<dyn CheckpointStore>),
    ];
    for (index, store) in stores.iter().enumerate() {
        let loaded = block_on(store.load()).unwrap();
        assert_eq!(loaded, (index == 3).then(|| at(1)), "store {index}");
        let checkpoint = at(10 + index as u64);
        let save = store.save(&checkpoint);
        assert_send(&save);
        block_on(save).unwrap();
        assert_eq!(
            block_on(store.load()).unwrap(),
            Some(at(10 + index as u64)),
            "store {index}"
        );
    }
    // The handles kept outside see what went through the trait objects.
    assert_eq!(file.load_blocking().unwrap(), Some(at(10)));
    assert_eq!(memory.current(), Some(at(11)));
    assert_eq!(memory.save_count(), 1);
}

#[test]
fn async_file_store_reports_errors_like_the_blocking_one() {
    let dir = tempfile::tempdir().unwrap();
    let store: Box<dyn CheckpointStore> = Box::new(FileStore::new(dir.path().join("checkpoint")));
    std::fs::write(dir.path().join("checkpoint"), "not a checkpoint\n").unwrap();
    let error = block_on(store.load()).unwrap_err();
    assert!(matches!(error, Error::Corrupt { .. }), "{error:?}");

    let invalid = Checkpoint::new(Flavor::Mysql, "", 4);
    assert!(matches!(block_on(store.save(&invalid)), Err(Error::Invalid(_))));
    let memory = MemoryStore::new();
    assert!(matches!(block_on(memory.save(&invalid)), Err(Error::Invalid(_))));
    assert_eq!((memory.current(), memory.save_count()), (None, 0));
}

#[test]
fn the_save_asked_for_last_wins_when_saves_overlap() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path().join("checkpoint"));
    for round in 0..50 {
        let older = at(round * 2);
        let newer = at(round * 2 + 1);
        // Start the older save (its helper thread is now running), then save the newer one
        // from this thread before waiting for the older one to finish.
        // async-trait futures are already boxed and pinned.
        let mut pending = CheckpointStore::save(&store, &older);
        let first_poll = pending.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        store.save_blocking(&newer).unwrap();
        if first_poll.is_pending() {
            block_on(pending).unwrap();
        }
        assert_eq!(store.load_blocking().unwrap(), Some(newer), "round {round}");
    }
}

#[test]
fn an_abandoned_save_never_overwrites_a_later_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path().join("checkpoint"));
    for round in 0..50 {
        let older = at(round * 2);
        let mut abandoned = CheckpointStore::save(&store, &older);
        let _ = abandoned.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        drop(abandoned);
        block_on(CheckpointStore::save(&store, &at(round * 2 + 1))).unwrap();
        // The abandoned thread may still be running; whenever it runs, it must not write.
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert_eq!(
            store.load_blocking().unwrap(),
            Some(at(round * 2 + 1)),
            "round {round}"
        );
    }
}

#[test]
fn memory_store_counts_saves_and_starts_from_a_given_checkpoint() {
    let store = MemoryStore::with_checkpoint(at(5));
    assert_eq!(block_on(store.load()).unwrap(), Some(at(5)));
    for position in 6..9 {
        block_on(store.save(&at(position))).unwrap();
    }
    assert_eq!((store.current(), store.save_count()), (Some(at(8)), 3));
}
