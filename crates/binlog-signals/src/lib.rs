//! Read a MySQL/MariaDB binary log over the replication protocol and receive every change as
//! async streams ("signals").
