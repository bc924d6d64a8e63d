//! The harness's server is reachable from the end-to-end package.

use binlog_testkit::Server;

#[test]
fn writes_move_the_binlog_position() {
    let server = Server::shared();
    let db = server.fresh_database("e2e");
    let (_, before) = server.master_status();
    server.exec(&format!(
        "CREATE TABLE `{db}`.t (id BIGINT PRIMARY KEY); INSERT INTO `{db}`.t VALUES (1),(2),(3)"
    ));
    let (_, after) = server.master_status();
    assert!(after > before, "{before} -> {after}");
}
