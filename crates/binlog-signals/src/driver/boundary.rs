//! Transaction boundaries in the published sequence, for checkpoints: the position after a
//! transaction's last event (XID, `COMMIT`, DDL) is a safe place to resume from once every
//! subscriber has consumed everything up to it.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::hub::Tracker;
use crate::item::BinlogPosition;

/// A transaction end: the sequence number of its last event, where the binlog continues, and
/// the transaction's GTID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Boundary {
    pub(crate) seq: u64,
    pub(crate) position: BinlogPosition,
    pub(crate) gtid: Option<Arc<str>>,
}

/// Boundaries not yet consumed by every subscriber, oldest first. Bounded: under
/// backpressure, unconsumed items are bounded by the channel capacities, and boundaries are
/// pruned whenever one is added.
#[derive(Debug, Default)]
pub(crate) struct Boundaries {
    pending: VecDeque<Boundary>,
    committed: Option<Boundary>,
}

impl Boundaries {
    /// Records a boundary and moves past those every subscriber has consumed.
    pub(crate) fn push(&mut self, boundary: Boundary, tracker: &Tracker) {
        self.pending.push_back(boundary);
        self.advance(tracker);
    }

    /// Moves the committed boundary forward over every pending one that is consumed.
    pub(crate) fn advance(&mut self, tracker: &Tracker) {
        while let Some(front) = self.pending.front() {
            if !tracker.is_consumed(front.seq) {
                break;
            }
            self.committed = self.pending.pop_front();
        }
    }

    /// The last transaction end that every subscriber has consumed: where a new connection
    /// resumes without loss (issue 6 stores it as the checkpoint).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn committed(&self) -> Option<&Boundary> {
        self.committed.as_ref()
    }

    /// Boundaries still waiting for subscribers.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn pending(&self) -> usize {
        self.pending.len()
    }
}
