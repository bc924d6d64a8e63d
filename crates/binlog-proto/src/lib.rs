//! Sans-IO MySQL/MariaDB client and replication protocol.
//!
//! `binlog-proto` turns bytes into messages and messages into bytes; it never touches a socket,
//! a file handle or a clock. An async adapter (`binlog-signals`) or a plain test drives it.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic,
        clippy::arithmetic_side_effects
    )
)]

pub mod auth;
pub mod capabilities;
mod codec;
pub mod command;
pub mod compression;
pub mod connection;
pub mod error;
pub mod event;
pub mod file;
pub mod gtid;
pub mod handshake;
pub mod limits;
pub mod packet;
pub mod response;
pub mod resultset;
pub mod session;
#[cfg(test)]
mod testing;
pub mod value;

pub use error::{Error, Result, ServerError};
