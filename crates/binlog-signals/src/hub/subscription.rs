//! The consumer's half: a `Stream` over one subscriber's channel.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use futures::stream::{FusedStream, Stream};
use tokio::sync::mpsc;

use super::{End, Message, Routed, SubShared, Tracker};
use crate::error::Error;
use crate::filter::TableFilter;

/// One subscriber's stream: its items in publish order, then the reason it ended.
pub(crate) struct Subscription<T> {
    rx: mpsc::Receiver<Message<T>>,
    shared: Arc<SubShared>,
    tracker: Arc<Tracker>,
    /// Sequence number of the item yielded last; it counts as consumed at the next poll.
    held: u64,
    /// Set when the filter changed after the driver picked this subscriber up: items already
    /// in the channel were filtered with the old filter and are checked again here.
    recheck: Option<TableFilter>,
    done: bool,
}

impl<T> Subscription<T> {
    pub(super) fn new(rx: mpsc::Receiver<Message<T>>, shared: Arc<SubShared>, tracker: Arc<Tracker>) -> Self {
        Subscription {
            rx,
            shared,
            tracker,
            held: 0,
            recheck: None,
            done: false,
        }
    }

    /// Changes this stream's table filter. Takes effect for every item not yet yielded.
    pub(crate) fn update_filter(&mut self, change: impl FnOnce(&mut TableFilter)) {
        let mut slot = self.shared.filter_slot();
        change(&mut slot.filter);
        self.shared.filter_version.fetch_add(1, Ordering::AcqRel);
        if slot.active {
            self.recheck = Some(slot.filter.clone());
        }
    }

    /// Records that every item sent to this stream up to `seq` is finished. `fetch_max`: the
    /// driver may have raised it already (see `Hub::record_delivery`).
    fn mark_consumed(&self, seq: u64) {
        if seq > 0 {
            self.shared.consumed.fetch_max(seq, Ordering::AcqRel);
            self.tracker.notify();
        }
    }

    fn finish(&mut self) {
        self.done = true;
        self.shared.finished.store(true, Ordering::Release);
        self.tracker.notify();
    }
}

impl<T: Routed> Stream for Subscription<T> {
    type Item = Result<T, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        // Polling again finishes the item yielded last.
        let mut progress = std::mem::take(&mut this.held);
        if this.done {
            this.mark_consumed(progress);
            return Poll::Ready(None);
        }
        loop {
            let message = match this.rx.poll_recv(cx) {
                Poll::Ready(message) => message,
                Poll::Pending => {
                    this.mark_consumed(progress);
                    return Poll::Pending;
                }
            };
            match message {
                Some((seq, item)) => {
                    if let Some(filter) = &this.recheck
                        && !filter.allows_item(item.table())
                    {
                        progress = seq;
                        continue;
                    }
                    // Items reach a channel in sequence order and all earlier ones were taken
                    // and finished: everything before `seq` is done for this stream.
                    this.mark_consumed(progress.max(seq.saturating_sub(1)));
                    this.held = seq;
                    return Poll::Ready(Some(Ok(item)));
                }
                None => {
                    this.mark_consumed(progress);
                    this.finish();
                    return Poll::Ready(match this.shared.end.get() {
                        Some(End::Clean) => None,
                        Some(End::Lagged) => Some(Err(Error::Lagged {
                            missed: this.shared.missed.load(Ordering::Relaxed),
                        })),
                        Some(End::Failed(error)) => Some(Err(error.clone())),
                        // Every path that closes a channel records why first; never be silent.
                        None => Some(Err(Error::Shutdown)),
                    });
                }
            }
        }
    }
}

impl<T: Routed> FusedStream for Subscription<T> {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

impl<T> Drop for Subscription<T> {
    fn drop(&mut self) {
        if !self.done {
            self.finish();
        }
    }
}

impl<T> fmt::Debug for Subscription<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("buffered", &self.rx.len())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}
