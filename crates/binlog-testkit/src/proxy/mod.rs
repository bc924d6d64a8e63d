//! A loopback TCP proxy that tests put between the code under test and the server, to break the
//! network on purpose.
//!
//! [`Proxy::start`] listens on a free port of 127.0.0.1 and forwards every accepted connection
//! to `127.0.0.1:<target>` (the harness server). The test then:
//! - [`Proxy::cut`]s every live connection (both ends read EOF) while new ones are still
//!   accepted, as a dropped network path would;
//! - [`Proxy::blackhole`]s the live connections: the proxy keeps both sockets open but forwards
//!   nothing more, in either direction, not even a close: the half-open connection that only
//!   heartbeats and read timeouts can detect. New connections are forwarded normally;
//! - [`Proxy::pause`]s all forwarding, live and new connections alike, until
//!   [`Proxy::resume`]: bytes wait in the proxy and in the kernel buffers and none are lost;
//! - [`Proxy::refuse`]s new connections (accepted, then reset at once) while the server stays
//!   up;
//! - points new connections at another port with [`Proxy::set_target`].
//!
//! It is built on threads and blocking std sockets (two threads per connection, one for
//! accepting) so that the testkit does not impose an async runtime on its users; tests open a
//! handful of connections at a time, so threads cost nothing that matters. Dropping the proxy
//! closes every connection and joins every thread it started.
//!
//! ```no_run
//! use binlog_testkit::{Proxy, Server};
//! let server = Server::shared();
//! let proxy = Proxy::start(server.port()).expect("start the proxy");
//! let url = proxy.repl_url(); // hand this to the code under test
//! # let _ = url;
//! proxy.wait_for_connections(1, std::time::Duration::from_secs(30));
//! assert_eq!(proxy.cut(), 1); // the client sees EOF and must reconnect
//! ```

mod conn;

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use conn::Conn;

use crate::{ADMIN_PASSWORD, ADMIN_USER, REPL_PASSWORD, REPL_USER};

/// Counters of a [`Proxy`] since it started; see [`Proxy::stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProxyStats {
    /// TCP connections accepted from clients (including refused ones).
    pub accepted: u64,
    /// Connections reset at once because [`Proxy::refuse`] was on.
    pub refused: u64,
    /// Connections reset because the target could not be reached (server down).
    pub upstream_failed: u64,
    /// Connections forwarded to the target.
    pub forwarded: u64,
    /// Connections closed by [`Proxy::cut`].
    pub cut: u64,
    /// Connections open right now (blackholed ones included).
    pub live: u64,
    /// Bytes forwarded from clients to the server.
    pub bytes_to_server: u64,
    /// Bytes forwarded from the server to clients.
    pub bytes_to_client: u64,
}

/// A loopback TCP proxy under the test's control; see the [module docs](self).
#[derive(Debug)]
pub struct Proxy {
    shared: Arc<Shared>,
    addr: SocketAddr,
    acceptor: Option<JoinHandle<()>>,
}

/// How long the proxy waits for the target to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
struct Shared {
    /// The proxy's own port, in thread names (`px<port>-...`) so tests can find them.
    port: u16,
    target: AtomicU16,
    refuse: AtomicBool,
    closing: AtomicBool,
    /// `pause`/`resume` state; pumps wait on `unpaused` while it is true.
    paused: Mutex<bool>,
    unpaused: Condvar,
    /// Live connections by id; `changed` is notified on every insert and removal.
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
    changed: Condvar,
    next_id: AtomicU64,
    /// Every thread started for a connection, joined on drop.
    threads: Mutex<Vec<JoinHandle<()>>>,
    accepted: AtomicU64,
    refused: AtomicU64,
    upstream_failed: AtomicU64,
    forwarded: AtomicU64,
    cut: AtomicU64,
    bytes_to_server: AtomicU64,
    bytes_to_client: AtomicU64,
}

