//! Broadcast of one signal kind to its subscribers, with backpressure, an opt-in lag policy and
//! consumption tracking for checkpoints.
//!
//! Three halves share each subscriber's state ([`SubShared`]):
//! - [`Registry`] lives in the [`Client`](crate::Client): it creates subscriptions. A new
//!   subscription waits in a pending list until the driver's next publish picks it up.
//! - [`Hub`] is owned by the driver task: [`Hub::publish`] sends one item to every subscriber
//!   whose filter matches, over its own bounded `tokio::sync::mpsc` channel.
//! - [`Subscription`] is the consumer's `Stream`.
//!
//! The driver numbers items with a sequence number (its event counter; the same number may be
//! used on several hubs for one event). [`Tracker`], shared by all hubs of a connection,
//! answers "has every subscriber consumed every item up to `seq`?": an item counts as consumed
//! once its stream is polled again after yielding it, or dropped.

mod registry;
mod subscription;
mod tracker;

#[cfg(test)]
mod tests;

use std::mem;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use tokio::sync::mpsc::{self, error::TrySendError};
use tokio::time::Instant;

pub(crate) use registry::Registry;
use registry::RegistryInner;
pub(crate) use subscription::Subscription;
pub(crate) use tracker::Tracker;

use crate::config::LagPolicy;
use crate::error::Error;
use crate::filter::TableFilter;

/// What a hub can route: items know the table they concern, if any.
pub(crate) trait Routed: Clone + Send + Sync + 'static {
    /// `(schema, table)`, or `None` for items that concern no table.
    fn table(&self) -> Option<(&str, &str)>;
}

/// One channel message: the item's sequence number and the item.
type Message<T> = (u64, T);

/// Why a subscriber's channel was closed; set before the driver drops the sender, read by the
/// stream once the channel is drained.
#[derive(Debug, Clone)]
enum End {
    /// Graceful end: the stream just ends.
    Clean,
    /// Dropped by the lag policy: the stream yields [`Error::Lagged`].
    Lagged,
    /// The connection failed: the stream yields this error.
    Failed(Error),
}

/// State of one subscriber shared between its stream, the driver and the tracker.
#[derive(Debug, Default)]
struct SubShared {
    /// Sequence number of the last item put into the channel (written by the driver).
    delivered: AtomicU64,
    /// Sequence number of the last item the consumer finished with (written by the stream).
    consumed: AtomicU64,
    /// The stream has ended or was dropped: it holds nothing back any more.
    finished: AtomicBool,
    /// Items not delivered since the lag policy dropped this subscriber.
    missed: AtomicU64,
    end: OnceLock<End>,
    /// The stream's table filter; `version` tells the driver when to copy it again.
    filter: Mutex<FilterSlot>,
    filter_version: AtomicU64,
}

#[derive(Debug, Default)]
struct FilterSlot {
    filter: TableFilter,
    /// The driver has taken the subscriber out of the pending list and may have sent items
    /// filtered with an older version.
    active: bool,
}

impl SubShared {
    fn filter_slot(&self) -> MutexGuard<'_, FilterSlot> {
        self.filter.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn end_with(&self, end: End) {
        // Each subscriber is ended by exactly one path; a second call changes nothing.
        let _ = self.end.set(end);
    }
}

/// A subscriber as the driver sees it.
struct Active<T> {
    tx: mpsc::Sender<Message<T>>,
    shared: Arc<SubShared>,
    /// Copy of the filter, refreshed when `shared.filter_version` moves.
    filter: TableFilter,
    filter_version: u64,
    status: Status,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Open,
    /// The stream was dropped.
    Gone,
    /// The lag policy drops it after this publish.
    Lagging,
}

