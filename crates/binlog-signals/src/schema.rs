//! Column names (and primary keys) for rows events.
//!
//! The binlog names columns only when the server writes TABLE_MAP optional metadata with
//! `binlog_row_metadata=FULL` (MySQL 8.0.1+, MariaDB 10.5+). Otherwise the names are read
//! from `information_schema.COLUMNS` on a second connection the first time a table appears,
//! cached by table, and the cache is dropped when a QUERY event carries DDL. The server's
//! current definition may differ from the one the event was written with (a binlog read from
//! long ago, a column added since): when the column counts differ, the columns get positional
//! names (`@1`, `@2`...) and a warning is logged, so a value never gets another column's name.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use binlog_proto::event::table_map::TableMap;
use binlog_proto::value::Signedness;

use crate::config::Config;
use crate::error::Error;
use crate::item::{Columns, NameSource};
use crate::tls::TlsConnector;
use crate::wire::sql::SqlConnection;

/// The names of a table's columns and what the binlog does not carry without full metadata.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub(crate) columns: Arc<Columns>,
    /// Per column: declared UNSIGNED according to `information_schema`, for integer columns
    /// whose TABLE_MAP did not say (no SIGNEDNESS metadata). `None` when nothing to fix.
    pub(crate) unsigned: Option<Arc<[bool]>>,
}

/// A table's definition as `information_schema` describes it now.
#[derive(Debug)]
struct Definition {
    names: Vec<Box<str>>,
    primary_key: Vec<usize>,
    unsigned: Vec<bool>,
}

/// `(schema, table)`.
type TableName = (Box<str>, Box<str>);

/// Resolves column names for table maps; see the [module docs](self).
pub(crate) struct Schemas {
    config: Arc<Config>,
    tls: Option<TlsConnector>,
    sql: Option<SqlConnection>,
    /// `information_schema` answers by (schema, table); `None` for a table it does not know.
    definitions: HashMap<TableName, Option<Arc<Definition>>>,
    /// The last resolution per table id, reused while the TABLE_MAP stays the same.
    by_table_id: HashMap<u64, (Arc<TableMap>, Resolved)>,
}

/// More table ids than this and the per-id cache starts over (ids grow with every table
/// definition the server opens).
const MAX_CACHED_TABLE_IDS: usize = 4096;

impl Schemas {
    pub(crate) fn new(config: Arc<Config>, tls: Option<TlsConnector>) -> Schemas {
        Schemas {
            config,
            tls,
            sql: None,
            definitions: HashMap::new(),
            by_table_id: HashMap::new(),
        }
    }

    /// Forgets what `information_schema` said: called for every DDL statement in the binlog.
    pub(crate) fn invalidate(&mut self) {
        self.definitions.clear();
        self.by_table_id.clear();
    }

    /// The column names for rows of `map`.
    pub(crate) async fn resolve(&mut self, map: &Arc<TableMap>) -> Resolved {
        if let Some((known, resolved)) = self.by_table_id.get(&map.table_id())
            && (Arc::ptr_eq(known, map) || **known == **map)
        {
            return resolved.clone();
        }
        let resolved = self.resolve_uncached(map).await;
        if self.by_table_id.len() >= MAX_CACHED_TABLE_IDS {
            self.by_table_id.clear();
        }
        self.by_table_id
            .insert(map.table_id(), (Arc::clone(map), resolved.clone()));
        resolved
    }

    async fn resolve_uncached(&mut self, map: &TableMap) -> Resolved {
        let count = map.columns().len();
        if count > 0 && map.columns().iter().all(|c| c.name().is_some()) {
            let names = map
                .columns()
                .iter()
                .map(|c| c.name().unwrap_or_default().into())
                .collect();
            let key = map
                .primary_key()
                .map(|parts| parts.iter().map(|p| p.column).collect())
                .unwrap_or_default();
            return Resolved {
                columns: Arc::new(Columns::new(names, key, NameSource::TableMap)),
                unsigned: None,
            };
        }
        let definition = self.definition(map.schema(), map.table()).await;
        match definition {
            Some(def) if def.names.len() == count => {
                // Integer columns whose signedness the binlog did not give.
                let fix: Vec<bool> = map
                    .columns()
                    .iter()
                    .zip(&def.unsigned)
                    .map(|(c, &unsigned)| unsigned && c.signedness() == Signedness::Unknown)
                    .collect();
                Resolved {
                    columns: Arc::new(Columns::new(
                        def.names.clone(),
                        def.primary_key.clone(),
                        NameSource::InformationSchema,
                    )),
                    unsigned: fix.contains(&true).then(|| fix.into()),
                }
            }
            Some(def) => {
                tracing::warn!(
                    schema = map.schema(),
                    table = map.table(),
                    binlog_columns = count,
                    server_columns = def.names.len(),
                    "the table's current definition does not match the binlog event; using positional column names"
                );
                positional(count)
            }
            None => positional(count),
        }
    }

