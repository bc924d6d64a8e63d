//! Exactness against a real MariaDB: for each type family a table with edge values is inserted,
//! updated and deleted; every value decoded from the server's binlog files (after images,
//! before images, deleted rows) must equal what the server's own SELECT returns for the rows.
//! Runs with FULL row metadata (shared server), with MINIMAL metadata and with compressed
//! binlog events (private servers).

mod common;

use std::collections::BTreeMap;

use binlog_proto::event::EventType;
use binlog_proto::event::rows::OwnedImage;
use binlog_proto::value::{ColumnType, Value};
use binlog_testkit::Server;
use sha2::Digest;

/// How a column is compared: a SQL expression over the column and the same rendering of our
/// decoded value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    /// `col` as the client prints it vs our `Display`.
    Text,
    /// `HEX(col)` vs the hex of our bytes.
    Hex,
    /// `HEX(CONVERT(col USING utf8mb4))` vs our text decoded from the column's charset.
    Utf8,
    /// `col+0` (ENUM index, SET mask, BIT value) vs our number.
    Num,
    /// The value as a double (`CAST(col AS DOUBLE)`) vs our float, exactly.
    Float,
    /// `UNIX_TIMESTAMP(col)` vs our epoch seconds and fraction.
    Unix,
    /// `CONCAT(LENGTH(col), ':', SHA2(col, 256))` for values too large to print.
    Sha,
}

struct Col {
    name: &'static str,
    ty: &'static str,
    probes: &'static [Probe],
}

struct TableSpec {
    name: &'static str,
    columns: Vec<Col>,
    /// Statements inserting the rows (id first).
    inserts: Vec<String>,
    update: String,
}

use Probe::*;

fn c(name: &'static str, ty: &'static str, probes: &'static [Probe]) -> Col {
    Col { name, ty, probes }
}

