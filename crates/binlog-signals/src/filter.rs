//! Table filters: which `schema.table` names a stream (or the whole connection) lets through.
//!
//! # Pattern syntax
//!
//! A [`TablePattern`] is written `schema.table`. The text is split at its **first** `.`: the
//! part before is matched against the schema (database) name, the part after against the table
//! name, each separately. A pattern without a `.` matches every table of the schemas it names
//! (`shop` is the same as `shop.*`).
//!
//! In each part, `*` matches any run of characters (also none) and `?` matches exactly one
//! character; every other character matches itself. There is no escape character: to match a
//! literal `*` or `?` in a name, use `?` (it matches any one character, including those).
//! Because the split is at the first `.`, table names containing dots can be matched
//! (`db.a.b` is schema `db`, table `a.b`), schema names containing dots only with `?`.
//!
//! | pattern | matches |
//! |---|---|
//! | `shop.orders` | exactly the table `orders` in the schema `shop` |
//! | `shop.*` or `shop` | every table in `shop` |
//! | `*.audit_*` | tables whose name starts with `audit_`, in every schema |
//! | `db?.t*` | `db1.t`, `dbx.table1`; not `db10.t` |
//!
//! # Case
//!
//! Matching is **case-sensitive** and compares the names exactly as the binlog carries them.
//! That is MySQL's and MariaDB's default on Linux (`lower_case_table_names=0`), where `Shop`
//! and `shop` are different schemas. With `lower_case_table_names=1` (the default on Windows)
//! the server stores and logs names in lower case: write the patterns in lower case there.
//!
//! # Filters
//!
//! A [`TableFilter`] holds include and exclude patterns. A table passes when it matches at
//! least one include pattern (or there are none) and no exclude pattern. Items that concern no
//! table (e.g. a `QUERY` or `XID` event on [`BinlogEvents`](crate::BinlogEvents)) pass only a
//! filter without include patterns.

use std::fmt;
use std::str::FromStr;

/// One `schema.table` pattern with `*` and `?` wildcards; see the [module docs](self).
///
/// Every string is a valid pattern, so building one never fails.
///
/// ```
/// use binlog_signals::TablePattern;
///
/// let pattern = TablePattern::new("*.audit_*");
/// assert!(pattern.matches("shop", "audit_log"));
/// assert!(!pattern.matches("shop", "orders"));
/// assert!(!pattern.matches("shop", "AUDIT_LOG")); // case-sensitive
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TablePattern {
    text: Box<str>,
    schema: Part,
    table: Part,
}

impl TablePattern {
    /// Parses `text` (`schema.table`, `schema.*`, `*.table`, `schema`, ...).
    pub fn new(text: &str) -> Self {
        let (schema, table) = match text.split_once('.') {
            Some((schema, table)) => (Part::new(schema), Part::new(table)),
            None => (Part::new(text), Part::Any),
        };
        TablePattern {
            text: text.into(),
            schema,
            table,
        }
    }

    /// Whether the table `schema`.`table` matches.
    pub fn matches(&self, schema: &str, table: &str) -> bool {
        self.schema.matches(schema) && self.table.matches(table)
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for TablePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TablePattern({:?})", self.text)
    }
}

impl fmt::Display for TablePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for TablePattern {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(TablePattern::new(s))
    }
}

impl From<&str> for TablePattern {
    fn from(text: &str) -> Self {
        TablePattern::new(text)
    }
}

impl From<String> for TablePattern {
    fn from(text: String) -> Self {
        TablePattern::new(&text)
    }
}

impl From<&String> for TablePattern {
    fn from(text: &String) -> Self {
        TablePattern::new(text)
    }
}

/// One side of a pattern, pre-classified so the common cases avoid the wildcard matcher.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Part {
    /// `*`: everything.
    Any,
    /// No wildcard: byte equality.
    Exact(Box<str>),
    /// Contains `*` or `?`.
    Glob(Box<str>),
}

impl Part {
    fn new(text: &str) -> Self {
        if text == "*" {
            Part::Any
        } else if text.contains(['*', '?']) {
            Part::Glob(text.into())
        } else {
            Part::Exact(text.into())
        }
    }

    fn matches(&self, name: &str) -> bool {
        match self {
            Part::Any => true,
            Part::Exact(exact) => **exact == *name,
            Part::Glob(glob) => glob_matches(glob.as_bytes(), name.as_bytes()),
        }
    }
}

