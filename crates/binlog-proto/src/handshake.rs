//! The connection phase: the server's initial handshake (protocol 10), the client's
//! HandshakeResponse41 and SSLRequest.
//!
//! See the MySQL source documentation, "Protocol::HandshakeV10" and
//! "Protocol::HandshakeResponse41" (`sql/auth/sql_authentication.cc`, `send_server_handshake_packet`,
//! `parse_client_handshake_packet`), and MariaDB's "Connection" page for the extended
//! capabilities in the filler bytes (`sql/sql_acl.cc`, `send_server_handshake_packet`).

use std::fmt;

use nom::Parser;
use nom::bytes::complete::{take, take_till};
use nom::combinator::rest;
use nom::number::complete::{le_u8, le_u16, le_u32};

use crate::capabilities::{Capabilities, MariadbCapabilities};
use crate::codec::{lenenc_bytes, nul_terminated, parse_all, put_lenenc_bytes, put_lenenc_int};
use crate::error::{Error, Result};

/// MariaDB servers before 11 prefix their version with this so that old clients that only
/// understand 5.x accept them (`sql/mysqld.cc`, `RPL_VERSION_HACK`).
pub const MARIADB_VERSION_PREFIX: &str = "5.5.5-";

/// `utf8mb4_general_ci`: understood by MySQL 5.5.3+ and every MariaDB.
pub const CHARSET_UTF8MB4_GENERAL_CI: u8 = 45;
/// `utf8_general_ci`, for servers older than 5.5.3.
pub const CHARSET_UTF8_GENERAL_CI: u8 = 33;

/// Which server family is on the other end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavor {
    /// Oracle MySQL (and Percona Server and other MySQL forks).
    Mysql,
    /// MariaDB.
    Mariadb,
}

/// A server version's numeric part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ServerVersion {
    /// Major version.
    pub major: u16,
    /// Minor version.
    pub minor: u16,
    /// Patch level.
    pub patch: u16,
}

impl ServerVersion {
    /// A version from its parts.
    pub const fn new(major: u16, minor: u16, patch: u16) -> Self {
        ServerVersion { major, minor, patch }
    }

    /// Parses the leading `major.minor.patch` of a version string such as
    /// `8.0.32-0ubuntu0.22.04.2` or `10.11.6-MariaDB-log`; missing parts are 0.
    pub fn parse(version: &str) -> ServerVersion {
        let mut parts = version
            .split(|c: char| !c.is_ascii_digit())
            .take(3)
            .map(|p| p.parse::<u16>().unwrap_or(0));
        let mut next = || parts.next().unwrap_or(0);
        ServerVersion {
            major: next(),
            minor: next(),
            patch: next(),
        }
    }
}

impl fmt::Display for ServerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The server's first packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialHandshake {
    /// Protocol version; always 10 for the servers this crate supports.
    pub protocol_version: u8,
    /// The version string as sent (MariaDB's `5.5.5-` prefix included).
    pub server_version: String,
    /// The connection (thread) id.
    pub connection_id: u32,
    /// The server's capability flags.
    pub capabilities: Capabilities,
    /// MariaDB extended capabilities (zero for MySQL).
    pub mariadb_capabilities: MariadbCapabilities,
    /// The server's default collation id.
    pub charset: u8,
    /// Server status flags.
    pub status: u16,
    /// The authentication nonce (scramble): part 1 followed by part 2 without its trailing
    /// NUL; 20 bytes for every current server.
    pub nonce: Vec<u8>,
    /// The authentication plugin the server expects first, when it says.
    pub auth_plugin: Option<String>,
}

impl InitialHandshake {
    /// MySQL or MariaDB: MariaDB names itself in the version string; a server that leaves
    /// `CLIENT_MYSQL` unset and sends extended capabilities is MariaDB too.
    pub fn flavor(&self) -> Flavor {
        if self.server_version.contains("MariaDB") || self.mariadb_capabilities.0 != 0 {
            Flavor::Mariadb
        } else {
            Flavor::Mysql
        }
    }