fn families() -> Vec<TableSpec> {
    let ints = vec![
        c("ti", "TINYINT", &[Text]),
        c("tu", "TINYINT UNSIGNED", &[Text]),
        c("si", "SMALLINT", &[Text]),
        c("su", "SMALLINT UNSIGNED", &[Text]),
        c("mi", "MEDIUMINT", &[Text]),
        c("mu", "MEDIUMINT UNSIGNED", &[Text]),
        c("ii", "INT", &[Text]),
        c("iu", "INT UNSIGNED", &[Text]),
        c("bi", "BIGINT", &[Text]),
        c("bu", "BIGINT UNSIGNED", &[Text]),
    ];
    let floats = vec![c("f", "FLOAT", &[Float]), c("d", "DOUBLE", &[Float, Text])];
    let decimals = vec![
        c("d65", "DECIMAL(65,30)", &[Text]),
        c("d10", "DECIMAL(10,0)", &[Text]),
        c("d55", "DECIMAL(5,5)", &[Text]),
        c("d18", "DECIMAL(18,9)", &[Text]),
        c("d1", "DECIMAL(1,0)", &[Text]),
        c("du", "DECIMAL(20,10) UNSIGNED", &[Text]),
    ];
    let mut temporals = vec![c("da", "DATE", &[Text]), c("y", "YEAR", &[Text])];
    for (name, ty) in [
        ("dt0", "DATETIME"),
        ("dt1", "DATETIME(1)"),
        ("dt2", "DATETIME(2)"),
        ("dt3", "DATETIME(3)"),
        ("dt4", "DATETIME(4)"),
        ("dt5", "DATETIME(5)"),
        ("dt6", "DATETIME(6)"),
        ("t0", "TIME"),
        ("t1", "TIME(1)"),
        ("t2", "TIME(2)"),
        ("t3", "TIME(3)"),
        ("t4", "TIME(4)"),
        ("t5", "TIME(5)"),
        ("t6", "TIME(6)"),
    ] {
        temporals.push(c(name, ty, &[Text]));
    }
    for (name, ty) in [
        ("ts0", "TIMESTAMP NULL"),
        ("ts1", "TIMESTAMP(1) NULL"),
        ("ts2", "TIMESTAMP(2) NULL"),
        ("ts3", "TIMESTAMP(3) NULL"),
        ("ts4", "TIMESTAMP(4) NULL"),
        ("ts5", "TIMESTAMP(5) NULL"),
        ("ts6", "TIMESTAMP(6) NULL"),
    ] {
        temporals.push(c(name, ty, &[Text, Unix]));
    }
    let bits = vec![
        c("b1", "BIT(1)", &[Num]),
        c("b7", "BIT(7)", &[Num]),
        c("b8", "BIT(8)", &[Num]),
        c("b9", "BIT(9)", &[Num]),
        c("b64", "BIT(64)", &[Num]),
    ];
    let strings = vec![
        c("c10", "CHAR(10)", &[Hex, Utf8]),
        c("c255", "CHAR(255)", &[Hex, Utf8]),
        c("v300", "VARCHAR(300)", &[Hex, Utf8]),
        c("vl", "VARCHAR(10) CHARACTER SET latin1", &[Hex, Utf8]),
        c("cl", "CHAR(5) CHARACTER SET latin1", &[Hex, Utf8]),
        c("bin8", "BINARY(8)", &[Hex]),
        c("vb", "VARBINARY(300)", &[Hex]),
        c("tt", "TINYTEXT", &[Hex, Utf8]),
        c("tx", "TEXT", &[Hex, Utf8]),
        c("mt", "MEDIUMTEXT", &[Sha, Utf8]),
        c("lt", "LONGTEXT", &[Hex, Utf8]),
        c("tb", "TINYBLOB", &[Hex]),
        c("bb", "BLOB", &[Hex]),
        c("mb", "MEDIUMBLOB", &[Sha]),
        c("lb", "LONGBLOB", &[Sha]),
        c("u2", "VARCHAR(20) CHARACTER SET ucs2", &[Hex, Utf8]),
        c("u16", "VARCHAR(20) CHARACTER SET utf16", &[Hex, Utf8]),
        c("u16le", "VARCHAR(20) CHARACTER SET utf16le", &[Hex, Utf8]),
        c("u32", "VARCHAR(20) CHARACTER SET utf32", &[Hex, Utf8]),
        c("cp", "VARCHAR(20) CHARACTER SET cp1251", &[Hex, Utf8]),
        c("gb", "VARCHAR(20) CHARACTER SET gbk", &[Hex, Utf8]),
        c("b5", "VARCHAR(20) CHARACTER SET big5", &[Hex, Utf8]),
        c("sj", "VARCHAR(20) CHARACTER SET sjis", &[Hex, Utf8]),
        c("kr", "VARCHAR(20) CHARACTER SET euckr", &[Hex, Utf8]),
        c("l2", "VARCHAR(20) CHARACTER SET latin2", &[Hex, Utf8]),
        c("gr", "VARCHAR(20) CHARACTER SET greek", &[Hex, Utf8]),
        c("as", "VARCHAR(20) CHARACTER SET ascii", &[Hex, Utf8]),
        c("u3", "VARCHAR(20) CHARACTER SET utf8mb3", &[Hex, Utf8]),
    ];
    let enums = vec![
        c("e", "ENUM('a','b','é','😀')", &[Text, Num]),
        c("el", "ENUM('x','ÿ') CHARACTER SET latin1", &[Text, Num]),
        c("s", "SET('a','b','c')", &[Text, Num]),
        c("s64", SET64, &[Text, Num]),
        c("e300", ENUM300, &[Text, Num]),
    ];
    // GEOMETRY counts as a character column in the charset metadata: the VARCHARs after it
    // get the right collations only if the decoder counts it too.
    let geometry = vec![
        c("g", "GEOMETRY", &[Hex]),
        c("p", "POINT", &[Hex]),
        c("v", "VARCHAR(10) CHARACTER SET latin1", &[Hex, Utf8]),
        c("w", "VARCHAR(10)", &[Hex, Utf8]),
    ];
    let json = vec![c("j", "JSON", &[Hex, Utf8])];

    let all_bytes: String = (0..=255u8).map(|b| format!("{b:02X}")).collect();
    vec![
        TableSpec {
            name: "ints",
            columns: ints,
            inserts: vec![
                "(1,-128,0,-32768,0,-8388608,0,-2147483648,0,-9223372036854775808,0)".into(),
                "(2,127,255,32767,65535,8388607,16777215,2147483647,4294967295,9223372036854775807,18446744073709551615)"
                    .into(),
                "(3,0,0,0,0,0,0,0,0,0,0)".into(),
                "(4,-1,1,-1,1,-1,1,-1,1,-1,1)".into(),
                "(5,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL)".into(),
            ],
            update: "UPDATE ints SET ti = IF(ti IS NULL, 7, NULL), bu = IF(bu IS NULL, 18446744073709551614, NULL)"
                .into(),
        },
        TableSpec {
            name: "floats",
            columns: floats,
            inserts: vec![
                "(1,0,0)".into(),
                "(2,1.1,1.1)".into(),
                "(3,-3.40282e38,-1.7976931348623157e308)".into(),
                "(4,1.17549e-38,2.2250738585072014e-308)".into(),
                "(5,1.4e-45,5e-324)".into(),
                "(6,123456.789,0.1)".into(),
                "(7,NULL,NULL)".into(),
                "(8,3.14159,1e15)".into(),
                "(9,-7,123456789012345680)".into(),
            ],
            update: "UPDATE floats SET f = -f, d = -d".into(),
        },
        TableSpec {
            name: "decimals",
            columns: decimals,
            inserts: vec![
                format!(
                    "(1,{n}.{f},9999999999,0.99999,999999999.999999999,9,9999999999.9999999999)",
                    n = "9".repeat(35),
                    f = "9".repeat(30)
                ),
                format!("(2,-{n}.{f},-9999999999,-0.99999,-999999999.999999999,-9,0)", n = "9".repeat(35), f = "9".repeat(30)),
                "(3,0,0,0,0,0,0)".into(),
                format!("(4,0.{}1,1,0.00001,-0.000000001,1,0.0000000001)", "0".repeat(29)),
                "(5,-1.5,-123,-0.5,123456789.123456789,-1,1.5)".into(),
                "(6,NULL,NULL,NULL,NULL,NULL,NULL)".into(),
            ],
            update: "UPDATE decimals SET d65 = -d65, d10 = -d10, d55 = -d55, d18 = -d18, d1 = -d1".into(),
        },
        TableSpec {
            name: "temporals",
            columns: temporals,
            inserts: vec![
                "(1,'1000-01-01',1901,'1000-01-01 00:00:00','1000-01-01 00:00:00','1000-01-01 00:00:00','1000-01-01 00:00:00','1000-01-01 00:00:00','1000-01-01 00:00:00','1000-01-01 00:00:00','-838:59:59','-838:59:59','-838:59:59','-838:59:59','-838:59:59','-838:59:59','-838:59:59','1970-01-01 00:00:01','1970-01-01 00:00:01','1970-01-01 00:00:01','1970-01-01 00:00:01','1970-01-01 00:00:01','1970-01-01 00:00:01','1970-01-01 00:00:01')".into(),
                "(2,'9999-12-31',2155,'9999-12-31 23:59:59','9999-12-31 23:59:59.9','9999-12-31 23:59:59.99','9999-12-31 23:59:59.999','9999-12-31 23:59:59.9999','9999-12-31 23:59:59.99999','9999-12-31 23:59:59.999999','838:59:59','838:59:59.9','838:59:59.99','838:59:59.999','838:59:59.9999','838:59:59.99999','838:59:59.999999','2038-01-19 03:14:07','2038-01-19 03:14:07.9','2038-01-19 03:14:07.99','2038-01-19 03:14:07.999','2038-01-19 03:14:07.9999','2038-01-19 03:14:07.99999','2038-01-19 03:14:07.999999')".into(),
                "(3,'0000-00-00',0,'0000-00-00 00:00:00','0000-00-00 00:00:00','0000-00-00 00:00:00','0000-00-00 00:00:00','0000-00-00 00:00:00','0000-00-00 00:00:00','0000-00-00 00:00:00','00:00:00','00:00:00','00:00:00','00:00:00','00:00:00','00:00:00','00:00:00','0000-00-00 00:00:00','0000-00-00 00:00:00','0000-00-00 00:00:00','0000-00-00 00:00:00','0000-00-00 00:00:00','0000-00-00 00:00:00','0000-00-00 00:00:00')".into(),
                "(4,'2024-02-29',2024,'2024-02-29 12:34:56','2024-02-29 12:34:56.1','2024-02-29 12:34:56.12','2024-02-29 12:34:56.123','2024-02-29 12:34:56.1234','2024-02-29 12:34:56.12345','2024-02-29 12:34:56.123456','-00:00:01','-00:00:01.5','-00:00:01.05','-00:00:00.001','-00:00:01.0001','-00:00:00.00001','-00:00:00.000001','2024-02-29 12:34:56','2024-02-29 12:34:56.6','2024-02-29 12:34:56.65','2024-02-29 12:34:56.654','2024-02-29 12:34:56.6543','2024-02-29 12:34:56.65432','2024-02-29 12:34:56.654321')".into(),
                "(5,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL)".into(),
                "(6,'2000-01-01',1999,'2000-01-01 00:00:00','2000-01-01 00:00:00.5','2000-01-01 00:00:00.05','2000-01-01 00:00:00.005','2000-01-01 00:00:00.0005','2000-01-01 00:00:00.00005','2000-01-01 00:00:00.000005','-507:48:27','300:00:00.1','-300:00:00.01','255:59:59.999','-256:00:00.0001','24:00:00.00001','-34:56:12.345678','2001-09-09 01:46:40','2001-09-09 01:46:40.1','2001-09-09 01:46:40.01','2001-09-09 01:46:40.001','2001-09-09 01:46:40.0001','2001-09-09 01:46:40.00001','2001-09-09 01:46:40.000001')".into(),
            ],
            update: "UPDATE temporals SET da = '2001-02-03', dt3 = '2001-02-03 04:05:06.789', t6 = '-12:34:56.000001', ts6 = '2001-02-03 04:05:06.000001', y = 2000 WHERE id IN (1, 3, 4, 6)".into(),
        },
        TableSpec {
            name: "bits",
            columns: bits,
            inserts: vec![
                "(1,0,0,0,0,0)".into(),
                "(2,b'1',b'1111111',255,511,18446744073709551615)".into(),
                "(3,1,0x55,0xAA,0x155,0x8000000000000001)".into(),
                "(4,NULL,NULL,NULL,NULL,NULL)".into(),
            ],
            update: "UPDATE bits SET b64 = ~b64, b9 = 256".into(),
        },
        TableSpec {
            name: "strings",
            columns: strings,
            inserts: vec![
                format!(
                    "(1,'abc',REPEAT('😀',255),REPEAT('é',300),'café €','ab',0x6162,UNHEX('{all_bytes}'),'x','tab\\tnew\\nline',REPEAT('m',70000),'😀',UNHEX('00FF'),0x00,REPEAT(0x01,70000),UNHEX('{all_bytes}'),'Ω€','😀a','😀b','😀c','Привет','你好','你好','こんにちは','안녕','Łódź','Αθήνα','plain','héllo €✓')"
                ),
                "(2,'','','','','',0x00,'','','','','','','','','','','','','','','','','','','','','','')".into(),
                "(3,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL)".into(),
                "(4,'a  ',CONCAT('x',REPEAT(' ',200)),'a  ','é ','é ',UNHEX('6100006200000000'),UNHEX('000000'),'\\\\','\\'',REPEAT(CHAR(0),3),' ',UNHEX('000000'),UNHEX('FFFFFF'),REPEAT(0xFF,70000),UNHEX('00'),'x','y','z','w','Ёё','中','中','日','한','ąę','ω','~','日本 ')".into(),
                "(5,'big',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,REPEAT('L',17000000),NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL)".into(),
            ],
            update: "UPDATE strings SET c10 = CONCAT(IFNULL(c10, ''), 'z'), bin8 = 0x0102, vb = UNHEX('FF00'), tx = NULL WHERE id <> 3".into(),
        },
        TableSpec {
            name: "enums",
            columns: enums,
            inserts: vec![
                "(1,'a','x','a,c','m0,m63','v299')".into(),
                "(2,'😀','ÿ','','m1,m2,m3,m4,m5,m6,m7,m8,m9,m10,m62','v0')".into(),
                "(3,NULL,NULL,NULL,NULL,NULL)".into(),
                // invalid values in non-strict mode: the empty "error" member, index 0
                "(4,'nope','x','b','','v150')".into(),
            ],
            update: "UPDATE enums SET e = 'b', s = 'b,c', s64 = 'm32' WHERE id <> 3".into(),
        },
        TableSpec {
            name: "geometry",
            columns: geometry,
            inserts: vec![
                "(1,ST_GeomFromText('POINT(1 2)'),ST_GeomFromText('POINT(-1.5 1e300)'),'café','ünï😀')".into(),
                "(2,ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))'),ST_GeomFromText('POINT(0 0)', 4326),'ÿ','€')"
                    .into(),
                "(3,NULL,NULL,NULL,NULL)".into(),
            ],
            update: "UPDATE geometry SET g = ST_GeomFromText('LINESTRING(0 0,3 4)') WHERE id = 1".into(),
        },
        TableSpec {
            name: "json",
            columns: json,
            inserts: vec![
                r#"(1,'{"a": [1, 2.5, "x\\u00e9"], "b": null}')"#.into(),
                "(2,'[]')".into(),
                "(3,NULL)".into(),
            ],
            update: r#"UPDATE json SET j = JSON_SET(j, '$.c', 5) WHERE id = 1"#.into(),
        },
    ]
}

