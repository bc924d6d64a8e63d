//! The subscribing half of a hub, held by the [`Client`](crate::Client).

use std::fmt;
use std::mem;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::mpsc;

use super::{End, Message, SubShared, Subscription, Tracker};
use crate::error::Error;

/// Creates subscriptions for one signal; the driver's [`Hub`](super::Hub) picks them up.
pub(crate) struct Registry<T> {
    inner: Arc<RegistryInner<T>>,
    tracker: Arc<Tracker>,
    capacity: usize,
}

pub(super) struct RegistryInner<T> {
    state: Mutex<State<T>>,
    /// Lets the driver skip the lock when nobody subscribed since its last publish.
    has_pending: AtomicBool,
}

struct State<T> {
    pending: Vec<Pending<T>>,
    /// Set when the hub closed: later subscribers end at once.
    closed: Option<End>,
}

/// A subscription the driver has not picked up yet.
pub(super) struct Pending<T> {
    pub(super) tx: mpsc::Sender<Message<T>>,
    pub(super) shared: Arc<SubShared>,
}

impl<T> Registry<T> {
    pub(super) fn new(capacity: usize, tracker: Arc<Tracker>) -> Self {
        Registry {
            inner: Arc::new(RegistryInner {
                state: Mutex::new(State {
                    pending: Vec::new(),
                    closed: None,
                }),
                has_pending: AtomicBool::new(false),
            }),
            tracker,
            capacity,
        }
    }

    pub(super) fn inner(&self) -> Arc<RegistryInner<T>> {
        self.inner.clone()
    }

    /// A new stream that receives every item published from the driver's next publish on.
    pub(crate) fn subscribe(&self) -> Subscription<T> {
        let (tx, rx) = mpsc::channel(self.capacity);
        let shared = Arc::new(SubShared::default());
        {
            let mut state = self.inner.lock();
            match &state.closed {
                None => {
                    state.pending.push(Pending {
                        tx,
                        shared: shared.clone(),
                    });
                    self.inner.has_pending.store(true, Ordering::Release);
                }
                // Too late: the stream reports why at once instead of staying silent.
                Some(end) => shared.end_with(match end {
                    End::Failed(error) => End::Failed(error.clone()),
                    End::Clean | End::Lagged => End::Failed(Error::Shutdown),
                }),
            }
        }
        Subscription::new(rx, shared, self.tracker.clone())
    }
}

impl<T> RegistryInner<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn has_pending(&self) -> bool {
        self.has_pending.load(Ordering::Acquire)
    }

    pub(super) fn take_pending(&self) -> Vec<Pending<T>> {
        let mut state = self.lock();
        self.has_pending.store(false, Ordering::Release);
        mem::take(&mut state.pending)
    }

    /// Marks the registry closed and hands back the subscriptions never picked up.
    pub(super) fn close(&self, end: End) -> Vec<Pending<T>> {
        let mut state = self.lock();
        state.closed = Some(end);
        self.has_pending.store(false, Ordering::Release);
        mem::take(&mut state.pending)
    }
}

impl<T> fmt::Debug for Registry<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}