impl<T> Active<T> {
    /// Notes that item `seq` is in the channel. A subscriber that had finished everything
    /// before it has, in effect, finished everything up to `seq - 1` (the items in between were
    /// not for it): saying so keeps a filtered subscriber from holding back the watermark
    /// while `seq` waits in its channel.
    fn record_delivery(&self, seq: u64) {
        let shared = &self.shared;
        if shared.consumed.load(Ordering::Acquire) >= shared.delivered.load(Ordering::Relaxed) {
            shared.consumed.fetch_max(seq.saturating_sub(1), Ordering::AcqRel);
        }
        shared.delivered.store(seq, Ordering::Release);
    }

    fn refresh_filter(&mut self) {
        let version = self.shared.filter_version.load(Ordering::Acquire);
        if version != self.filter_version {
            let slot = self.shared.filter_slot();
            self.filter = slot.filter.clone();
            self.filter_version = self.shared.filter_version.load(Ordering::Acquire);
        }
    }
}

/// A subscriber dropped for lagging whose stream has not yet reported it: counts what it
/// misses.
struct Lagging {
    shared: Arc<SubShared>,
    filter: TableFilter,
}

/// The driver's side of one signal. See the [module docs](self).
pub(crate) struct Hub<T> {
    registry: Arc<RegistryInner<T>>,
    tracker: Arc<Tracker>,
    policy: LagPolicy,
    active: Vec<Active<T>>,
    lagging: Vec<Lagging>,
    /// Scratch list of messages that did not fit at once, kept to reuse its allocation.
    blocked: Vec<(usize, Message<T>)>,
    last_seq: u64,
    closed: bool,
}

// Used by the connection driver (integration); tested below.
#[cfg_attr(not(test), allow(dead_code))]
impl<T: Routed> Hub<T> {
    /// A hub and its registry, sharing `tracker` with the connection's other hubs.
    pub(crate) fn new(capacity: usize, policy: LagPolicy, tracker: Arc<Tracker>) -> (Hub<T>, Registry<T>) {
        let registry = Registry::new(capacity, tracker.clone());
        let hub = Hub {
            registry: registry.inner(),
            tracker,
            policy,
            active: Vec::new(),
            lagging: Vec::new(),
            blocked: Vec::new(),
            last_seq: 0,
            closed: false,
        };
        (hub, registry)
    }

    /// Sends `item` to every subscriber whose filter lets it through, in publish order.
    ///
    /// Waits while a matching subscriber's channel is full ([`LagPolicy::Backpressure`]), or
    /// drops that subscriber when it stays full too long ([`LagPolicy::Drop`]). Subscribers
    /// whose stream was dropped are removed. `seq` must grow from one call to the next (the
    /// same number may be published on other hubs).
    ///
    /// Not cancel-safe in the sense that a cancelled call may have delivered the item to some
    /// subscribers only; the driver cancels it only when it is shutting down anyway.
    pub(crate) async fn publish(&mut self, seq: u64, item: T) {
        debug_assert!(
            seq > self.last_seq,
            "sequence numbers must grow: {seq} after {}",
            self.last_seq
        );
        self.last_seq = seq;
        if self.registry.has_pending() {
            self.activate_pending();
        }
        let table = item.table();
        if !self.lagging.is_empty() {
            self.count_missed(table);
        }
        let mut blocked = mem::take(&mut self.blocked);
        for (index, sub) in self.active.iter_mut().enumerate() {
            sub.refresh_filter();
            if !sub.filter.allows_item(table) {
                continue;
            }
            match sub.tx.try_send((seq, item.clone())) {
                Ok(()) => sub.record_delivery(seq),
                Err(TrySendError::Full(message)) => blocked.push((index, message)),
                Err(TrySendError::Closed(_)) => sub.status = Status::Gone,
            }
        }
        if !blocked.is_empty() {
            self.wait_for_room(&mut blocked).await;
        }
        self.blocked = blocked;
        if self.active.iter().any(|s| s.status != Status::Open) {
            self.remove_ended();
        }
    }

