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
            gtids: vec![
                "0-1-5".parse().unwrap(),
                "0-2-7".parse().unwrap(),
                "1-1-3".parse().unwrap(),
            ],
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

/// Known answers from a real MySQL 8.0.45 GTID binlog pair (corpus, read at test time): the
/// state followed through every transaction of `binlog.000001` is exactly the
/// PREVIOUS_GTIDS of `binlog.000002`, and the COM_BINLOG_DUMP_GTID a checkpoint with that
/// state resumes with carries the very bytes the server wrote for that set.
#[cfg(test)]
mod corpus {
    use binlog_checkpoint::{Checkpoint, Flavor};
    use binlog_proto::command::{DumpFlags, encode_binlog_dump_gtid};
    use binlog_proto::file::BinlogFile;

    use super::*;
    use crate::config::Start;

    const DIR: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/percona-binlog-server/mtr/binlog_streaming/std_data/data_80045_gtid/"
    );

    fn read(name: &str) -> Vec<u8> {
        std::fs::read(format!("{DIR}{name}")).unwrap_or_else(|e| panic!("corpus file {name}: {e}"))
    }

    #[test]
    fn mysql_state_after_a_file_is_the_next_files_previous_gtids_and_the_resume_packet_carries_it() {
        let first = read("binlog.000001");
        let mut tracker = GtidTracker::new(None);
        let mut transactions = 0;
        let mut end = 0;
        for event in BinlogFile::new(&first).expect("magic") {
            let event = event.expect("decodes");
            tracker.on_event(&event.event);
            let ends = match &event.event {
                Event::Xid(_) => true,
                Event::Query(q) => !String::from_utf8_lossy(&q.sql)
                    .trim_start()
                    .to_ascii_uppercase()
                    .starts_with("BEGIN"),
                _ => false,
            };
            if ends {
                tracker.on_boundary();
                transactions += 1;
                end = event.end_offset();
            }
        }
        assert!(transactions > 0);
        let Some(GtidState::Mysql(state)) = tracker.current().cloned() else {
            panic!("no MySQL state after binlog.000001");
        };

        // binlog.000002: FORMAT_DESCRIPTION, then PREVIOUS_GTIDS.
        let second = read("binlog.000002");
        let mut offset = 4;
        let mut previous = None;
        for event in BinlogFile::new(&second).expect("magic") {
            let event = event.expect("decodes");
            if let Event::PreviousGtids(set) = &event.event {
                previous = Some((set.clone(), offset, event.end_offset()));
                break;
            }
            offset = event.end_offset();
        }
        let (previous, start, stop) = previous.expect("PREVIOUS_GTIDS in binlog.000002");
        assert_eq!(state, previous, "state {state} vs PREVIOUS_GTIDS {previous}");
        assert!(!state.is_empty());

        // A checkpoint with this state resumes by GTID set...
        let checkpoint =
            Checkpoint::new(Flavor::Mysql, "binlog.000001", end).with_gtid(GtidState::Mysql(state.clone()));
        let Start::MysqlGtid(resume) = super::super::checkpointing::resume_start(&checkpoint) else {
            panic!("a MySQL checkpoint with GTIDs resumes by GTID");
        };
        // ...whose COM_BINLOG_DUMP_GTID ends with the set exactly as the server encoded it
        // (PREVIOUS_GTIDS body: event minus 19-byte header and CRC32 trailer).
        let packet = encode_binlog_dump_gtid("", 4, DumpFlags::default(), 77, &resume);
        let body = &second[(start as usize + 19)..(stop as usize - 4)];
        assert_eq!(&packet[packet.len() - body.len()..], body);
        let len = u32::from_le_bytes(
            packet[packet.len() - body.len() - 4..packet.len() - body.len()]
                .try_into()
                .unwrap(),
        );
        assert_eq!(len as usize, body.len());
        assert_eq!(packet[0], 0x1e, "COM_BINLOG_DUMP_GTID");
        assert_eq!(&packet[3..7], &77u32.to_le_bytes(), "server id");
    }
}
