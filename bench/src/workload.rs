//! The benchmark workload (issue 9): a narrow bulk table and a wide table over many column
//! types, filled with a seeded insert/update/delete mix, so that every run writes the same rows.
//!
//! At scale 1: narrow 1,000,000 inserts + 250,000 updates + 100,000 deletes; wide 16,000
//! inserts + 4,000 updates + 2,000 deletes; 1,372,000 row changes in all. Every UPDATE changes
//! every row it matches and every DELETE matches only rows that exist, so the row-change
//! counts are exact and both decoders must find them.

use std::fmt::Write as _;

/// Row changes of one workload part.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub inserted: u64,
    pub updated: u64,
    pub deleted: u64,
}

impl Counts {
    pub fn total(&self) -> u64 {
        self.inserted + self.updated + self.deleted
    }
}

/// SplitMix64: tiny, seedable, and the same on every platform.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// Text from an alphabet without quotes or backslashes, with some multi-byte UTF-8.
    pub fn text(&mut self, len: usize, out: &mut String) {
        const ASCII: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_.,:;";
        for _ in 0..len {
            let r = self.next_u64();
            if r.is_multiple_of(29) {
                out.push(['é', 'ß', 'ж', '中', '€'][(r >> 8) as usize % 5]);
            } else {
                out.push(ASCII[(r >> 8) as usize % ASCII.len()] as char);
            }
        }
    }

    /// A hex literal `X'..'` of `len` random bytes.
    pub fn hex(&mut self, len: usize, out: &mut String) {
        out.push_str("X'");
        for _ in 0..len {
            let _ = write!(out, "{:02x}", self.next_u64() as u8);
        }
        out.push('\'');
    }
}

pub const NARROW_DDL: &str = "CREATE TABLE narrow (
  id INT UNSIGNED NOT NULL PRIMARY KEY,
  k INT NOT NULL,
  amount BIGINT NOT NULL,
  label VARCHAR(32) NOT NULL,
  note VARCHAR(16) NULL,
  created DATETIME NOT NULL
) ENGINE=InnoDB";

pub const WIDE_DDL: &str = "CREATE TABLE wide (
  id INT NOT NULL PRIMARY KEY,
  c_tiny TINYINT NOT NULL,
  c_small SMALLINT UNSIGNED NULL,
  c_medium MEDIUMINT NOT NULL,
  c_big BIGINT UNSIGNED NOT NULL,
  c_float FLOAT NULL,
  c_double DOUBLE NOT NULL,
  c_dec DECIMAL(12,2) NOT NULL,
  c_dec_wide DECIMAL(38,10) NULL,
  c_date DATE NOT NULL,
  c_time TIME(3) NULL,
  c_datetime DATETIME(6) NOT NULL,
  c_ts TIMESTAMP(6) NULL DEFAULT NULL,
  c_year YEAR NOT NULL,
  c_char CHAR(12) NOT NULL,
  c_varchar VARCHAR(255) NULL,
  c_binary BINARY(16) NOT NULL,
  c_varbinary VARBINARY(64) NULL,
  c_text TEXT NULL,
  c_blob MEDIUMBLOB NULL,
  c_json JSON NULL,
  c_enum ENUM('red','green','blue','cyan') NOT NULL,
  c_set SET('a','b','c','d','e') NOT NULL,
  c_bit BIT(13) NOT NULL,
  c_point POINT NULL
) ENGINE=InnoDB";

/// Narrow rows per INSERT statement.
const NARROW_BATCH: u64 = 1000;
/// Narrow block: 10,000 inserted ids, then 2,500 of them updated and 1,000 deleted.
const NARROW_BLOCK: u64 = 10_000;
const NARROW_UPDATE: u64 = 2_500;
const NARROW_DELETE: u64 = 1_000;
/// Wide rows per INSERT statement.
const WIDE_BATCH: u64 = 50;
/// Wide block: 1,000 inserted ids, then 250 updated and 125 deleted.
const WIDE_BLOCK: u64 = 1_000;
const WIDE_UPDATE: u64 = 250;
const WIDE_DELETE: u64 = 125;

