//! One proxied connection: the two sockets and the two threads that copy bytes between them.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};

use super::{CONNECT_TIMEOUT, Shared};

/// A client socket and the server socket it is forwarded to.
#[derive(Debug)]
pub(super) struct Conn {
    pub(super) id: u64,
    client: TcpStream,
    server: TcpStream,
    blackholed: AtomicBool,
    closed: AtomicBool,
    /// Pump threads still running; the last one out unregisters the connection.
    pumps_left: AtomicU8,
}

impl Conn {
    pub(super) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    pub(super) fn is_blackholed(&self) -> bool {
        self.blackholed.load(Ordering::SeqCst)
    }

    pub(super) fn blackhole(&self) {
        self.blackholed.store(true, Ordering::SeqCst);
    }

    /// Shuts both sockets down both ways: the peers read EOF, and pump threads blocked in
    /// `read` or `write` on them return at once. The descriptors close when the last `Arc`
    /// goes.
    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let _ = self.client.shutdown(Shutdown::Both);
        let _ = self.server.shutdown(Shutdown::Both);
    }
}

/// Connects `client` to the target and forwards until either side ends; runs on its own thread
/// and starts one more for the server-to-client direction.
pub(super) fn serve(shared: &Arc<Shared>, client: TcpStream, target: u16) {
    let target = SocketAddr::from((Ipv4Addr::LOCALHOST, target));
    let server = match TcpStream::connect_timeout(&target, CONNECT_TIMEOUT) {
        Ok(server) => server,
        Err(_) => {
            shared.upstream_failed.fetch_add(1, Ordering::SeqCst);
            reset_and_close(client);
            return;
        }
    };
    // MySQL packets are small and latency-bound: no Nagle delays inside the proxy.
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let conn = Arc::new(Conn {
        id: shared.next_id.fetch_add(1, Ordering::SeqCst),
        client,
        server,
        blackholed: AtomicBool::new(false),
        closed: AtomicBool::new(false),
        pumps_left: AtomicU8::new(2),
    });
    if !shared.register(&conn) {
        conn.close();
        return;
    }
    shared.forwarded.fetch_add(1, Ordering::SeqCst);
    let back = {
        let (shared, conn) = (Arc::clone(shared), Arc::clone(&conn));
        std::thread::Builder::new()
            .name(format!("px{}-down", shared.port))
            .spawn(move || pump(&shared, &conn, false))
    };
    match back {
        Ok(thread) => shared.keep_thread(thread),
        Err(_) => {
            conn.close();
            finish_pump(shared, &conn);
        }
    }
    pump(shared, &conn, true);
}

/// Copies bytes one way until EOF, an error, or [`Conn::close`].
fn pump(shared: &Shared, conn: &Conn, to_server: bool) {
    let (mut src, mut dst, counter): (&TcpStream, &TcpStream, &AtomicU64) = if to_server {
        (&conn.client, &conn.server, &shared.bytes_to_server)
    } else {
        (&conn.server, &conn.client, &shared.bytes_to_client)
    };
    let mut buf = vec![0u8; 16 * 1024];
    let clean_eof = loop {
        let n = match src.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break false,
        };
        shared.wait_unpaused(conn);
        if conn.is_closed() {
            break false;
        }
        if conn.is_blackholed() {
            continue;
        }
        // Counted before the write, so that a test which has received the bytes sees them.
        counter.fetch_add(n as u64, Ordering::SeqCst);
        if dst.write_all(&buf[..n]).is_err() {
            break false;
        }
    };
    // A blackholed connection passes on nothing, not even its end: the peer must find out by
    // itself, which is the point of the exercise.
    if !conn.is_blackholed() && !conn.is_closed() {
        if clean_eof {
            // Half-close, as TCP does: the other direction may still carry a reply.
            let _ = dst.shutdown(Shutdown::Write);
        } else {
            conn.close();
        }
    }
    finish_pump(shared, conn);
}

fn finish_pump(shared: &Shared, conn: &Conn) {
    // A blackholed connection stays registered, sockets open, until `cut` or drop.
    if conn.pumps_left.fetch_sub(1, Ordering::SeqCst) == 1 && !conn.is_blackholed() {
        conn.close();
        shared.unregister(conn.id);
    }
}

/// Closes `stream` with a TCP reset rather than a FIN (`SO_LINGER` with a zero timeout), so the
/// client's next read fails with `ECONNRESET`, as close as a listening port gets to refusing.
pub(super) fn reset_and_close(stream: TcpStream) {
    set_linger_zero(&stream);
    drop(stream);
}

#[allow(unsafe_code)]
fn set_linger_zero(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt on a descriptor we own, with a pointer to a properly sized `linger`
    // that outlives the call. std has no stable `set_linger` yet.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&raw const linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}