    /// The version string without MariaDB's `5.5.5-` compatibility prefix.
    pub fn version_string(&self) -> &str {
        match self.flavor() {
            Flavor::Mariadb => self
                .server_version
                .strip_prefix(MARIADB_VERSION_PREFIX)
                .unwrap_or(&self.server_version),
            Flavor::Mysql => &self.server_version,
        }
    }

    /// The numeric server version (after removing MariaDB's prefix).
    pub fn version(&self) -> ServerVersion {
        ServerVersion::parse(self.version_string())
    }
}

/// Parses the initial handshake packet. An ERR packet in its place is returned as
/// [`Error::Server`] (e.g. "Too many connections").
pub fn parse_initial_handshake(payload: &[u8]) -> Result<InitialHandshake> {
    match payload.first() {
        Some(0xff) => return Err(Error::Server(crate::response::parse_err(payload)?)),
        Some(10) => {}
        Some(other) => {
            return Err(Error::Unsupported(format!(
                "handshake protocol version {other} (only 10 is supported)"
            )));
        }
        None => {
            return Err(Error::Malformed {
                what: "initial handshake",
                offset: 0,
            });
        }
    }
    let (_, handshake) = parse_all("initial handshake", payload, |input| {
        initial_handshake_body(input)
    })?;
    Ok(handshake)
}

/// The client's answer to the initial handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeResponse {
    /// The capabilities the client uses (a subset of the server's).
    pub capabilities: Capabilities,
    /// Largest packet the client will send.
    pub max_packet_size: u32,
    /// The connection's collation id.
    pub charset: u8,
    /// MariaDB extended capabilities (sent in the last 4 filler bytes; zero for MySQL).
    pub mariadb_capabilities: MariadbCapabilities,
    /// Account name.
    pub user: String,
    /// The first authentication response of `auth_plugin`.
    pub auth_response: Vec<u8>,
    /// Initial database (sent when `CONNECT_WITH_DB` is set).
    pub database: Option<String>,
    /// The plugin that produced `auth_response` (sent when `PLUGIN_AUTH` is set).
    pub auth_plugin: Option<String>,
    /// Connection attributes (sent when `CONNECT_ATTRS` is set).
    pub attributes: Vec<(String, String)>,
}

/// Writes the 32 bytes shared by the SSLRequest and the HandshakeResponse41.
fn put_fixed_header(
    out: &mut Vec<u8>,
    capabilities: Capabilities,
    max_packet_size: u32,
    charset: u8,
    mariadb: MariadbCapabilities,
) {
    out.extend_from_slice(&capabilities.0.to_le_bytes());
    out.extend_from_slice(&max_packet_size.to_le_bytes());
    out.push(charset);
    out.extend_from_slice(&[0u8; 19]);
    out.extend_from_slice(&mariadb.0.to_le_bytes());
}

/// Encodes an SSLRequest: the first 32 bytes of a HandshakeResponse41 with `CLIENT_SSL` set.
/// After sending it the client starts TLS, then sends the full response.
pub fn encode_ssl_request(
    capabilities: Capabilities,
    max_packet_size: u32,
    charset: u8,
    mariadb: MariadbCapabilities,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(32);
    put_fixed_header(
        &mut out,
        capabilities | Capabilities::SSL,
        max_packet_size,
        charset,
        mariadb,
    );
    out
}

