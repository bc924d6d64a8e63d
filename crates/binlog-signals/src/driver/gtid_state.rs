//! The GTID state after the last complete transaction, for checkpoints and GTID resume.
//!
//! The state is only *known* once something says what came before: a checkpoint or a GTID
//! start (seed), a MariaDB GTID_LIST event (the binlog state at the start of every file, and
//! the artificial one a GTID dump begins with) or a MySQL PREVIOUS_GTIDS event (every GTID of
//! the earlier files). A stream started at a file position in the middle of a file knows
//! nothing before it, so until a rotation it has no GTID state: a partial set would make a
//! GTID resume replay or skip transactions, so none is claimed.

use binlog_checkpoint::GtidState;
use binlog_proto::event::Event;
use binlog_proto::gtid::{Gtid, MariadbGtid, MariadbGtidList};

/// GTID of the transaction being read.
#[derive(Debug, Clone)]
enum Pending {
    Mysql(Gtid),
    Mariadb(MariadbGtid),
}

#[derive(Debug, Default)]
pub(crate) struct GtidTracker {
    state: Option<GtidState>,
    pending: Option<Pending>,
}

impl GtidTracker {
    /// Starts from a known state (checkpoint, GTID start), or from nothing known.
    pub(crate) fn new(seed: Option<GtidState>) -> GtidTracker {
        GtidTracker {
            state: seed,
            pending: None,
        }
    }

    /// Follows one event (before its transaction's boundary is recorded).
    pub(crate) fn on_event(&mut self, event: &Event<'_>) {
        match event {
            Event::MariadbGtidList(list) => {
                // In a domain, the last entry is the domain's position (see the event's docs).
                let state: MariadbGtidList = list.gtids.iter().copied().collect();
                self.state = Some(match self.state.take() {
                    // A list after a known state (the artificial one of a GTID dump, or the
                    // one at the top of a new file) never goes backwards: merge per domain.
                    Some(GtidState::Mariadb(mut known)) => {
                        for gtid in state.gtids() {
                            let newer = known
                                .gtids()
                                .iter()
                                .find(|g| g.domain_id == gtid.domain_id)
                                .is_none_or(|g| g.seq_no <= gtid.seq_no);
                            if newer {
                                known.update(*gtid);
                            }
                        }
                        GtidState::Mariadb(known)
                    }
                    _ => GtidState::Mariadb(state),
                });
            }
            Event::PreviousGtids(set) => {
                self.state = Some(match self.state.take() {
                    Some(GtidState::Mysql(mut known)) => {
                        known.union_with(set);
                        GtidState::Mysql(known)
                    }
                    _ => GtidState::Mysql(set.clone()),
                });
            }
            Event::MariadbGtid(event) => self.pending = Some(Pending::Mariadb(event.gtid)),
            Event::Gtid(event) => self.pending = event.gtid().map(Pending::Mysql),
            _ => {}
        }
    }

    /// The open transaction ended: its GTID joins the state.
    pub(crate) fn on_boundary(&mut self) {
        let Some(pending) = self.pending.take() else {
            return;
        };
        match (&mut self.state, pending) {
            (Some(GtidState::Mariadb(list)), Pending::Mariadb(gtid)) => list.update(gtid),
            (Some(GtidState::Mysql(set)), Pending::Mysql(gtid)) => {
                // Only fails for a malformed GTID (gno 0), which the decoder does not produce.
                if let Err(error) = set.insert(&gtid) {
                    tracing::warn!(%gtid, %error, "GTID not added to the checkpoint state");
                }
            }
            _ => {}
        }
    }

    /// A new connection resumes from the last boundary: a transaction it had begun is read
    /// again from its GTID event.
    pub(crate) fn restart_transaction(&mut self) {
        self.pending = None;
    }

    /// The state after the last complete transaction, when known.
    pub(crate) fn current(&self) -> Option<&GtidState> {
        self.state.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use binlog_proto::event::MariadbGtidListEvent;

    use super::*;

    #[test]
    fn mariadb_state_is_known_from_a_gtid_list_and_follows_committed_transactions() {
        let mut tracker = GtidTracker::new(None);
        assert!(tracker.current().is_none());
        let list = MariadbGtidListEvent {
            flags: 0,
            gtids: vec!["0-1-5".parse().unwrap(), "0-2-7".parse().unwrap(), "1-1-3".parse().unwrap()],
        };
        tracker.on_event(&Event::MariadbGtidList(list));
        assert_eq!(tracker.current().unwrap().to_string(), "0-2-7,1-1-3");
        tracker.pending = Some(Pending::Mariadb("0-1-8".parse().unwrap()));
        // Not yet committed.
        assert_eq!(tracker.current().unwrap().to_string(), "0-2-7,1-1-3");
        tracker.on_boundary();
        assert_eq!(tracker.current().unwrap().to_string(), "0-1-8,1-1-3");
        // A transaction cut by a reconnect is not counted.
        tracker.pending = Some(Pending::Mariadb("0-1-9".parse().unwrap()));
        tracker.restart_transaction();
        tracker.on_boundary();
        assert_eq!(tracker.current().unwrap().to_string(), "0-1-8,1-1-3");
    }

    #[test]
    fn mysql_state_is_the_previous_gtids_plus_each_transaction() {
        let uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
        let mut tracker = GtidTracker::new(None);
        tracker.on_event(&Event::PreviousGtids(format!("{uuid}:1-5").parse().unwrap()));
        tracker.pending = Some(Pending::Mysql(Gtid {
            uuid: uuid.parse().unwrap(),
            tag: binlog_proto::gtid::Tag::untagged(),
            gno: 6,
        }));
        tracker.on_boundary();
        assert_eq!(tracker.current().unwrap().to_string(), format!("{uuid}:1-6"));
    }
}
