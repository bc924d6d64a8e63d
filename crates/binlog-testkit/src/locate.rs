//! Finding the MariaDB programs the harness runs.

use std::path::{Path, PathBuf};

use crate::Error;

/// The command that installs everything the harness needs on Debian/Ubuntu.
pub const INSTALL_HINT: &str = "apt-get update && apt-get install -y mariadb-server mariadb-client";

/// Absolute paths of the MariaDB programs the harness runs.
#[derive(Debug, Clone)]
pub struct Binaries {
    /// The server, `mariadbd`.
    pub server: PathBuf,
    /// The datadir initialiser, `mariadb-install-db`.
    pub install_db: PathBuf,
    /// The command-line client, `mariadb`, used for the admin connection.
    pub client: PathBuf,
}

impl Binaries {
    /// Finds the programs: an environment override first, then `$PATH`, then the usual sbin dirs.
    ///
    /// Overrides: `BINLOG_TEST_MARIADBD`, `BINLOG_TEST_INSTALL_DB`, `BINLOG_TEST_MARIADB_CLIENT`.
    pub fn locate() -> Result<Self, Error> {
        Ok(Self {
            server: find("BINLOG_TEST_MARIADBD", &["mariadbd", "mysqld"])?,
            install_db: find(
                "BINLOG_TEST_INSTALL_DB",
                &["mariadb-install-db", "mysql_install_db"],
            )?,
            client: find("BINLOG_TEST_MARIADB_CLIENT", &["mariadb", "mysql"])?,
        })
    }
}

fn find(env_var: &str, names: &[&str]) -> Result<PathBuf, Error> {
    if let Some(path) = std::env::var_os(env_var) {
        let path = PathBuf::from(path);
        return if is_executable(&path) {
            Ok(path)
        } else {
            Err(Error::NotInstalled {
                program: format!("{} (from ${env_var})", path.display()),
            })
        };
    }
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(
        [
            "/usr/sbin",
            "/usr/local/sbin",
            "/usr/bin",
            "/usr/local/bin",
            "/sbin",
        ]
        .map(PathBuf::from),
    );
    for name in names {
        for dir in &dirs {
            let candidate = dir.join(name);
            if is_executable(&candidate) {
                return Ok(candidate);
            }
        }
    }
    Err(Error::NotInstalled {
        program: names.join(" or "),
    })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}