impl HandshakeResponse {
    /// Encodes the packet payload.
    pub fn encode(&self) -> Vec<u8> {
        let caps = self.capabilities;
        let mut out = Vec::with_capacity(
            self.user
                .len()
                .saturating_add(self.auth_response.len())
                .saturating_add(64),
        );
        put_fixed_header(
            &mut out,
            caps,
            self.max_packet_size,
            self.charset,
            self.mariadb_capabilities,
        );
        out.extend_from_slice(self.user.as_bytes());
        out.push(0);
        if caps.contains(Capabilities::PLUGIN_AUTH_LENENC_CLIENT_DATA) {
            put_lenenc_bytes(&mut out, &self.auth_response);
        } else {
            // Without the lenenc flag the length is one byte; plugins never produce more than
            // 255 bytes in the first response (SHA-256 scramble: 32 bytes).
            let len = self.auth_response.len().min(255);
            out.push(len as u8);
            out.extend_from_slice(self.auth_response.get(..len).unwrap_or_default());
        }
        if caps.contains(Capabilities::CONNECT_WITH_DB) {
            out.extend_from_slice(self.database.as_deref().unwrap_or("").as_bytes());
            out.push(0);
        }
        if caps.contains(Capabilities::PLUGIN_AUTH) {
            out.extend_from_slice(self.auth_plugin.as_deref().unwrap_or("").as_bytes());
            out.push(0);
        }
        if caps.contains(Capabilities::CONNECT_ATTRS) {
            let mut attrs = Vec::new();
            for (key, value) in &self.attributes {
                put_lenenc_bytes(&mut attrs, key.as_bytes());
                put_lenenc_bytes(&mut attrs, value.as_bytes());
            }
            put_lenenc_int(&mut out, attrs.len() as u64);
            out.extend_from_slice(&attrs);
        }
        out
    }
}

/// Parses a HandshakeResponse41 (the server's view). Used by tests, scripted servers and
/// capture readers. A 32-byte payload with `CLIENT_SSL` is an SSLRequest: the fields after the
/// fixed header are then empty.
pub fn parse_handshake_response(payload: &[u8]) -> Result<HandshakeResponse> {
    let (_, response) = parse_all("handshake response", payload, |input| {
        handshake_response_body(input)
    })?;
    Ok(response)
}

fn initial_handshake_body(input: &[u8]) -> crate::codec::PResult<'_, InitialHandshake> {
    let (input, protocol_version) = le_u8(input)?;
    let (input, version) = nul_terminated(input)?;
    let (input, (connection_id, part1, _filler, caps_low)) =
        (le_u32, take(8usize), le_u8, le_u16).parse(input)?;
    let mut handshake = InitialHandshake {
        protocol_version,
        server_version: String::from_utf8_lossy(version).into_owned(),
        connection_id,
        capabilities: Capabilities(u32::from(caps_low)),
        mariadb_capabilities: MariadbCapabilities(0),
        charset: 0,
        status: 0,
        nonce: part1.to_vec(),
        auth_plugin: None,
    };
    // Very old servers stop after the lower capability flags.
    if input.is_empty() {
        return Ok((input, handshake));
    }
    let (input, (charset, status, caps_high, auth_data_len, _filler, mariadb_caps)) =
        (le_u8, le_u16, le_u16, le_u8, take(6usize), le_u32).parse(input)?;
    let caps = Capabilities(u32::from(caps_low) | u32::from(caps_high) << 16);
    handshake.capabilities = caps;
    handshake.charset = charset;
    handshake.status = status;
    if !caps.contains(Capabilities::LONG_PASSWORD) {
        handshake.mariadb_capabilities = MariadbCapabilities(mariadb_caps);
    }
    let mut input = input;
    if caps.contains(Capabilities::SECURE_CONNECTION) {
        let part2_len = usize::from(auth_data_len).saturating_sub(8).max(13);
        let (after, part2) = take(part2_len.min(input.len()))(input)?;
        // The last byte of part 2 is a NUL that is not part of the nonce (see
        // auth-vectors.md §0 and `send_server_handshake_packet`).
        let part2 = part2.strip_suffix(b"\0").unwrap_or(part2);
        handshake.nonce.extend_from_slice(part2);
        input = after;
    }
    if caps.contains(Capabilities::PLUGIN_AUTH) {
        // MySQL 5.5.7..5.5.9 omit the terminating NUL; accept the end of the packet too.
        let (after, name) = take_till(|b| b == 0)(input)?;
        let (after, _) = rest(after)?;
        if !name.is_empty() {
            handshake.auth_plugin = Some(String::from_utf8_lossy(name).into_owned());
        }
        input = after;
    }
    Ok((input, handshake))
}

