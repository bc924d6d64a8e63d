//! `mysql://` / `mariadb://` URL parsing into a [`ConfigBuilder`].
//!
//! Hand-written (the grammar is small) so that no error message can quote the user info: a
//! URL parser that reports "invalid port `pa55word@db`" would leak a password whose `/` or `:`
//! was not percent-encoded.

use std::collections::HashSet;
use std::time::Duration;

use super::options::{parse_bool, parse_duration};
use super::{ConfigBuilder, ConfigError, LagPolicy, Start, TlsMode};

pub(super) fn parse(url: &str) -> Result<ConfigBuilder, ConfigError> {
    let (scheme, rest) = url.split_once("://").ok_or(ConfigError::UrlScheme)?;
    if !scheme.eq_ignore_ascii_case("mysql") && !scheme.eq_ignore_ascii_case("mariadb") {
        return Err(ConfigError::UrlScheme);
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    if tail.contains('@') {
        // The '@' ending the user info comes after a '/', '?' or '#': one of those is part of
        // an unencoded user name or password.
        return Err(ConfigError::UrlSyntax {
            reason: "'@' after the host; percent-encode '/', '?', '#' and '@' in the user name and password",
        });
    }
    let (userinfo, hostport) = authority.rsplit_once('@').ok_or(ConfigError::MissingUser)?;
    let (user, password) = match userinfo.split_once(':') {
        Some((user, password)) => (user, Some(password)),
        None => (userinfo, None),
    };
    let mut builder = ConfigBuilder::default().user(percent_decode(user, "user")?);
    if let Some(password) = password {
        builder = builder.password(percent_decode(password, "password")?);
    }
    let (host, port) = split_host_port(hostport)?;
    builder = builder.host(host);
    if let Some(port) = port {
        builder = builder.port(port);
    }

    if tail.contains('#') {
        return Err(ConfigError::UrlSyntax {
            reason: "a fragment ('#') is not allowed",
        });
    }
    let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
    if !path.is_empty() && path != "/" {
        return Err(ConfigError::UrlPath);
    }
    apply_query(builder, query)
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`.
fn split_host_port(hostport: &str) -> Result<(&str, Option<u16>), ConfigError> {
    let (host, port) = if let Some(bracketed) = hostport.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']').ok_or(ConfigError::UrlSyntax {
            reason: "'[' without ']' around an IPv6 address",
        })?;
        if !host
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
            || host.is_empty()
        {
            return Err(ConfigError::UrlSyntax {
                reason: "invalid IPv6 address in brackets",
            });
        }
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or(ConfigError::UrlSyntax {
                reason: "unexpected text after ']'",
            })?),
        };
        (host, port)
    } else {
        let (host, port) = match hostport.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        };
        if port.is_some_and(|p| p.contains(':')) {
            return Err(ConfigError::UrlSyntax {
                reason: "an IPv6 address must be written in brackets, e.g. [::1]:3306",
            });
        }
        if !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        {
            return Err(ConfigError::UrlSyntax {
                reason: "invalid character in the host name",
            });
        }
        (host, port)
    };
    if host.is_empty() {
        return Err(ConfigError::MissingHost);
    }
    let port = port.map(parse_port).transpose()?;
    Ok((host, port))
}

fn parse_port(text: &str) -> Result<u16, ConfigError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ConfigError::InvalidPort);
    }
    match text.parse::<u16>() {
        Ok(port) if port != 0 => Ok(port),
        _ => Err(ConfigError::InvalidPort),
    }
}

/// Start options are collected first: only the combination can be checked.
#[derive(Default)]
struct StartParams {
    start: Option<Start>,
    file: Option<String>,
    position: Option<u64>,
    gtid: Option<Start>,
    mariadb_gtid: Option<Start>,
}

fn apply_query(mut builder: ConfigBuilder, query: &str) -> Result<ConfigBuilder, ConfigError> {
    let mut seen = HashSet::new();
    let mut start = StartParams::default();
    let mut lag_policy = None;
    let mut lag_timeout = None;
    let (mut ssl_cert, mut ssl_key) = (None, None);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (raw_name, raw_value) = pair.split_once('=').ok_or(ConfigError::UrlSyntax {
            reason: "query parameter without '='",
        })?;
        let name = percent_decode(raw_name, "query")?
            .to_ascii_lowercase()
            .replace('_', "-");
        let value = percent_decode(raw_value, &name)?;
        if !matches!(name.as_str(), "include" | "exclude") && !seen.insert(name.clone()) {
            return Err(ConfigError::DuplicateParameter { name });
        }
        match name.as_str() {
            "server-id" => builder = builder.server_id(parse_number("server-id", &value)?),
            "start" => {
                start.start = Some(match value.trim().to_ascii_lowercase().as_str() {
                    "end" => Start::End,
                    "oldest" => Start::Oldest,
                    _ => return Err(invalid("start", &value, "end or oldest")),
                });
            }
            "binlog-file" => start.file = Some(value),
            "binlog-position" => start.position = Some(parse_number("binlog-position", &value)?),
            "gtid-set" => {
                let set = value
                    .parse()
                    .map_err(|_| invalid("gtid-set", &value, "a MySQL GTID set such as uuid:1-5"))?;
                start.gtid = Some(Start::MysqlGtid(set));
            }
            "mariadb-gtid" => {
                let list = value
                    .parse()
                    .map_err(|_| invalid("mariadb-gtid", &value, "a MariaDB GTID list such as 0-1-100"))?;
                start.mariadb_gtid = Some(Start::MariadbGtid(list));
            }
            "blocking" => builder = builder.blocking(parse_bool("blocking", &value)?),
            "heartbeat" => builder = builder.heartbeat(nonzero(parse_duration("heartbeat", &value)?)),
            "connect-timeout" => {
                builder = builder.connect_timeout(parse_duration("connect-timeout", &value)?);
            }
            "read-timeout" => {
                builder = builder.read_timeout(nonzero(parse_duration("read-timeout", &value)?));
            }
            "channel-capacity" => {
                builder = builder.channel_capacity(parse_number("channel-capacity", &value)?);
            }
            "lag-policy" => {
                lag_policy = Some(match value.trim().to_ascii_lowercase().as_str() {
                    "backpressure" => false,
                    "drop" => true,
                    _ => return Err(invalid("lag-policy", &value, "backpressure or drop")),
                });
            }
            "lag-timeout" => lag_timeout = Some(parse_duration("lag-timeout", &value)?),
            "include" => {
                for pattern in patterns(&value) {
                    builder = builder.include(pattern);
                }
            }
            "exclude" => {
                for pattern in patterns(&value) {
                    builder = builder.exclude(pattern);
                }
            }
            "ssl-mode" => builder = builder.tls_mode(value.parse::<TlsMode>()?),
            "ssl-ca" => builder = builder.tls_ca_file(non_empty("ssl-ca", value)?),
            "ssl-cert" => ssl_cert = Some(non_empty("ssl-cert", value)?),
            "ssl-key" => ssl_key = Some(non_empty("ssl-key", value)?),
            "server-public-key" => {
                builder = builder.server_public_key_file(non_empty("server-public-key", value)?);
            }
            "get-server-public-key" => {
                builder = builder.get_server_public_key(parse_bool("get-server-public-key", &value)?);
            }
            _ => return Err(ConfigError::UnknownParameter { name }),
        }
    }
    match (ssl_cert, ssl_key) {
        (Some(cert), Some(key)) => builder = builder.tls_client_cert(cert, key),
        (None, None) => {}
        _ => return Err(ConfigError::ClientCertIncomplete),
    }
    builder = match (lag_policy, lag_timeout) {
        (Some(true), after) => builder.lag_policy(LagPolicy::Drop {
            after: after.unwrap_or(Duration::ZERO),
        }),
        (_, Some(after)) => {
            return Err(invalid(
                "lag-timeout",
                &format!("{after:?}"),
                "lag-timeout only together with lag-policy=drop",
            ));
        }
        (Some(false) | None, None) => builder.lag_policy(LagPolicy::Backpressure),
    };
    Ok(match resolve_start(start)? {
        Some(start) => builder.start(start),
        None => builder,
    })
}

fn resolve_start(params: StartParams) -> Result<Option<Start>, ConfigError> {
    let StartParams {
        start,
        file,
        position,
        gtid,
        mariadb_gtid,
    } = params;
    if file.is_none() && position.is_some() {
        return Err(ConfigError::PositionWithoutFile);
    }
    let from_file = file.map(|file| Start::Position {
        file,
        position: position.unwrap_or(super::FIRST_EVENT_POSITION),
    });
    let mut given = [start, from_file, gtid, mariadb_gtid].into_iter().flatten();
    let first = given.next();
    if given.next().is_some() {
        return Err(ConfigError::ConflictingStart);
    }
    Ok(first)
}

fn patterns(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|p| !p.is_empty())
}

fn nonzero(duration: Duration) -> Option<Duration> {
    (!duration.is_zero()).then_some(duration)
}

fn non_empty(name: &'static str, value: String) -> Result<String, ConfigError> {
    if value.is_empty() {
        return Err(invalid(name, &value, "a file path"));
    }
    Ok(value)
}

fn parse_number<T: std::str::FromStr>(name: &'static str, value: &str) -> Result<T, ConfigError> {
    value
        .trim()
        .parse()
        .map_err(|_| invalid(name, value, "a non-negative integer in range"))
}

fn invalid(name: &'static str, value: &str, expected: &'static str) -> ConfigError {
    ConfigError::InvalidValue {
        name,
        value: value.to_owned(),
        expected,
    }
}

/// Decodes `%XX` escapes; the result must be UTF-8. `+` stays a plus.
fn percent_decode(text: &str, part: &str) -> Result<String, ConfigError> {
    let bad = || ConfigError::PercentEncoding {
        part: part.to_owned(),
    };
    if !text.contains('%') {
        return Ok(text.to_owned());
    }
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' {
            let (hex, after) = tail.split_at_checked(2).ok_or_else(bad)?;
            let hex = std::str::from_utf8(hex).map_err(|_| bad())?;
            if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                return Err(bad());
            }
            bytes.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
            rest = after;
        } else {
            bytes.push(b);
            rest = tail;
        }
    }
    String::from_utf8(bytes).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::percent_decode;
    use crate::ConfigError;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%40b%3A%2f", "p").as_deref(), Ok("a@b:/"));
        assert_eq!(percent_decode("p+q", "p").as_deref(), Ok("p+q"));
        assert_eq!(percent_decode("caf%C3%A9", "p").as_deref(), Ok("café"));
        assert_eq!(percent_decode("%25", "p").as_deref(), Ok("%"));
        for bad in ["%", "%4", "%zz", "%+1", "%C3", "%FF"] {
            assert_eq!(
                percent_decode(bad, "password"),
                Err(ConfigError::PercentEncoding {
                    part: "password".into()
                }),
                "{bad}"
            );
        }
    }
}