    /// Second pass over the subscribers whose channel was full.
    async fn wait_for_room(&mut self, blocked: &mut Vec<(usize, Message<T>)>) {
        // One deadline for the whole publish: several slow subscribers do not add up.
        let deadline = match self.policy {
            LagPolicy::Backpressure => None,
            LagPolicy::Drop { after } => Some(Instant::now() + after),
        };
        for (index, message) in blocked.drain(..) {
            let Some(sub) = self.active.get_mut(index) else {
                continue;
            };
            let seq = message.0;
            let status = match deadline {
                None => match sub.tx.send(message).await {
                    Ok(()) => Status::Open,
                    Err(_) => Status::Gone,
                },
                // `timeout_at` polls `reserve` before looking at the clock, so a channel that
                // has room by now is never dropped, even with a zero timeout.
                Some(deadline) => match tokio::time::timeout_at(deadline, sub.tx.reserve()).await {
                    Ok(Ok(permit)) => {
                        permit.send(message);
                        Status::Open
                    }
                    Ok(Err(_)) => Status::Gone,
                    Err(_) => Status::Lagging,
                },
            };
            if status == Status::Open {
                sub.record_delivery(seq);
            }
            sub.status = status;
        }
    }

    /// Removes dropped streams and moves lagging subscribers to the `lagging` list.
    fn remove_ended(&mut self) {
        let mut index = 0;
        while let Some(sub) = self.active.get(index) {
            match sub.status {
                Status::Open => index += 1,
                Status::Gone => {
                    self.active.swap_remove(index);
                }
                Status::Lagging => {
                    let sub = self.active.swap_remove(index);
                    sub.shared.missed.store(1, Ordering::Relaxed);
                    // The reason is recorded before the sender is dropped (with `sub.tx`).
                    sub.shared.end_with(End::Lagged);
                    self.lagging.push(Lagging {
                        shared: sub.shared,
                        filter: sub.filter,
                    });
                }
            }
        }
    }

    fn count_missed(&mut self, table: Option<(&str, &str)>) {
        self.lagging
            .retain(|lagging| !lagging.shared.finished.load(Ordering::Acquire));
        for lagging in &self.lagging {
            if lagging.filter.allows_item(table) {
                lagging.shared.missed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn activate_pending(&mut self) {
        for pending in self.registry.take_pending() {
            let (filter, filter_version) = {
                let mut slot = pending.shared.filter_slot();
                slot.active = true;
                (
                    slot.filter.clone(),
                    pending.shared.filter_version.load(Ordering::Acquire),
                )
            };
            self.tracker.register(pending.shared.clone());
            self.active.push(Active {
                tx: pending.tx,
                shared: pending.shared,
                filter,
                filter_version,
                status: Status::Open,
            });
        }
    }

    /// Ends every stream of this signal after its buffered items: cleanly (`None`) or with
    /// `error`. Streams created later yield `error`, or [`Error::Shutdown`] after a clean end.
    pub(crate) fn close(mut self, error: Option<Error>) {
        self.shut(error.map_or(End::Clean, End::Failed));
    }

    /// Number of subscribers the driver is sending to (pending ones not counted).
    pub(crate) fn subscriber_count(&self) -> usize {
        self.active.len()
    }

    /// Whether streams were created that the next publish will pick up.
    pub(crate) fn has_pending(&self) -> bool {
        self.registry.has_pending()
    }
}

impl<T> Hub<T> {
    fn shut(&mut self, end: End) {
        if mem::replace(&mut self.closed, true) {
            return;
        }
        for pending in self.registry.close(end.clone()) {
            pending.shared.end_with(end.clone());
        }
        for sub in self.active.drain(..) {
            sub.shared.end_with(end.clone());
        }
        self.lagging.clear();
    }
}

impl<T> Drop for Hub<T> {
    /// A hub dropped without [`Hub::close`] (the driver future was dropped) ends its streams
    /// with [`Error::Shutdown`], never silently.
    fn drop(&mut self) {
        self.shut(End::Failed(Error::Shutdown));
    }
}