fn handshake_response_body(input: &[u8]) -> crate::codec::PResult<'_, HandshakeResponse> {
    let (input, (caps, max_packet_size, charset, _filler, mariadb)) =
        (le_u32, le_u32, le_u8, take(19usize), le_u32).parse(input)?;
    let caps = Capabilities(caps);
    let mut response = HandshakeResponse {
        capabilities: caps,
        max_packet_size,
        charset,
        mariadb_capabilities: MariadbCapabilities(mariadb),
        user: String::new(),
        auth_response: Vec::new(),
        database: None,
        auth_plugin: None,
        attributes: Vec::new(),
    };
    if input.is_empty() && caps.contains(Capabilities::SSL) {
        return Ok((input, response));
    }
    let (input, user) = nul_terminated(input)?;
    response.user = String::from_utf8_lossy(user).into_owned();
    let (mut input, auth) = if caps.contains(Capabilities::PLUGIN_AUTH_LENENC_CLIENT_DATA) {
        lenenc_bytes(input, input.len())?
    } else if caps.contains(Capabilities::SECURE_CONNECTION) {
        let (input, len) = le_u8(input)?;
        take(len)(input)?
    } else {
        nul_terminated(input)?
    };
    response.auth_response = auth.to_vec();
    if caps.contains(Capabilities::CONNECT_WITH_DB) && !input.is_empty() {
        let (after, db) = nul_terminated(input)?;
        response.database = Some(String::from_utf8_lossy(db).into_owned());
        input = after;
    }
    if caps.contains(Capabilities::PLUGIN_AUTH) && !input.is_empty() {
        let (after, name) = nul_terminated(input)?;
        response.auth_plugin = Some(String::from_utf8_lossy(name).into_owned());
        input = after;
    }
    if caps.contains(Capabilities::CONNECT_ATTRS) && !input.is_empty() {
        let (after, attrs) = lenenc_bytes(input, input.len())?;
        let mut attrs = attrs;
        while !attrs.is_empty() {
            let (next, key) = lenenc_bytes(attrs, attrs.len())?;
            let (next, value) = lenenc_bytes(next, next.len())?;
            response.attributes.push((
                String::from_utf8_lossy(key).into_owned(),
                String::from_utf8_lossy(value).into_owned(),
            ));
            attrs = next;
        }
        input = after;
    }
    // Anything after the attributes (MySQL 8.0.18+ zstd level) is ignored.
    Ok((input, response))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The MySQL 8.0.32 greeting of auth-vectors.md §0 (zeek capture, connection 49352).
    const MYSQL_8_0_32: &str = "0a382e302e333200090000003478603f6504692700ffffff0200ffdf1500000000000000000000\
        6b262d50254c4944172f0f7b0063616368696e675f736861325f70617373776f726400";

    #[test]
    fn parses_the_mysql_8_0_32_greeting_of_the_auth_vectors() {
        let payload = hex::decode(MYSQL_8_0_32).unwrap();
        assert_eq!(payload.len(), 74);
        let hs = parse_initial_handshake(&payload).unwrap();
        assert_eq!(hs.server_version, "8.0.32");
        assert_eq!(hs.connection_id, 9);
        assert_eq!(hs.capabilities, Capabilities(0xdfff_ffff));
        assert_eq!((hs.charset, hs.status), (0xff, 0x0002));
        assert_eq!(hex::encode(&hs.nonce), "3478603f650469276b262d50254c4944172f0f7b");
        assert_eq!(hs.auth_plugin.as_deref(), Some("caching_sha2_password"));
        assert_eq!(hs.flavor(), Flavor::Mysql);
        assert_eq!(hs.version(), ServerVersion::new(8, 0, 32));
        assert_eq!(hs.mariadb_capabilities, MariadbCapabilities(0));
    }

    fn mariadb_greeting(version: &str, ext: u32) -> Vec<u8> {
        let mut p = vec![10];
        p.extend_from_slice(version.as_bytes());
        p.push(0);
        p.extend_from_slice(&7u32.to_le_bytes());
        p.extend_from_slice(b"abcdefgh\0");
        // CLIENT_MYSQL (bit 0) unset: MariaDB.
        let caps: u32 = 0xf7fe | (0x81bf << 16);
        p.extend_from_slice(&(caps as u16).to_le_bytes());
        p.push(45);
        p.extend_from_slice(&2u16.to_le_bytes());
        p.extend_from_slice(&((caps >> 16) as u16).to_le_bytes());
        p.push(21);
        p.extend_from_slice(&[0; 6]);
        p.extend_from_slice(&ext.to_le_bytes());
        p.extend_from_slice(b"ijklmnopqrst\0");
        p.extend_from_slice(b"mysql_native_password\0");
        p
    }

    #[test]
    fn detects_mariadb_strips_its_version_prefix_and_reads_extended_capabilities() {
        let hs = parse_initial_handshake(&mariadb_greeting("5.5.5-10.11.6-MariaDB-log", 0x1d)).unwrap();
        assert_eq!(hs.flavor(), Flavor::Mariadb);
        assert_eq!(hs.version_string(), "10.11.6-MariaDB-log");
        assert_eq!(hs.version(), ServerVersion::new(10, 11, 6));
        assert_eq!(hs.mariadb_capabilities, MariadbCapabilities(0x1d));
        assert_eq!(hs.nonce, b"abcdefghijklmnopqrst");
        assert_eq!(hs.auth_plugin.as_deref(), Some("mysql_native_password"));
        // MariaDB 11 without the prefix is still recognised.
        let hs = parse_initial_handshake(&mariadb_greeting("11.4.2-MariaDB", 0)).unwrap();
        assert_eq!(hs.flavor(), Flavor::Mariadb);
        assert_eq!(hs.version(), ServerVersion::new(11, 4, 2));
    }

    #[test]
    fn err_instead_of_greeting_is_a_server_error() {
        let err = parse_initial_handshake(b"\xff\x10\x04Too many connections").unwrap_err();
        assert!(matches!(err, Error::Server(ref e) if e.code == 1040 && e.message == "Too many connections"));
        assert!(matches!(
            parse_initial_handshake(b"\x09abc"),
            Err(Error::Unsupported(_))
        ));
    }

    #[test]
    fn every_truncation_of_a_greeting_is_an_error_or_a_shorter_greeting_never_a_panic() {
        let payload = hex::decode(MYSQL_8_0_32).unwrap();
        for cut in 0..payload.len() {
            let _ = parse_initial_handshake(&payload[..cut]);
        }
        assert!(parse_initial_handshake(&payload[..20]).is_err());
    }

    #[test]
    fn handshake_response_round_trips() {
        let response = HandshakeResponse {
            capabilities: Capabilities::PROTOCOL_41
                | Capabilities::SECURE_CONNECTION
                | Capabilities::PLUGIN_AUTH
                | Capabilities::PLUGIN_AUTH_LENENC_CLIENT_DATA
                | Capabilities::CONNECT_WITH_DB
                | Capabilities::CONNECT_ATTRS,
            max_packet_size: 1 << 30,
            charset: 45,
            mariadb_capabilities: MariadbCapabilities(0),
            user: "repl".into(),
            auth_response: vec![1; 20],
            database: Some("db".into()),
            auth_plugin: Some("mysql_native_password".into()),
            attributes: vec![("_client_name".into(), "binlog-proto".into())],
        };
        assert_eq!(parse_handshake_response(&response.encode()).unwrap(), response);
        let ssl = encode_ssl_request(response.capabilities, 1 << 30, 45, MariadbCapabilities(0));
        assert_eq!(ssl.len(), 32);
        let parsed = parse_handshake_response(&ssl).unwrap();
        assert!(parsed.capabilities.contains(Capabilities::SSL));
        assert_eq!(parsed.user, "");
    }
}
