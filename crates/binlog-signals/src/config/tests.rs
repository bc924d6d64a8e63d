use std::path::Path;
use std::time::Duration;

use binlog_proto::gtid::{GtidSet, MariadbGtidList};

use super::*;

const SECRET: &str = "s3cr3t-Pa55";

fn url(u: &str) -> Result<Config, ConfigError> {
    Config::from_url(u)
}

#[test]
fn minimal_url_gets_the_defaults() {
    let c = url("mysql://repl@db.example.com").expect("valid");
    assert_eq!(c.host(), "db.example.com");
    assert_eq!(c.port(), 3306);
    assert_eq!(c.user(), "repl");
    assert_eq!(c.password(), "");
    assert!(RANDOM_SERVER_ID_RANGE.contains(&c.server_id()));
    assert_eq!(c.start(), &Start::End);
    assert!(c.blocking());
    assert_eq!(c.heartbeat(), Some(DEFAULT_HEARTBEAT));
    assert_eq!(c.read_timeout(), Some(DEFAULT_READ_TIMEOUT));
    assert_eq!(c.connect_timeout(), DEFAULT_CONNECT_TIMEOUT);
    assert_eq!(c.channel_capacity(), DEFAULT_CHANNEL_CAPACITY);
    assert_eq!(c.lag_policy(), LagPolicy::Backpressure);
    assert!(c.table_filter().is_empty());
    assert_eq!(c.tls().mode(), TlsMode::Preferred);
    assert_eq!(c.tls().ca_file(), None);
    assert_eq!(c.tls().client_cert(), None);
    assert_eq!(c.server_public_key_file(), None);
    assert!(!c.get_server_public_key());
}

#[test]
fn user_password_host_port() {
    let c = url("mysql://repl:repl-Pa55.word@127.0.0.1:3307").expect("valid");
    assert_eq!((c.user(), c.password()), ("repl", "repl-Pa55.word"));
    assert_eq!((c.host(), c.port()), ("127.0.0.1", 3307));
    let c = url("MariaDB://u:p@h:1/").expect("valid");
    assert_eq!((c.user(), c.password(), c.host(), c.port()), ("u", "p", "h", 1));
    let c = url("mysql://u:@h").expect("empty password");
    assert_eq!(c.password(), "");
}

#[test]
fn percent_encoded_user_and_password() {
    let c = url("mysql://us%65r%3Aname:p%40ss%3Aw%2Fo%3Fr%23d%25+%C3%A9@h").expect("valid");
    assert_eq!(c.user(), "user:name");
    assert_eq!(c.password(), "p@ss:w/o?r#d%+é");
    // An unencoded '@' in the password still works: the last '@' ends the user info.
    let c = url("mysql://u:p@ss@h:3306").expect("valid");
    assert_eq!((c.password(), c.host()), ("p@ss", "h"));
    // A ':' in the password needs no encoding either: the first ':' ends the user name.
    let c = url("mysql://u:a:b@h").expect("valid");
    assert_eq!(c.password(), "a:b");
}

#[test]
fn ipv6_hosts() {
    let c = url("mysql://u@[::1]:3310").expect("valid");
    assert_eq!((c.host(), c.port()), ("::1", 3310));
    let c = url("mysql://u@[fe80::1]").expect("valid");
    assert_eq!((c.host(), c.port()), ("fe80::1", 3306));
    assert!(matches!(url("mysql://u@::1"), Err(ConfigError::UrlSyntax { .. })));
    assert!(matches!(
        url("mysql://u@[::1"),
        Err(ConfigError::UrlSyntax { .. })
    ));
    assert!(matches!(
        url("mysql://u@[::1]x"),
        Err(ConfigError::UrlSyntax { .. })
    ));
    assert!(matches!(
        url("mysql://u@[]:1"),
        Err(ConfigError::UrlSyntax { .. })
    ));
}