/// The narrow part at `scale`, as SQL scripts of about `chunk` bytes each (to send one at a
/// time), and its row changes.
pub fn narrow(scale: u64, seed: u64, mut emit: impl FnMut(&str)) -> Counts {
    let mut rng = Rng::new(seed);
    let mut counts = Counts::default();
    let mut sql = String::with_capacity(8 << 20);
    let blocks = scale * 1_000_000 / NARROW_BLOCK;
    for block in 0..blocks {
        let base = block * NARROW_BLOCK + 1;
        for batch in 0..NARROW_BLOCK / NARROW_BATCH {
            sql.push_str("INSERT INTO narrow VALUES ");
            for i in 0..NARROW_BATCH {
                let id = base + batch * NARROW_BATCH + i;
                if i > 0 {
                    sql.push(',');
                }
                let k = rng.range(0, 2_000_000_000) as i64 - 1_000_000_000;
                let amount = (rng.next_u64() >> 12) as i64 - (1 << 51);
                let _ = write!(sql, "({id},{k},{amount},'");
                let len = rng.range(8, 32) as usize;
                rng.text(len, &mut sql);
                sql.push_str("',");
                if rng.chance(30) {
                    sql.push_str("NULL");
                } else {
                    sql.push('\'');
                    let len = rng.range(1, 16) as usize;
                    rng.text(len, &mut sql);
                    sql.push('\'');
                }
                let secs = rng.range(0, 20 * 365 * 86_400);
                let _ = write!(sql, ",'2010-01-01' + INTERVAL {secs} SECOND)");
            }
            sql.push_str(";\n");
            counts.inserted += NARROW_BATCH;
        }
        let delta = rng.range(1, 1000);
        let _ = writeln!(
            sql,
            "UPDATE narrow SET k = k + 1, amount = amount - {delta}, note = '{}' WHERE id BETWEEN {} AND {};",
            block % 1000,
            base,
            base + NARROW_UPDATE - 1
        );
        counts.updated += NARROW_UPDATE;
        let _ = writeln!(
            sql,
            "DELETE FROM narrow WHERE id BETWEEN {} AND {};",
            base + NARROW_BLOCK - NARROW_DELETE,
            base + NARROW_BLOCK - 1
        );
        counts.deleted += NARROW_DELETE;
        if sql.len() > 6 << 20 {
            emit(&sql);
            sql.clear();
        }
    }
    if !sql.is_empty() {
        emit(&sql);
    }
    counts
}

/// The wide part at `scale`.
pub fn wide(scale: u64, seed: u64, mut emit: impl FnMut(&str)) -> Counts {
    let mut rng = Rng::new(seed ^ 0x5769_6465);
    let mut counts = Counts::default();
    let mut sql = String::with_capacity(8 << 20);
    let blocks = scale * 16_000 / WIDE_BLOCK;
    for block in 0..blocks {
        let base = block * WIDE_BLOCK + 1;
        for batch in 0..WIDE_BLOCK / WIDE_BATCH {
            sql.push_str("INSERT INTO wide VALUES ");
            for i in 0..WIDE_BATCH {
                let id = base + batch * WIDE_BATCH + i;
                if i > 0 {
                    sql.push(',');
                }
                wide_row(&mut rng, id, &mut sql);
            }
            sql.push_str(";\n");
            counts.inserted += WIDE_BATCH;
        }
        let _ = writeln!(
            sql,
            "UPDATE wide SET c_double = c_double + 1, c_medium = -c_medium - 1, \
             c_varchar = '{}', c_datetime = c_datetime + INTERVAL 1 SECOND, c_set = 'a,e' \
             WHERE id BETWEEN {} AND {};",
            block,
            base,
            base + WIDE_UPDATE - 1
        );
        counts.updated += WIDE_UPDATE;
        let _ = writeln!(
            sql,
            "DELETE FROM wide WHERE id BETWEEN {} AND {};",
            base + WIDE_BLOCK - WIDE_DELETE,
            base + WIDE_BLOCK - 1
        );
        counts.deleted += WIDE_DELETE;
        if sql.len() > 6 << 20 {
            emit(&sql);
            sql.clear();
        }
    }
    if !sql.is_empty() {
        emit(&sql);
    }
    counts
}

