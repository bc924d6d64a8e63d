//! Durable binlog positions for crash-safe resume of MySQL/MariaDB replication.