/// Iterative wildcard matching with single-star backtracking: linear for typical patterns,
/// `O(pattern × name)` at worst, no allocation, no recursion.
///
/// Works on UTF-8 bytes; `?` and the star's backtracking step over whole characters, so `?`
/// matches one character, not one byte. Literal bytes can only match at character
/// boundaries because a UTF-8 lead byte never equals a continuation byte.
fn glob_matches(pattern: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0usize, 0usize);
    // Where to resume after the most recent `*`: (pattern index after it, name index it covers to).
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some(b'*') => {
                p += 1;
                star = Some((p, n));
                continue;
            }
            Some(b'?') => {
                p += 1;
                n = next_char(name, n);
                continue;
            }
            Some(&c) if name.get(n) == Some(&c) => {
                p += 1;
                n += 1;
                continue;
            }
            _ => {}
        }
        // Mismatch: let the last star swallow one more character, or fail.
        match star {
            Some((star_p, star_n)) => {
                let resume = next_char(name, star_n);
                star = Some((star_p, resume));
                p = star_p;
                n = resume;
            }
            None => return false,
        }
    }
    pattern
        .get(p..)
        .is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}

/// Index of the character after the one starting at `i` (skips UTF-8 continuation bytes).
fn next_char(s: &[u8], i: usize) -> usize {
    let mut j = i + 1;
    while s.get(j).is_some_and(|&b| b & 0xC0 == 0x80) {
        j += 1;
    }
    j
}

/// Include and exclude [`TablePattern`]s; see the [module docs](self) for the rules.
///
/// ```
/// use binlog_signals::TableFilter;
///
/// let filter = TableFilter::new().include("shop.*").exclude("*.audit_*");
/// assert!(filter.allows("shop", "orders"));
/// assert!(!filter.allows("shop", "audit_log"));
/// assert!(!filter.allows("crm", "customers"));
/// assert!(TableFilter::new().allows("any", "table"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableFilter {
    include: Vec<TablePattern>,
    exclude: Vec<TablePattern>,
}

impl TableFilter {
    /// A filter that lets everything through.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an include pattern: once there is one, only matching tables pass.
    pub fn include(mut self, pattern: impl Into<TablePattern>) -> Self {
        self.include.push(pattern.into());
        self
    }

    /// Adds an exclude pattern: matching tables never pass.
    pub fn exclude(mut self, pattern: impl Into<TablePattern>) -> Self {
        self.exclude.push(pattern.into());
        self
    }

    pub(crate) fn push_include(&mut self, pattern: TablePattern) {
        self.include.push(pattern);
    }

    pub(crate) fn push_exclude(&mut self, pattern: TablePattern) {
        self.exclude.push(pattern);
    }

    /// The include patterns.
    pub fn includes(&self) -> &[TablePattern] {
        &self.include
    }

    /// The exclude patterns.
    pub fn excludes(&self) -> &[TablePattern] {
        &self.exclude
    }