/// One row of `wide`, as a VALUES tuple. Nullable columns are NULL about a tenth of the time.
fn wide_row(rng: &mut Rng, id: u64, sql: &mut String) {
    let null = |rng: &mut Rng| rng.chance(10);
    let _ = write!(sql, "({id},{},", rng.range(0, 255) as i64 - 128);
    if null(rng) {
        sql.push_str("NULL,");
    } else {
        let _ = write!(sql, "{},", rng.range(0, 65_535));
    }
    let _ = write!(
        sql,
        "{},{},",
        rng.range(0, (1 << 23) - 1) as i64 - (1 << 22),
        rng.next_u64()
    );
    if null(rng) {
        sql.push_str("NULL,");
    } else {
        let _ = write!(sql, "{:.3},", (rng.range(0, 2_000_000) as f64 - 1e6) / 7.0);
    }
    let _ = write!(
        sql,
        "{:e},{}.{:02},",
        (rng.next_u64() >> 11) as f64 * 1e-9 - 4e6,
        rng.range(0, 9_999_999_999) as i64 - 5_000_000_000,
        rng.range(0, 99)
    );
    if null(rng) {
        sql.push_str("NULL,");
    } else {
        let _ = write!(
            sql,
            "-{}{:012}.{:010},",
            rng.range(1, 999_999_999_999_999),
            rng.range(0, 999_999_999_999),
            rng.range(0, 9_999_999_999)
        );
    }
    let _ = write!(sql, "'1000-01-01' + INTERVAL {} DAY,", rng.range(0, 3_000_000));
    if null(rng) {
        sql.push_str("NULL,");
    } else {
        let _ = write!(
            sql,
            "'{}{}:{:02}:{:02}.{:03}',",
            if rng.chance(20) { "-" } else { "" },
            rng.range(0, 838),
            rng.range(0, 59),
            rng.range(0, 59),
            rng.range(0, 999)
        );
    }
    let _ = write!(
        sql,
        "'1000-01-02 00:00:00' + INTERVAL {} MICROSECOND,",
        rng.range(0, 280_000_000_000_000_000)
    );
    if null(rng) {
        sql.push_str("NULL,");
    } else {
        let _ = write!(
            sql,
            "FROM_UNIXTIME({}.{:06}),",
            rng.range(1, 2_000_000_000),
            rng.range(0, 999_999)
        );
    }
    let _ = write!(sql, "{},'", rng.range(1901, 2155));
    let len = rng.range(0, 12) as usize;
    rng.text(len, sql);
    sql.push_str("',");
    if null(rng) {
        sql.push_str("NULL,");
    } else {
        sql.push('\'');
        let len = rng.range(0, 200) as usize;
        rng.text(len, sql);
        sql.push_str("',");
    }
    let len = rng.range(0, 16) as usize;
    rng.hex(len, sql);
    sql.push(',');
    if null(rng) {
        sql.push_str("NULL,");
    } else {
        let len = rng.range(0, 64) as usize;
        rng.hex(len, sql);
        sql.push(',');
    }
    if null(rng) {
        sql.push_str("NULL,");
    } else {
        sql.push('\'');
        let len = rng.range(500, 4000) as usize;
        rng.text(len, sql);
        sql.push_str("',");
    }
    if null(rng) {
        sql.push_str("NULL,");
    } else {
        let len = rng.range(1000, 8000) as usize;
        rng.hex(len, sql);
        sql.push(',');
    }
    if null(rng) {
        sql.push_str("NULL,");
    } else {
        let _ = write!(
            sql,
            "'{{\"id\":{id},\"score\":{},\"ok\":{},\"tags\":[",
            rng.range(0, 1_000_000) as f64 / 8.0,
            rng.chance(50)
        );
        for t in 0..rng.range(0, 8) {
            if t > 0 {
                sql.push(',');
            }
            sql.push('"');
            let len = rng.range(1, 20) as usize;
            rng.text(len, sql);
            sql.push('"');
        }
        let _ = write!(
            sql,
            "],\"nested\":{{\"a\":[{},{},null],\"b\":\"",
            rng.next_u64() as i64,
            rng.range(0, 100)
        );
        let len = rng.range(0, 300) as usize;
        rng.text(len, sql);
        sql.push_str("\"}}',");
    }
    let colours = ["red", "green", "blue", "cyan"];
    let _ = write!(sql, "'{}','", colours[rng.range(0, 3) as usize]);
    let mut first = true;
    for (bit, name) in ["a", "b", "c", "d", "e"].iter().enumerate() {
        if rng.next_u64() >> (bit + 3) & 1 == 1 {
            if !first {
                sql.push(',');
            }
            sql.push_str(name);
            first = false;
        }
    }
    let _ = write!(sql, "',b'{:013b}',", rng.range(0, (1 << 13) - 1));
    if null(rng) {
        sql.push_str("NULL)");
    } else {
        let _ = write!(
            sql,
            "POINT({}, {}))",
            (rng.range(0, 360_000) as f64 - 180_000.0) / 1000.0,
            (rng.range(0, 180_000) as f64 - 90_000.0) / 1000.0
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_one_counts() {
        let n = narrow(1, 1, |_| {});
        assert_eq!((n.inserted, n.updated, n.deleted), (1_000_000, 250_000, 100_000));
        let w = wide(1, 1, |_| {});
        assert_eq!((w.inserted, w.updated, w.deleted), (16_000, 4_000, 2_000));
        assert_eq!(n.total() + w.total(), 1_372_000);
    }

    #[test]
    fn deterministic() {
        let mut a = String::new();
        let mut b = String::new();
        wide(1, 7, |s| a.push_str(s));
        wide(1, 7, |s| b.push_str(s));
        assert_eq!(a, b);
    }
}