const SET64: &str = "SET('m0','m1','m2','m3','m4','m5','m6','m7','m8','m9','m10','m11','m12','m13','m14','m15','m16','m17','m18','m19','m20','m21','m22','m23','m24','m25','m26','m27','m28','m29','m30','m31','m32','m33','m34','m35','m36','m37','m38','m39','m40','m41','m42','m43','m44','m45','m46','m47','m48','m49','m50','m51','m52','m53','m54','m55','m56','m57','m58','m59','m60','m61','m62','m63')";

const ENUM300: &str = "ENUM('v0','v1','v2','v3','v4','v5','v6','v7','v8','v9','v10','v11','v12','v13','v14','v15','v16','v17','v18','v19','v20','v21','v22','v23','v24','v25','v26','v27','v28','v29','v30','v31','v32','v33','v34','v35','v36','v37','v38','v39','v40','v41','v42','v43','v44','v45','v46','v47','v48','v49','v50','v51','v52','v53','v54','v55','v56','v57','v58','v59','v60','v61','v62','v63','v64','v65','v66','v67','v68','v69','v70','v71','v72','v73','v74','v75','v76','v77','v78','v79','v80','v81','v82','v83','v84','v85','v86','v87','v88','v89','v90','v91','v92','v93','v94','v95','v96','v97','v98','v99','v100','v101','v102','v103','v104','v105','v106','v107','v108','v109','v110','v111','v112','v113','v114','v115','v116','v117','v118','v119','v120','v121','v122','v123','v124','v125','v126','v127','v128','v129','v130','v131','v132','v133','v134','v135','v136','v137','v138','v139','v140','v141','v142','v143','v144','v145','v146','v147','v148','v149','v150','v151','v152','v153','v154','v155','v156','v157','v158','v159','v160','v161','v162','v163','v164','v165','v166','v167','v168','v169','v170','v171','v172','v173','v174','v175','v176','v177','v178','v179','v180','v181','v182','v183','v184','v185','v186','v187','v188','v189','v190','v191','v192','v193','v194','v195','v196','v197','v198','v199','v200','v201','v202','v203','v204','v205','v206','v207','v208','v209','v210','v211','v212','v213','v214','v215','v216','v217','v218','v219','v220','v221','v222','v223','v224','v225','v226','v227','v228','v229','v230','v231','v232','v233','v234','v235','v236','v237','v238','v239','v240','v241','v242','v243','v244','v245','v246','v247','v248','v249','v250','v251','v252','v253','v254','v255','v256','v257','v258','v259','v260','v261','v262','v263','v264','v265','v266','v267','v268','v269','v270','v271','v272','v273','v274','v275','v276','v277','v278','v279','v280','v281','v282','v283','v284','v285','v286','v287','v288','v289','v290','v291','v292','v293','v294','v295','v296','v297','v298','v299')";

