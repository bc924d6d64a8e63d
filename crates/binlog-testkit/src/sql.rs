//! The admin connection: the server's own `mariadb` client over the unix socket, as root.
//!
//! Using the server's own client (rather than our protocol code) keeps the test oracle
//! independent of the code under test: "what the server's own SELECT returns" is the truth.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::Error;

/// One result row: `None` is SQL NULL.
pub type Row = Vec<Option<String>>;

/// Runs `sql` (one or more statements) and returns the rows of the last result set.
pub(crate) fn run(
    client: &Path,
    socket: &Path,
    database: Option<&str>,
    sql: &str,
) -> Result<Vec<Row>, Error> {
    let mut cmd = Command::new(client);
    cmd.arg("--no-defaults")
        .arg(format!("--socket={}", socket.display()))
        .args([
            "--user=root",
            "--batch",
            "--skip-column-names",
            "--default-character-set=utf8mb4",
        ]);
    if let Some(db) = database {
        cmd.arg(format!("--database={db}"));
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::Io {
            what: format!("run {}", client.display()),
            source: e,
        })?;
    // SQL goes through stdin: command-line arguments are limited to 128 KiB each.
    let mut stdin = child.stdin.take().ok_or_else(|| Error::Sql {
        sql: abbreviate(sql),
        message: "client stdin unavailable".into(),
    })?;
    let writer = {
        let sql = sql.to_owned();
        std::thread::spawn(move || stdin.write_all(sql.as_bytes()))
    };
    let output = child.wait_with_output().map_err(|e| Error::Io {
        what: "wait for the mariadb client".into(),
        source: e,
    })?;
    let _ = writer.join();
    if !output.status.success() {
        return Err(Error::Sql {
            sql: abbreviate(sql),
            message: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    let text = String::from_utf8(output.stdout).map_err(|_| Error::Sql {
        sql: abbreviate(sql),
        message: "result is not UTF-8; select HEX(column) for binary data".into(),
    })?;
    Ok(parse_batch(&text))
}

/// Parses `--batch` output: rows separated by newlines, fields by tabs, with `\t`, `\n`, `\\`,
/// `\0` escaped and NULL written as the bare word `NULL`. (A string 'NULL' is printed the same
/// way; tests that need to tell them apart select `QUOTE(col)`.)
fn parse_batch(text: &str) -> Vec<Row> {
    text.lines()
        .map(|line| {
            line.split('\t')
                .map(|field| {
                    if field == "NULL" {
                        None
                    } else {
                        Some(unescape(field))
                    }
                })
                .collect()
        })
        .collect()
}

fn unescape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('b') => out.push('\u{8}'),
            Some('Z') => out.push('\u{1a}'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

fn abbreviate(sql: &str) -> String {
    const MAX: usize = 300;
    match sql.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &sql[..cut]),
        None => sql.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_output_unescapes_and_maps_null() {
        let rows = parse_batch("1\tNULL\ta\\tb\\\\c\n2\tx\\ny\t\n");
        assert_eq!(
            rows,
            vec![
                vec![Some("1".into()), None, Some("a\tb\\c".into())],
                vec![Some("2".into()), Some("x\ny".into()), Some(String::new())],
            ]
        );
    }
}