impl Proxy {
    /// Listens on a free port of 127.0.0.1 and forwards to `127.0.0.1:<target_port>`.
    pub fn start(target_port: u16) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            port: addr.port(),
            target: AtomicU16::new(target_port),
            ..Shared::default()
        });
        let acceptor = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name(format!("px{}-accept", addr.port()))
                .spawn(move || accept_loop(&shared, &listener))?
        };
        Ok(Proxy {
            shared,
            addr,
            acceptor: Some(acceptor),
        })
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The address clients connect to (`127.0.0.1:<port>`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `mysql://repl:PASSWORD@127.0.0.1:<proxy port>`: the harness's replication account,
    /// reached through the proxy.
    pub fn repl_url(&self) -> String {
        format!("mysql://{REPL_USER}:{REPL_PASSWORD}@127.0.0.1:{}", self.port())
    }

    /// `mysql://admin:PASSWORD@127.0.0.1:<proxy port>`: the admin account through the proxy.
    pub fn admin_url(&self) -> String {
        format!("mysql://{ADMIN_USER}:{ADMIN_PASSWORD}@127.0.0.1:{}", self.port())
    }

    /// The port new connections are forwarded to.
    pub fn target(&self) -> u16 {
        self.shared.target.load(Ordering::SeqCst)
    }

    /// Forwards new connections to `127.0.0.1:<port>` from now on (live ones keep theirs), for
    /// a server that came back on another port.
    pub fn set_target(&self, port: u16) {
        self.shared.target.store(port, Ordering::SeqCst);
    }

    /// Closes every live connection, both ways, with an orderly shutdown: the client and the
    /// server read EOF. New connections are still accepted. Returns how many were closed.
    pub fn cut(&self) -> usize {
        let drained: Vec<Arc<Conn>> = {
            let mut conns = self.shared.lock_conns();
            let drained = conns.drain().map(|(_, c)| c).collect();
            self.shared.changed.notify_all();
            drained
        };
        for conn in &drained {
            conn.close();
        }
        // Pumps held by `pause` must see that their connection is gone.
        self.shared.unpaused.notify_all();
        self.shared.cut.fetch_add(drained.len() as u64, Ordering::SeqCst);
        drained.len()
    }

    /// Stops forwarding on every live connection for good while keeping both sockets open: no
    /// byte and no close passes any more, in either direction, so each end sees a silent peer
    /// (a half-open connection). Bytes that arrive are read and dropped. New connections are
    /// forwarded normally. [`Proxy::cut`] closes the blackholed connections. Returns how many
    /// connections were blackholed.
    pub fn blackhole(&self) -> usize {
        let conns = self.shared.lock_conns();
        for conn in conns.values() {
            conn.blackhole();
        }
        // Pumps held by `pause` must learn that their bytes are now to be dropped.
        self.shared.unpaused.notify_all();
        conns.len()
    }

    /// Stops forwarding bytes on all connections, live and new, until [`Proxy::resume`]; the
    /// sockets stay open and no byte is lost (the proxy holds what it has read, TCP flow
    /// control holds the rest). New connections are still accepted and connected to the
    /// target.
    pub fn pause(&self) {
        *self.shared.lock_paused() = true;
    }

    /// Forwards again after [`Proxy::pause`], starting with the bytes held back.
    pub fn resume(&self) {
        *self.shared.lock_paused() = false;
        self.shared.unpaused.notify_all();
    }

    /// While `true`, every new connection is accepted and reset at once (the client's first
    /// read fails with `ECONNRESET`, or its write with `EPIPE`), as if the server were down.
    /// Live connections are not touched.
    pub fn refuse(&self, refuse: bool) {
        self.shared.refuse.store(refuse, Ordering::SeqCst);
    }

    /// The number of open connections (blackholed ones included).
    pub fn live_connections(&self) -> usize {
        self.shared.lock_conns().len()
    }

    /// Waits until at least `n` connections are open; false if `timeout` passed first.
    pub fn wait_for_connections(&self, n: usize, timeout: Duration) -> bool {
        self.wait_until(timeout, |len| len >= n)
    }

    /// Waits until exactly `n` connections are open; false if `timeout` passed first.
    pub fn wait_for_live(&self, n: usize, timeout: Duration) -> bool {
        self.wait_until(timeout, |len| len == n)
    }

    fn wait_until(&self, timeout: Duration, done: impl Fn(usize) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut conns = self.shared.lock_conns();
        while !done(conns.len()) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            conns = self
                .shared
                .changed
                .wait_timeout(conns, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }

    /// The counters so far.
    pub fn stats(&self) -> ProxyStats {
        let s = &self.shared;
        let get = |c: &AtomicU64| c.load(Ordering::SeqCst);
        ProxyStats {
            accepted: get(&s.accepted),
            refused: get(&s.refused),
            upstream_failed: get(&s.upstream_failed),
            forwarded: get(&s.forwarded),
            cut: get(&s.cut),
            live: s.lock_conns().len() as u64,
            bytes_to_server: get(&s.bytes_to_server),
            bytes_to_client: get(&s.bytes_to_client),
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.closing.store(true, Ordering::SeqCst);
        // `accept` blocks; a connection of our own wakes it up to see `closing`.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        self.cut();
        // Connection threads may add pump threads while we join them: repeat until none is left.
        loop {
            let threads = std::mem::take(&mut *self.shared.lock_threads());
            if threads.is_empty() {
                break;
            }
            for thread in threads {
                let _ = thread.join();
            }
        }
    }
}

impl Shared {
    fn lock_conns(&self) -> MutexGuard<'_, HashMap<u64, Arc<Conn>>> {
        self.conns.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_paused(&self) -> MutexGuard<'_, bool> {
        self.paused.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_threads(&self) -> MutexGuard<'_, Vec<JoinHandle<()>>> {
        self.threads.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps `thread` for the final join, forgetting the ones that already ended.
    fn keep_thread(&self, thread: JoinHandle<()>) {
        let mut threads = self.lock_threads();
        threads.retain(|t| !t.is_finished());
        threads.push(thread);
    }

    /// Blocks while the proxy is paused, unless `conn` is closed or blackholed meanwhile. (Not
    /// on `closing`: `Drop` closes every connection, and a pump woken by `closing` alone
    /// would forward its bytes before the close.)
    fn wait_unpaused(&self, conn: &Conn) {
        let mut paused = self.lock_paused();
        while *paused && !conn.is_closed() && !conn.is_blackholed() {
            paused = self.unpaused.wait(paused).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Registers a new connection; false when the proxy is shutting down (checked under the
    /// lock, so that `Drop` closes every registered connection).
    fn register(&self, conn: &Arc<Conn>) -> bool {
        let mut conns = self.lock_conns();
        if self.closing.load(Ordering::SeqCst) {
            return false;
        }
        conns.insert(conn.id, Arc::clone(conn));
        self.changed.notify_all();
        true
    }

    /// Forgets a connection whose two directions have ended.
    fn unregister(&self, id: u64) {
        let mut conns = self.lock_conns();
        if conns.remove(&id).is_some() {
            self.changed.notify_all();
        }
    }
}

fn accept_loop(shared: &Arc<Shared>, listener: &TcpListener) {
    for client in listener.incoming() {
        if shared.closing.load(Ordering::SeqCst) {
            return;
        }
        let client = match client {
            Ok(client) => client,
            Err(_) => {
                // ECONNABORTED and the like concern one connection; EMFILE would spin.
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        if shared.refuse.load(Ordering::SeqCst) {
            shared.refused.fetch_add(1, Ordering::SeqCst);
            conn::reset_and_close(client);
            continue;
        }
        let target = shared.target.load(Ordering::SeqCst);
        let worker = {
            let shared = Arc::clone(shared);
            std::thread::Builder::new()
                .name(format!("px{}-up", shared.port))
                .spawn(move || conn::serve(&shared, client, target))
        };
        match worker {
            Ok(thread) => shared.keep_thread(thread),
            // Out of threads: the client is dropped with the closure, so it sees EOF.
            Err(_) => {
                shared.upstream_failed.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
}