    /// Whether the filter lets everything through (no patterns at all).
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// Whether the table `schema`.`table` passes.
    pub fn allows(&self, schema: &str, table: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|p| p.matches(schema, table)))
            && !self.exclude.iter().any(|p| p.matches(schema, table))
    }

    /// Whether an item passes: with a table, as [`allows`](Self::allows); without one, only
    /// when there are no include patterns.
    pub fn allows_item(&self, table: Option<(&str, &str)>) -> bool {
        match table {
            Some((schema, table)) => self.allows(schema, table),
            None => self.include.is_empty(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, schema: &str, table: &str) -> bool {
        TablePattern::new(pattern).matches(schema, table)
    }

    #[test]
    fn exact_names() {
        assert!(m("shop.orders", "shop", "orders"));
        assert!(!m("shop.orders", "shop", "orders2"));
        assert!(!m("shop.orders", "shop2", "orders"));
        assert!(!m("shop.orders", "sho", "orders"));
        assert!(!m("shop.orders", "", ""));
    }

    #[test]
    fn schema_only_pattern_means_every_table() {
        assert!(m("shop", "shop", "orders"));
        assert!(m("shop", "shop", ""));
        assert!(!m("shop", "shops", "orders"));
        assert_eq!(TablePattern::new("shop").table, Part::Any);
    }

    #[test]
    fn star_and_question_mark() {
        assert!(m("db.*", "db", "anything"));
        assert!(m("db.*", "db", ""));
        assert!(!m("db.*", "db2", "x"));
        assert!(m("*.audit_*", "shop", "audit_log"));
        assert!(m("*.audit_*", "x", "audit_"));
        assert!(!m("*.audit_*", "x", "audit"));
        assert!(!m("*.audit_*", "x", "my_audit_log"));
        assert!(m("*.*audit*", "x", "my_audit_log"));
        assert!(m("db?.t*", "db1", "t"));
        assert!(m("db?.t*", "dbx", "table1"));
        assert!(!m("db?.t*", "db10", "t"));
        assert!(!m("db?.t*", "db", "t"));
        assert!(m("a*b*c.*", "aXbYc", "t"));
        assert!(m("a*b*c.*", "abc", "t"));
        assert!(m("a*b*c.*", "abbbcbc", "t"));
        assert!(!m("a*b*c.*", "abcd", "t"));
        assert!(m("**.x", "", "x"));
        assert!(m("*?.x", "a", "x"));
        assert!(!m("*?.x", "", "x"));
    }

    #[test]
    fn star_does_not_cross_the_schema_table_boundary() {
        // `d*` is a schema pattern: the table side is `*` (no dot in the pattern).
        assert!(m("d*", "db", "t"));
        // `*` on the schema side never eats into the table name.
        assert!(!m("s*.orders", "shop", "old_orders"));
        assert!(m("s*.*orders", "shop", "old_orders"));
    }

    #[test]
    fn dots_after_the_first_belong_to_the_table() {
        assert!(m("db.a.b", "db", "a.b"));
        assert!(!m("db.a.b", "db.a", "b"));
        assert!(m("db?a.b", "db.a", "b"));
    }

    #[test]
    fn case_sensitive() {
        assert!(!m("Shop.Orders", "shop", "orders"));
        assert!(!m("shop.*", "SHOP", "orders"));
        assert!(m("Shop.Orders", "Shop", "Orders"));
    }

    #[test]
    fn question_mark_is_one_character_not_one_byte() {
        assert!(m("caf?.t", "café", "t"));
        assert!(!m("caf??.t", "café", "t"));
        assert!(m("?.t", "日", "t"));
        assert!(m("*本.t", "日本", "t"));
        assert!(m("*.?", "x", "😀"));
        assert!(!m("*.??", "x", "😀"));
        assert!(m("日*.*", "日本語", "t"));
        assert!(!m("本*.*", "日本語", "t"));
    }

    #[test]
    fn literal_wildcard_characters_in_names_match_question_mark() {
        assert!(m("db.a?b", "db", "a*b"));
        assert!(m("db.a*b", "db", "a*b"));
    }

    #[test]
    fn pathological_pattern_stays_linear_enough() {
        let name = "a".repeat(10_000);
        let pattern = format!("{}b.*", "*a".repeat(50));
        assert!(!m(&pattern, &name, "t"));
    }

    #[test]
    fn filter_include_exclude_rules() {
        let f = TableFilter::new()
            .include("shop.*")
            .include("crm.customers")
            .exclude("*.audit_*");
        assert!(f.allows("shop", "orders"));
        assert!(f.allows("crm", "customers"));
        assert!(!f.allows("crm", "leads"));
        assert!(!f.allows("shop", "audit_orders"));
        assert!(!f.allows("other", "x"));
        // Only excludes: everything else passes.
        let f = TableFilter::new().exclude("*.audit_*");
        assert!(f.allows("any", "thing"));
        assert!(!f.allows("any", "audit_x"));
        assert!(f.allows_item(None));
        // With includes, items without a table do not pass.
        assert!(!TableFilter::new().include("x.y").allows_item(None));
        assert!(TableFilter::new().allows_item(None));
        assert!(TableFilter::new().is_empty());
        assert!(!TableFilter::new().exclude("a").is_empty());
    }

    #[test]
    fn display_and_debug_show_the_text() {
        let p: TablePattern = "db.*".parse().unwrap_or_else(|e| match e {});
        assert_eq!(p.to_string(), "db.*");
        assert_eq!(format!("{p:?}"), "TablePattern(\"db.*\")");
        assert_eq!(p.as_str(), "db.*");
    }
}