/// Session settings for every statement: UTC for TIMESTAMP text, zero dates and invalid ENUM
/// values allowed.
const SESSION: &str = "SET time_zone = '+00:00'; SET sql_mode = '';";

fn probe_sql(probe: Probe, col: &str) -> String {
    let col = format!("`{col}`");
    match probe {
        Text => col,
        Hex => format!("HEX({col})"),
        Utf8 => format!("HEX(CONVERT({col} USING utf8mb4))"),
        Num => format!("CAST({col}+0 AS UNSIGNED)"),
        Float => format!("CAST({col} AS DOUBLE)"),
        Unix => format!("UNIX_TIMESTAMP({col})"),
        Sha => format!("CONCAT(LENGTH({col}), ':', SHA2({col}, 256))"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Our rendering of a decoded value for a probe; `None` for NULL.
fn render(value: &Value<'_>, probe: Probe, at: &str) -> Option<String> {
    if value.is_null() {
        return None;
    }
    Some(match (probe, value) {
        (Text, v) => v.to_string(),
        (Hex, Value::String(s)) => hex(&s.bytes()),
        (Hex, Value::Geometry(g)) => hex(g),
        (Utf8, Value::String(s)) => hex(s
            .text()
            .unwrap_or_else(|| panic!("{at}: no text for {s:?}"))
            .as_bytes()),
        (Num, Value::Enum(e)) => e.index.to_string(),
        (Num, Value::Set(s)) => s.bits.to_string(),
        (Num, Value::Bit(b)) => b.value.to_string(),
        (Float, Value::Float(x)) => format!("{:e}", f64::from(*x)),
        (Float, Value::Double(x)) => format!("{x:e}"),
        (Unix, Value::Timestamp(ts)) => {
            if ts.decimals == 0 {
                ts.seconds.to_string()
            } else {
                let frac = ts.micros / 10u32.pow(6 - u32::from(ts.decimals));
                format!("{}.{:0w$}", ts.seconds, frac, w = usize::from(ts.decimals))
            }
        }
        (Sha, Value::String(s)) => {
            let bytes = s.bytes();
            format!(
                "{}:{}",
                bytes.len(),
                hex(&sha2::Sha256::digest(&bytes)).to_lowercase()
            )
        }
        (probe, v) => panic!("{at}: probe {probe:?} does not apply to {v:?}"),
    })
}

/// The server's text for a probe, normalised where our rendering is a normal form.
fn normalise(probe: Probe, text: Option<String>) -> Option<String> {
    let text = text?;
    Some(match probe {
        Float => format!(
            "{:e}",
            text.parse::<f64>()
                .unwrap_or_else(|_| panic!("not a number: {text}"))
        ),
        _ => text,
    })
}

/// Probes that apply with the given metadata: without FULL metadata ENUM/SET names are unknown,
/// so their text cannot be compared (their index and mask still are).
fn probes(col: &Col, full: bool) -> Vec<Probe> {
    col.probes
        .iter()
        .copied()
        .filter(|&p| full || !(p == Text && (col.ty.starts_with("ENUM") || col.ty.starts_with("SET"))))
        .collect()
}

/// Server snapshot: id → probe texts (column-major per the spec's probes).
type Snapshot = BTreeMap<i64, Vec<Option<String>>>;

fn snapshot(server: &Server, db: &str, spec: &TableSpec, full: bool) -> Snapshot {
    let exprs: Vec<String> = spec
        .columns
        .iter()
        .flat_map(|col| probes(col, full).into_iter().map(|p| probe_sql(p, col.name)))
        .collect();
    let sql = format!(
        "{SESSION} SELECT id, {} FROM `{db}`.`{}` ORDER BY id",
        exprs.join(", "),
        spec.name
    );
    server
        .exec(&sql)
        .into_iter()
        .map(|row| {
            let id = row[0].as_ref().unwrap().parse().unwrap();
            let mut values = Vec::new();
            let mut field = 1;
            for col in &spec.columns {
                for p in probes(col, full) {
                    values.push(normalise(p, row[field].clone()));
                    field += 1;
                }
            }
            (id, values)
        })
        .collect()
}

fn render_image(spec: &TableSpec, image: &OwnedImage, full: bool, at: &str) -> (i64, Vec<Option<String>>) {
    let id = match image.get(0).map(|v| v.as_value()) {
        Some(Value::Int(i)) => i.as_i64(),
        other => panic!("{at}: id is {other:?}"),
    };
    let mut out = Vec::new();
    for (i, col) in spec.columns.iter().enumerate() {
        let value = image
            .get(i + 1)
            .unwrap_or_else(|| panic!("{at}: column {} missing from the image", col.name))
            .as_value();
        for p in probes(col, full) {
            out.push(render(&value, p, &format!("{at} id {id} {}", col.name)));
        }
    }
    (id, out)
}

struct Outcome {
    /// Snapshots after the inserts and after the update.
    inserted: Snapshot,
    updated: Snapshot,
}

/// Creates, fills, updates and empties every family's table; returns the server's view.
fn exercise(server: &Server, db: &str, specs: &[TableSpec], full: bool) -> Vec<Outcome> {
    specs
        .iter()
        .map(|spec| {
            let cols: Vec<String> = spec
                .columns
                .iter()
                .map(|c| format!("`{}` {}", c.name, c.ty))
                .collect();
            server.exec(&format!(
                "CREATE TABLE `{db}`.`{}` (id INT PRIMARY KEY, {}) DEFAULT CHARSET=utf8mb4",
                spec.name,
                cols.join(", ")
            ));
            for row in &spec.inserts {
                server.exec(&format!(
                    "{SESSION} INSERT INTO `{db}`.`{}` VALUES {row}",
                    spec.name
                ));
            }
            let inserted = snapshot(server, db, spec, full);
            assert_eq!(inserted.len(), spec.inserts.len(), "{}: rows inserted", spec.name);
            server.exec(&format!("{SESSION} USE `{db}`; {}", spec.update));
            let updated = snapshot(server, db, spec, full);
            server.exec(&format!("DELETE FROM `{db}`.`{}`", spec.name));
            Outcome { inserted, updated }
        })
        .collect()
}

/// Decodes the server's binlog files and checks every image of `db`'s tables against the
/// snapshots. Returns the rows events' type codes seen.
fn verify(
    server: &Server,
    db: &str,
    specs: &[TableSpec],
    outcomes: &[Outcome],
    full: bool,
) -> Vec<EventType> {
    let mut rows = Vec::new();
    for file in server.binlog_files() {
        let bytes = std::fs::read(&file).unwrap();
        rows.extend(
            common::decode_rows(&bytes)
                .into_iter()
                .filter(|r| r.table.schema() == db),
        );
    }
    let mut kinds = Vec::new();
    for (spec, outcome) in specs.iter().zip(outcomes) {
        let mine: Vec<_> = rows.iter().filter(|r| r.table.table() == spec.name).collect();
        assert!(!mine.is_empty(), "{}: no rows in the binlog", spec.name);
        let table = &mine[0].table;
        if full {
            let names: Vec<_> = table.columns().iter().map(|c| c.name().unwrap_or("?")).collect();
            let expected: Vec<_> = std::iter::once("id")
                .chain(spec.columns.iter().map(|c| c.name))
                .collect();
            assert_eq!(names, expected, "{}: column names", spec.name);
        } else {
            assert!(
                table.columns().iter().all(|c| c.name().is_none()),
                "MINIMAL metadata has no names"
            );
        }
        let (mut written, mut before, mut after, mut deleted) =
            (Snapshot::new(), Snapshot::new(), Snapshot::new(), Snapshot::new());
        for r in &mine {
            kinds.push(r.event_type);
            let at = format!("{} {}", spec.name, r.event_type);
            let b = r.row.before.as_ref().map(|i| render_image(spec, i, full, &at));
            let a = r.row.after.as_ref().map(|i| render_image(spec, i, full, &at));
            match (b, a) {
                (None, Some((id, v))) => assert!(written.insert(id, v).is_none()),
                (Some((id, v)), Some((id2, v2))) => {
                    assert!(before.insert(id, v).is_none());
                    assert!(after.insert(id2, v2).is_none());
                }
                (Some((id, v)), None) => assert!(deleted.insert(id, v).is_none()),
                (None, None) => panic!("row without images"),
            }
        }
        compare(
            &format!("{} inserted rows", spec.name),
            &written,
            &outcome.inserted,
            spec,
            full,
        );
        let changed: Snapshot = outcome
            .inserted
            .iter()
            .filter(|(id, v)| outcome.updated.get(id) != Some(v))
            .map(|(id, v)| (*id, v.clone()))
            .collect();
        assert!(!changed.is_empty(), "{}: the update changed nothing", spec.name);
        compare(
            &format!("{} update before images", spec.name),
            &before,
            &changed,
            spec,
            full,
        );
        let changed_after: Snapshot = changed
            .keys()
            .map(|id| (*id, outcome.updated[id].clone()))
            .collect();
        compare(
            &format!("{} update after images", spec.name),
            &after,
            &changed_after,
            spec,
            full,
        );
        compare(
            &format!("{} deleted rows", spec.name),
            &deleted,
            &outcome.updated,
            spec,
            full,
        );
    }
    kinds
}

fn compare(what: &str, ours: &Snapshot, server: &Snapshot, spec: &TableSpec, full: bool) {
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        server.keys().collect::<Vec<_>>(),
        "{what}: row ids"
    );
    let labels: Vec<String> = spec
        .columns
        .iter()
        .flat_map(|col| {
            probes(col, full)
                .into_iter()
                .map(move |p| format!("{} {p:?}", col.name))
        })
        .collect();
    for (id, values) in ours {
        assert_eq!(values.len(), labels.len(), "{what}: id {id}: probe count");
        assert_eq!(
            server[id].len(),
            labels.len(),
            "{what}: id {id}: server probe count"
        );
        for ((label, o), s) in labels.iter().zip(values).zip(&server[id]) {
            assert_eq!(o, s, "{what}: id {id}, {label}");
        }
    }
}

#[test]
fn decoded_values_equal_the_servers_select_full_metadata() {
    let server = Server::shared();
    server.exec("SET GLOBAL max_allowed_packet = 268435456");
    let db = server.fresh_database("rows_full");
    let specs = families();
    let outcomes = exercise(server, &db, &specs, true);
    let kinds = verify(server, &db, &specs, &outcomes, true);
    // MariaDB writes v1 rows events
    assert!(kinds.contains(&EventType::WRITE_ROWS_EVENT_V1));
    assert!(kinds.contains(&EventType::UPDATE_ROWS_EVENT_V1));
    assert!(kinds.contains(&EventType::DELETE_ROWS_EVENT_V1));
}

#[test]
fn decoded_values_equal_the_servers_select_minimal_metadata() {
    let server = Server::builder()
        .arg("--binlog-row-metadata=MINIMAL")
        .arg("--max-allowed-packet=256M")
        .start()
        .unwrap_or_else(|e| panic!("{e}"));
    let db = server.fresh_database("rows_minimal");
    let specs = families();
    let outcomes = exercise(&server, &db, &specs, false);
    verify(&server, &db, &specs, &outcomes, false);
}

#[test]
fn decoded_values_equal_the_servers_select_compressed_events() {
    let server = Server::builder()
        .arg("--log-bin-compress=ON")
        .arg("--log-bin-compress-min-len=10")
        .arg("--max-allowed-packet=256M")
        .start()
        .unwrap_or_else(|e| panic!("{e}"));
    let db = server.fresh_database("rows_compressed");
    let specs = families();
    let outcomes = exercise(&server, &db, &specs, true);
    let kinds = verify(&server, &db, &specs, &outcomes, true);
    for compressed in [
        EventType::WRITE_ROWS_COMPRESSED_EVENT_V1,
        EventType::UPDATE_ROWS_COMPRESSED_EVENT_V1,
        EventType::DELETE_ROWS_COMPRESSED_EVENT_V1,
    ] {
        assert!(kinds.contains(&compressed), "no {compressed} seen");
    }
}

/// Column type codes the families exercise, so a change in the server's logging shows up.
#[test]
fn families_cover_the_column_types() {
    let server = Server::shared();
    let db = server.fresh_database("rows_types");
    let specs = families();
    for spec in &specs {
        let cols: Vec<String> = spec
            .columns
            .iter()
            .map(|c| format!("`{}` {}", c.name, c.ty))
            .collect();
        server.exec(&format!(
            "CREATE TABLE `{db}`.`{}` (id INT PRIMARY KEY, {})",
            spec.name,
            cols.join(", ")
        ));
        server.exec(&format!(
            "{SESSION} INSERT INTO `{db}`.`{}` VALUES {}",
            spec.name, spec.inserts[0]
        ));
    }
    let mut types = std::collections::BTreeSet::new();
    for file in server.binlog_files() {
        for r in common::decode_rows(&std::fs::read(file).unwrap()) {
            if r.table.schema() == db {
                types.extend(r.table.columns().iter().map(|c| c.real_type()));
            }
        }
    }
    for ty in [
        ColumnType::TINY,
        ColumnType::SHORT,
        ColumnType::INT24,
        ColumnType::LONG,
        ColumnType::LONGLONG,
        ColumnType::FLOAT,
        ColumnType::DOUBLE,
        ColumnType::NEWDECIMAL,
        ColumnType::DATE,
        ColumnType::YEAR,
        ColumnType::DATETIME2,
        ColumnType::TIME2,
        ColumnType::TIMESTAMP2,
        ColumnType::BIT,
        ColumnType::STRING,
        ColumnType::VARCHAR,
        ColumnType::BLOB,
        ColumnType::ENUM,
        ColumnType::SET,
        ColumnType::GEOMETRY,
    ] {
        assert!(types.contains(&ty), "{ty} not exercised");
    }
}
