//! A replication session (and so the connection under it) fed arbitrary server bytes: it may
//! fail, but never panic or loop.
#![no_main]

use binlog_proto::auth::OaepSeed;
use binlog_proto::connection::{ConnectOptions, TlsMode};
use binlog_proto::session::{ReplicationOptions, ReplicationSession, StartPosition, Step};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, data)) = data.split_first() else {
        return;
    };
    let tls = if mode & 1 == 1 {
        TlsMode::Preferred
    } else {
        TlsMode::Disabled
    };
    let start = match mode >> 1 & 3 {
        0 => StartPosition::Current,
        1 => StartPosition::Oldest,
        2 => StartPosition::MariadbGtids("0-1-5".parse().unwrap()),
        _ => StartPosition::File {
            file: "mysql-bin.000001".into(),
            position: 4,
        },
    };
    let connect = ConnectOptions::new("u", "p")
        .tls(tls)
        .oaep_seed(OaepSeed([1; 20]))
        .max_packet_size(1 << 16)
        .max_result_set_size(1 << 18);
    let mut session = ReplicationSession::new(connect, ReplicationOptions::new(7, start));
    // Feed in a few slices so that partial packets are seen too.
    let mut pieces = data.chunks(data.len() / 3 + 1);
    for _ in 0..100_000 {
        match session.poll() {
            Ok(Step::NeedMoreData) => match pieces.next() {
                Some(piece) => session.feed(piece),
                None => return,
            },
            Ok(Step::StartTls) => {
                let _ = session.tls_established();
            }
            Ok(Step::EndOfStream) | Err(_) => return,
            Ok(_) => {}
        }
    }
    panic!("no progress after 100000 polls");
});