#[test]
fn bad_urls() {
    let cases: &[(&str, ConfigError)] = &[
        ("", ConfigError::UrlScheme),
        ("db:3306", ConfigError::UrlScheme),
        ("postgres://u@h", ConfigError::UrlScheme),
        ("mysql:/u@h", ConfigError::UrlScheme),
        ("mysql://h:3306", ConfigError::MissingUser),
        ("mysql://@h", ConfigError::MissingUser),
        ("mysql://:pw@h", ConfigError::MissingUser),
        ("mysql://u@", ConfigError::MissingHost),
        ("mysql://u@:3306", ConfigError::MissingHost),
        ("mysql://u@h:", ConfigError::InvalidPort),
        ("mysql://u@h:0", ConfigError::InvalidPort),
        ("mysql://u@h:65536", ConfigError::InvalidPort),
        ("mysql://u@h:-1", ConfigError::InvalidPort),
        ("mysql://u@h:33a", ConfigError::InvalidPort),
        ("mysql://u@h/shop", ConfigError::UrlPath),
        ("mysql://u@h//", ConfigError::UrlPath),
        (
            "mysql://u@h?nonsense=1",
            ConfigError::UnknownParameter {
                name: "nonsense".into(),
            },
        ),
        (
            "mysql://u@h?password=x",
            ConfigError::UnknownParameter {
                name: "password".into(),
            },
        ),
        (
            "mysql://u@h?server-id=1&server_id=2",
            ConfigError::DuplicateParameter {
                name: "server-id".into(),
            },
        ),
        ("mysql://u@h?server-id=0", ConfigError::ServerIdZero),
        (
            "mysql://u%zz@h",
            ConfigError::PercentEncoding { part: "user".into() },
        ),
        (
            "mysql://u:%C3@h",
            ConfigError::PercentEncoding {
                part: "password".into(),
            },
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(url(input).as_ref(), Err(expected), "{input}");
    }
    for input in [
        "mysql://u@h#frag",
        "mysql://u@h?blocking",
        "mysql://u@ho st",
        "mysql://u@h%41",
        "mysql://u@h/?a=1#x",
    ] {
        assert!(
            matches!(url(input), Err(ConfigError::UrlSyntax { .. })),
            "{input}"
        );
    }
}

#[test]
fn errors_never_quote_the_password() {
    // Unencoded '/', '?', '#' in a password make the URL ambiguous; the error must not echo it.
    for input in [
        format!("mysql://u:{SECRET}/x@h:3306"),
        format!("mysql://u:{SECRET}?x@h"),
        format!("mysql://u:{SECRET}#x@h"),
        format!("mysql://u:{SECRET}%zz@h"),
        format!("mysql://u:{SECRET}@h:port{SECRET}"),
        format!("mysql://u:{SECRET}@h/{SECRET}"),
        format!("mysql://u:{SECRET}@h?ssl-mode=bogus"),
        format!("mysql://u:{SECRET}@[::1"),
        format!("ftp://u:{SECRET}@h"),
    ] {
        let error = url(&input).expect_err(&input);
        for text in [error.to_string(), format!("{error:?}")] {
            assert!(!text.contains(SECRET), "{input} -> {text}");
            assert!(!text.contains("s3cr3t"), "{input} -> {text}");
        }
    }
}

#[test]
fn debug_never_shows_the_password() {
    let config = url(&format!("mysql://repl:{SECRET}@h")).expect("valid");
    let builder = ConfigBuilder::from_url(&format!("mysql://repl:{SECRET}@h")).expect("valid");
    let built = Config::builder()
        .user("u")
        .password(SECRET)
        .build()
        .expect("valid");
    for text in [
        format!("{config:?}"),
        format!("{config:#?}"),
        format!("{builder:?}"),
        format!("{:?}", Config::builder().password(SECRET)),
        format!("{built:?}"),
    ] {
        assert!(!text.contains(SECRET), "{text}");
        assert!(text.contains("<redacted>"), "{text}");
    }
    // The password is kept, just not shown.
    assert_eq!(config.password(), SECRET);
    assert_eq!(built.password(), SECRET);
}

#[test]
fn start_parameters() {
    assert_eq!(
        url("mysql://u@h?start=end").map(|c| c.start().clone()),
        Ok(Start::End)
    );
    assert_eq!(
        url("mysql://u@h?start=OLDEST").map(|c| c.start().clone()),
        Ok(Start::Oldest)
    );
    assert_eq!(
        url("mysql://u@h?binlog-file=mysql-bin.000003&binlog-position=1234").map(|c| c.start().clone()),
        Ok(Start::position("mysql-bin.000003", 1234))
    );
    assert_eq!(
        url("mysql://u@h?binlog_file=mysql-bin.000003").map(|c| c.start().clone()),
        Ok(Start::position("mysql-bin.000003", 4))
    );
    let set = "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:11-18,4ABC1234-71CA-11E1-9E33-C80AA9429562:1";
    let expected: GtidSet = set.parse().expect("valid gtid set");
    assert_eq!(
        url(&format!("mysql://u@h?gtid-set={set}")).map(|c| c.start().clone()),
        Ok(Start::MysqlGtid(expected))
    );
    let expected: MariadbGtidList = "0-1-100,1-2-5".parse().expect("valid gtid list");
    assert_eq!(
        url("mariadb://u@h?mariadb-gtid=0-1-100%2C1-2-5").map(|c| c.start().clone()),
        Ok(Start::MariadbGtid(expected))
    );
    assert_eq!(
        url("mysql://u@h?start=end&binlog-file=f"),
        Err(ConfigError::ConflictingStart)
    );
    assert_eq!(
        url("mysql://u@h?gtid-set=3E11FA47-71CA-11E1-9E33-C80AA9429562:1&mariadb-gtid=0-1-1"),
        Err(ConfigError::ConflictingStart)
    );
    assert_eq!(
        url("mysql://u@h?binlog-position=4"),
        Err(ConfigError::PositionWithoutFile)
    );
    assert_eq!(
        url("mysql://u@h?binlog-file=f&binlog-position=3"),
        Err(ConfigError::BinlogPosition { position: 3 })
    );
    for bad in [
        "start=beginning",
        "gtid-set=nonsense",
        "mariadb-gtid=1-2",
        "binlog-position=x&binlog-file=f",
    ] {
        assert!(
            matches!(
                url(&format!("mysql://u@h?{bad}")),
                Err(ConfigError::InvalidValue { .. })
            ),
            "{bad}"
        );
    }
}

#[test]
fn binlog_file_validation() {
    let build = |file: &str| {
        Config::builder()
            .user("u")
            .start(Start::position(file, 4))
            .build()
    };
    assert!(build("mysql-bin.000001").is_ok());
    assert_eq!(build(""), Err(ConfigError::BinlogFile { reason: "empty" }));
    assert!(matches!(
        build(&"x".repeat(513)),
        Err(ConfigError::BinlogFile { .. })
    ));
    assert!(build(&"x".repeat(512)).is_ok());
    assert!(matches!(build("a\nb"), Err(ConfigError::BinlogFile { .. })));
}

#[test]
fn timing_and_channel_parameters() {
    let c = url(
        "mysql://u@h?blocking=false&heartbeat=500ms&connect-timeout=2.5&read-timeout=3s\
         &channel-capacity=16&server-id=77",
    )
    .expect("valid");
    assert!(!c.blocking());
    assert_eq!(c.heartbeat(), Some(Duration::from_millis(500)));
    assert_eq!(c.connect_timeout(), Duration::from_millis(2500));
    assert_eq!(c.read_timeout(), Some(Duration::from_secs(3)));
    assert_eq!(c.channel_capacity(), 16);
    assert_eq!(c.server_id(), 77);

    let c = url("mysql://u@h?heartbeat=0&read-timeout=0").expect("both disabled");
    assert_eq!((c.heartbeat(), c.read_timeout()), (None, None));
    // Blocking with a read timeout but no heartbeat: an idle server would look dead.
    assert!(matches!(
        url("mysql://u@h?heartbeat=0"),
        Err(ConfigError::ReadTimeoutTooShort { .. })
    ));
    assert!(matches!(
        url("mysql://u@h?heartbeat=60&read-timeout=60"),
        Err(ConfigError::ReadTimeoutTooShort { .. })
    ));
    // Non-blocking streams end at the end of the binlog; no heartbeat needed.
    assert!(url("mysql://u@h?heartbeat=0&blocking=false").is_ok());
    assert!(matches!(
        url("mysql://u@h?heartbeat=4294968&read-timeout=0"),
        Err(ConfigError::HeartbeatRange { .. })
    ));
    assert!(matches!(
        Config::builder()
            .user("u")
            .heartbeat(Some(Duration::from_micros(10)))
            .build(),
        Err(ConfigError::HeartbeatRange { .. })
    ));
    assert!(matches!(
        url("mysql://u@h?connect-timeout=0"),
        Err(ConfigError::ZeroTimeout { .. })
    ));
    assert!(matches!(
        Config::builder()
            .user("u")
            .read_timeout(Some(Duration::ZERO))
            .build(),
        Err(ConfigError::ZeroTimeout { .. })
    ));
    assert!(matches!(
        url("mysql://u@h?channel-capacity=0"),
        Err(ConfigError::ChannelCapacity { capacity: 0, .. })
    ));
    assert!(matches!(
        url("mysql://u@h?channel-capacity=1048577"),
        Err(ConfigError::ChannelCapacity { .. })
    ));
    assert!(matches!(
        url("mysql://u@h?blocking=maybe"),
        Err(ConfigError::InvalidValue { .. })
    ));
    assert!(matches!(
        url("mysql://u@h?heartbeat=soon"),
        Err(ConfigError::InvalidValue { .. })
    ));
    assert!(matches!(
        url("mysql://u@h?server-id=4294967296"),
        Err(ConfigError::InvalidValue { .. })
    ));
}

#[test]
fn lag_policy_parameters() {
    let policy = |q: &str| url(&format!("mysql://u@h?{q}")).map(|c| c.lag_policy());
    assert_eq!(policy("lag-policy=backpressure"), Ok(LagPolicy::Backpressure));
    assert_eq!(
        policy("lag-policy=drop"),
        Ok(LagPolicy::Drop {
            after: Duration::ZERO
        })
    );
    assert_eq!(
        policy("lag-policy=DROP&lag-timeout=250ms"),
        Ok(LagPolicy::Drop {
            after: Duration::from_millis(250)
        })
    );
    assert!(matches!(
        policy("lag-timeout=1s"),
        Err(ConfigError::InvalidValue { .. })
    ));
    assert!(matches!(
        policy("lag-policy=skip"),
        Err(ConfigError::InvalidValue { .. })
    ));
}

#[test]
fn filter_parameters() {
    let c =
        url("mysql://u@h?include=shop.*,crm.customers&exclude=*.audit_*&include=%2A.t%3F").expect("valid");
    let f = c.table_filter();
    let includes: Vec<_> = f.includes().iter().map(|p| p.as_str()).collect();
    assert_eq!(includes, ["shop.*", "crm.customers", "*.t?"]);
    assert_eq!(f.excludes().len(), 1);
    assert!(f.allows("shop", "orders"));
    assert!(f.allows("x", "t1"));
    assert!(!f.allows("shop", "audit_log"));
    assert!(!f.allows("crm", "leads"));
    let c = Config::builder()
        .user("u")
        .include("a.*")
        .exclude("a.b")
        .build()
        .expect("valid");
    assert!(c.table_filter().allows("a", "c"));
    assert!(!c.table_filter().allows("a", "b"));
}

#[test]
fn tls_parameters() {
    for (text, mode) in [
        ("disabled", TlsMode::Disabled),
        ("preferred", TlsMode::Preferred),
        ("required", TlsMode::Required),
        ("verify_ca", TlsMode::VerifyCa),
        ("VERIFY_IDENTITY", TlsMode::VerifyIdentity),
        ("verify-identity", TlsMode::VerifyIdentity),
    ] {
        let c = url(&format!("mysql://u@h?ssl-mode={text}")).expect(text);
        assert_eq!(c.tls().mode(), mode, "{text}");
    }
    let c = url("mysql://u@h?sslmode=required");
    assert_eq!(
        c,
        Err(ConfigError::UnknownParameter {
            name: "sslmode".into()
        })
    );
    let c = url("mysql://u@h?ssl-mode=verify_ca&ssl-ca=/etc/ca.pem&ssl-cert=/c.pem&ssl-key=/k%20.pem")
        .expect("valid");
    assert_eq!(c.tls().ca_file(), Some(Path::new("/etc/ca.pem")));
    assert_eq!(
        c.tls().client_cert(),
        Some((Path::new("/c.pem"), Path::new("/k .pem")))
    );
    assert_eq!(
        url("mysql://u@h?ssl-mode=verify_ca&ssl-cert=/c.pem"),
        Err(ConfigError::ClientCertIncomplete)
    );
    assert_eq!(
        Config::builder()
            .user("u")
            .tls_mode(TlsMode::VerifyCa)
            .tls_client_cert("c", "k")
            .build()
            .map(|_| ()),
        Ok(())
    );
    for mode in ["disabled", "preferred", "required"] {
        assert!(
            matches!(
                url(&format!("mysql://u@h?ssl-mode={mode}&ssl-ca=/ca.pem")),
                Err(ConfigError::TlsOptionIgnored { option: "ssl-ca", .. })
            ),
            "{mode}"
        );
    }
    assert!(matches!(
        url("mysql://u@h?ssl-mode=disabled&ssl-cert=c&ssl-key=k"),
        Err(ConfigError::TlsOptionIgnored {
            option: "ssl-cert",
            ..
        })
    ));
    // A client certificate without verification is allowed (the server checks it, not us).
    assert!(url("mysql://u@h?ssl-mode=required&ssl-cert=c&ssl-key=k").is_ok());
    assert!(matches!(
        url("mysql://u@h?ssl-ca="),
        Err(ConfigError::InvalidValue { .. })
    ));
}

#[test]
fn public_key_parameters() {
    let c = url("mysql://u@h?server-public-key=/keys/server.pem&get-server-public-key=true").expect("valid");
    assert_eq!(c.server_public_key_file(), Some(Path::new("/keys/server.pem")));
    assert!(c.get_server_public_key());
}

#[test]
fn builder_validation() {
    assert_eq!(Config::builder().build(), Err(ConfigError::MissingUser));
    assert_eq!(
        Config::builder().user("u").host("").build(),
        Err(ConfigError::MissingHost)
    );
    assert_eq!(
        Config::builder().user("u").port(0).build(),
        Err(ConfigError::InvalidPort)
    );
    assert_eq!(
        Config::builder().user("u").server_id(0).build(),
        Err(ConfigError::ServerIdZero)
    );
    let c = Config::builder()
        .user("u")
        .server_id(u32::MAX)
        .build()
        .expect("valid");
    assert_eq!(c.server_id(), u32::MAX);
    assert_eq!(c.host(), "localhost");
}

#[test]
fn random_server_ids_stay_in_range_and_vary() {
    let ids: std::collections::HashSet<u32> = (0..64)
        .map(|_| Config::builder().user("u").build().expect("valid").server_id())
        .collect();
    assert!(ids.iter().all(|id| RANDOM_SERVER_ID_RANGE.contains(id)));
    assert!(
        ids.len() > 60,
        "64 draws from 268M ids should almost never repeat: {ids:?}"
    );
    // Every id in the range reads as an IPv4 address in 240.0.0.0/4.
    assert_eq!(RANDOM_SERVER_ID_RANGE.start() >> 28, 0xF);
    // A clone keeps its id: reconnects must reuse it.
    let c = Config::builder().user("u").build().expect("valid");
    assert_eq!(c.clone().server_id(), c.server_id());
}

#[test]
fn from_str_is_from_url() {
    let c: Config = "mysql://u:p@h:1".parse().expect("valid");
    assert_eq!((c.user(), c.port()), ("u", 1));
}
