//! The library behind the `binlog` command: row-change formatters shared by `binlog decode`,
//! `binlog tail` and anything else that prints row changes.
//!
//! The JSON format is a stable contract, documented in `docs/output-format.md`: one line per
//! row change, lossless values. [`format::json::write_row`] writes one line into a reusable
//! buffer; [`format::text::write_row`] writes the human-readable form.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod format;

/// The repository README's Rust quick start, compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
