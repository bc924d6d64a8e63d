//! Consumption watermark over all subscribers of a connection's hubs.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Notify;

use super::SubShared;

/// Answers "has every subscriber consumed every item up to `seq`?" for the driver.
///
/// Per subscriber, `delivered` is the last item put into its channel and `consumed` a bound
/// such that every item it was sent up to `consumed` is finished. A subscriber holds the
/// watermark back only while `consumed < delivered`, and then only items after `consumed`.
/// The bound is kept tight from both sides: the stream raises it to `seq - 1` when it takes
/// item `seq` from its channel (all earlier items were taken and finished), and the driver
/// raises it to `seq - 1` when it sends `seq` to a subscriber that had finished everything.
/// So items filtered away from a subscriber never wait for it, and subscribers that were sent
/// nothing, finished everything, or ended hold nothing back.
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    subscribers: Mutex<Vec<Arc<SubShared>>>,
    /// Signalled by streams when they consume an item or end. One waiter (the driver).
    progress: Notify,
}

// Used by the connection driver (integration, checkpoints); tested in `hub::tests`.
#[cfg_attr(not(test), allow(dead_code))]
impl Tracker {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Tracker::default())
    }

    pub(super) fn register(&self, shared: Arc<SubShared>) {
        let mut subscribers = self.subscribers.lock().unwrap_or_else(PoisonError::into_inner);
        // Pruned here too, so a driver that never asks does not collect ended streams.
        subscribers.retain(|s| !s.finished.load(Ordering::Acquire));
        subscribers.push(shared);
    }

    /// Called by a stream after it marked progress.
    pub(super) fn notify(&self) {
        // `notify_one` stores a permit when the driver is not waiting yet: no lost wake-up.
        self.progress.notify_one();
    }

    /// Whether every subscriber has consumed every item it was sent with a sequence number up
    /// to `seq`.
    pub(crate) fn is_consumed(&self, seq: u64) -> bool {
        let mut subscribers = self.subscribers.lock().unwrap_or_else(PoisonError::into_inner);
        subscribers.retain(|s| !s.finished.load(Ordering::Acquire));
        subscribers.iter().all(|s| {
            let consumed = s.consumed.load(Ordering::Acquire);
            consumed >= seq || consumed >= s.delivered.load(Ordering::Acquire)
        })
    }

    /// The watermark: `Some(n)` when every item up to `n` is consumed and some subscriber may
    /// still hold item `n + 1` (a lower bound: see the type docs); `None` when every item sent
    /// so far is consumed.
    pub(crate) fn consumed_through(&self) -> Option<u64> {
        let mut subscribers = self.subscribers.lock().unwrap_or_else(PoisonError::into_inner);
        subscribers.retain(|s| !s.finished.load(Ordering::Acquire));
        subscribers
            .iter()
            .filter_map(|s| {
                let consumed = s.consumed.load(Ordering::Acquire);
                (consumed < s.delivered.load(Ordering::Acquire)).then_some(consumed)
            })
            .min()
    }

    /// Waits until [`is_consumed(seq)`](Self::is_consumed). Only one task may wait at a time.
    pub(crate) async fn wait_consumed(&self, seq: u64) {
        loop {
            let progress = self.progress.notified();
            if self.is_consumed(seq) {
                return;
            }
            progress.await;
        }
    }

    /// Subscribers currently tracked (streams not yet ended).
    pub(crate) fn tracked(&self) -> usize {
        let mut subscribers = self.subscribers.lock().unwrap_or_else(PoisonError::into_inner);
        subscribers.retain(|s| !s.finished.load(Ordering::Acquire));
        subscribers.len()
    }
}
