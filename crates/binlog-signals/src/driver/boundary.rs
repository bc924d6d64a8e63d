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

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;
    use crate::client::channels;
    use crate::config::LagPolicy;

    fn boundary(seq: u64, position: u64) -> Boundary {
        Boundary {
            seq,
            position: BinlogPosition::new("mysql-bin.000001", position),
            gtid: Some(format!("0-1-{seq}").into()),
        }
    }

    /// A transaction end becomes the committed boundary only once every subscriber has
    /// consumed every item up to it.
    #[tokio::test]
    async fn boundaries_commit_when_every_subscriber_consumed_them() {
        let (client, mut hubs) = channels(8, LagPolicy::Backpressure);
        let mut positions = client.binlog_positions();
        let mut boundaries = Boundaries::default();
        // Nobody subscribed yet to anything published: at once.
        boundaries.push(boundary(1, 100), &hubs.tracker);
        assert_eq!(boundaries.committed().map(|b| b.seq), Some(1));

        for (seq, pos) in [(2, 200), (3, 300)] {
            hubs.binlog_positions
                .publish(seq, BinlogPosition::new("mysql-bin.000001", pos))
                .await;
        }
        boundaries.push(boundary(3, 300), &hubs.tracker);
        assert_eq!(boundaries.committed().map(|b| b.seq), Some(1));
        assert_eq!(boundaries.pending(), 1);

        positions.next().await.expect("2").expect("ok");
        boundaries.advance(&hubs.tracker);
        assert_eq!(boundaries.committed().map(|b| b.seq), Some(1), "3 is still held");
        positions.next().await.expect("3").expect("ok");
        // Taken but not yet finished: the stream holds item 3 until it is polled again.
        boundaries.advance(&hubs.tracker);
        assert_eq!(boundaries.pending(), 1);
        assert!(futures::poll!(positions.next()).is_pending());
        boundaries.advance(&hubs.tracker);
        let committed = boundaries.committed().expect("committed");
        assert_eq!((committed.seq, committed.position.position()), (3, 300));
        assert_eq!(committed.gtid.as_deref(), Some("0-1-3"));
        assert_eq!(boundaries.pending(), 0);
    }
}