    /// The table's definition from `information_schema` (cached); `None` when the table is
    /// unknown there or the lookup failed (logged).
    async fn definition(&mut self, schema: &str, table: &str) -> Option<Arc<Definition>> {
        let key = (Box::<str>::from(schema), Box::<str>::from(table));
        if let Some(known) = self.definitions.get(&key) {
            return known.clone();
        }
        let definition = match self.query_definition(schema, table).await {
            Ok(Some(def)) => Some(Arc::new(def)),
            Ok(None) => {
                tracing::warn!(
                    schema,
                    table,
                    "table not found in information_schema (dropped since?); using positional column names"
                );
                None
            }
            Err(error) => {
                tracing::warn!(
                    schema, table, %error,
                    "cannot read column names from information_schema; using positional column names"
                );
                // A broken side connection is opened anew next time.
                self.sql = None;
                return None;
            }
        };
        self.definitions.insert(key, definition.clone());
        definition
    }

    async fn query_definition(&mut self, schema: &str, table: &str) -> Result<Option<Definition>, Error> {
        if self.sql.is_none() {
            self.sql = Some(SqlConnection::open(&self.config, self.tls.clone()).await?);
        }
        let Some(sql) = self.sql.as_mut() else {
            return Ok(None);
        };
        let result = sql.query(&definition_query(schema, table)).await?;
        if result.rows.is_empty() {
            return Ok(None);
        }
        let mut definition = Definition {
            names: Vec::with_capacity(result.rows.len()),
            primary_key: Vec::new(),
            unsigned: Vec::with_capacity(result.rows.len()),
        };
        let mut key: Vec<(u32, usize)> = Vec::new();
        for (index, row) in result.rows.iter().enumerate() {
            definition
                .names
                .push(row.get_str(0).unwrap_or_default().into_owned().into_boxed_str());
            let column_type = row.get_str(1).unwrap_or_default().to_ascii_lowercase();
            definition.unsigned.push(column_type.contains("unsigned"));
            if let Some(seq) = row.get_str(2).and_then(|s| s.parse::<u32>().ok()) {
                key.push((seq, index));
            }
        }
        key.sort_unstable();
        definition.primary_key = key.into_iter().map(|(_, index)| index).collect();
        Ok(Some(definition))
    }
}

fn positional(count: usize) -> Resolved {
    Resolved {
        columns: Arc::new(Columns::positional(count)),
        unsigned: None,
    }
}

/// Columns in table order with their type and, for primary key columns, their place in the
/// key. Names are passed as hex literals: no quoting rules (`sql_mode`, backslashes) apply.
fn definition_query(schema: &str, table: &str) -> String {
    format!(
        "SELECT c.COLUMN_NAME, c.COLUMN_TYPE, k.SEQ_IN_INDEX \
         FROM information_schema.COLUMNS c \
         LEFT JOIN information_schema.STATISTICS k \
           ON k.TABLE_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME \
          AND k.COLUMN_NAME = c.COLUMN_NAME AND k.INDEX_NAME = 'PRIMARY' \
         WHERE c.TABLE_SCHEMA = {} AND c.TABLE_NAME = {} \
         ORDER BY c.ORDINAL_POSITION",
        hex_literal(schema),
        hex_literal(table)
    )
}

/// `CONVERT(X'..' USING utf8mb4)`.
fn hex_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2 + 24);
    out.push_str("CONVERT(X'");
    for byte in text.bytes() {
        let _ = write!(out, "{byte:02X}");
    }
    out.push_str("' USING utf8mb4)");
    out
}

/// Whether a QUERY event's statement may change a table definition.
pub(crate) fn is_ddl(sql: &[u8]) -> bool {
    let text = String::from_utf8_lossy(sql);
    let first = skip_comments(&text)
        .split(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    matches!(
        first.as_str(),
        "ALTER" | "CREATE" | "DROP" | "RENAME" | "TRUNCATE"
    )
}

/// The statement after leading whitespace and `/* ... */` comments (the server writes
/// version comments such as `/*!40000 ... */` in front of some statements).
fn skip_comments(mut text: &str) -> &str {
    loop {
        text = text.trim_start();
        match text.strip_prefix("/*") {
            Some(rest) if !rest.starts_with('!') => match rest.find("*/") {
                Some(end) => text = &rest[end + 2..],
                None => return "",
            },
            _ => return text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddl_statements_are_recognised() {
        for ddl in [
            "ALTER TABLE t ADD c INT",
            "  create table x (a int)",
            "DROP TABLE `t` /* generated by server */",
            "/* comment */ RENAME TABLE a TO b",
            "TRUNCATE t",
            "CREATE(x)",
        ] {
            assert!(is_ddl(ddl.as_bytes()), "{ddl}");
        }
        for other in [
            "BEGIN",
            "COMMIT",
            "INSERT INTO t VALUES (1)",
            "SAVEPOINT a",
            "",
            "/* x",
        ] {
            assert!(!is_ddl(other.as_bytes()), "{other}");
        }
    }

    #[test]
    fn names_are_hex_literals() {
        assert_eq!(hex_literal("a'b"), "CONVERT(X'612762' USING utf8mb4)");
        let sql = definition_query("db", "t");
        assert!(
            sql.contains("TABLE_SCHEMA = CONVERT(X'6462' USING utf8mb4)"),
            "{sql}"
        );
    }
}
