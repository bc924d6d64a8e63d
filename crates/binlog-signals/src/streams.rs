//! The named stream types, one per signal. Each is a [`Stream`] of `Result<Item, Error>`:
//! items in binlog order, then at most one error, then the end.
//!
//! A stream receives what is published after it was created. It buffers up to the configured
//! channel capacity; what happens when it is full is the [`LagPolicy`](crate::LagPolicy).
//! Dropping a stream unsubscribes it.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures::stream::{FusedStream, Stream};

use crate::error::Error;
use crate::filter::TablePattern;
use crate::hub::Subscription;
use crate::item::{BinlogEvent, BinlogPosition, RowsEvent};

macro_rules! signal_stream {
    ($(#[$doc:meta])* $name:ident => $item:ty) => {
        $(#[$doc])*
        #[derive(Debug)]
        #[must_use = "streams do nothing unless polled"]
        pub struct $name {
            inner: Subscription<$item>,
        }

        impl $name {
            pub(crate) fn new(inner: Subscription<$item>) -> Self {
                $name { inner }
            }
        }

        impl Stream for $name {
            type Item = Result<$item, Error>;

            fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
                Pin::new(&mut self.inner).poll_next(cx)
            }
        }

        impl FusedStream for $name {
            fn is_terminated(&self) -> bool {
                self.inner.is_terminated()
            }
        }
    };
}

/// Adds the builder-style table filter methods (see [`crate::filter`] for the rules).
macro_rules! table_filter_methods {
    ($name:ident) => {
        impl $name {
            /// Only items of tables matching `pattern` (`"db0.table1"`, `"shop.*"`,
            /// `"*.audit_*"`); several calls add alternatives.
            pub fn table(mut self, pattern: impl Into<TablePattern>) -> Self {
                let pattern = pattern.into();
                self.inner.update_filter(|f| f.push_include(pattern));
                self
            }

            /// Only items of tables matching any of `patterns`.
            pub fn tables<P: Into<TablePattern>>(mut self, patterns: impl IntoIterator<Item = P>) -> Self {
                let patterns: Vec<TablePattern> = patterns.into_iter().map(Into::into).collect();
                self.inner
                    .update_filter(|f| patterns.into_iter().for_each(|p| f.push_include(p)));
                self
            }

            /// No items of tables matching `pattern`.
            pub fn exclude_table(mut self, pattern: impl Into<TablePattern>) -> Self {
                let pattern = pattern.into();
                self.inner.update_filter(|f| f.push_exclude(pattern));
                self
            }

            /// No items of tables matching any of `patterns`.
            pub fn exclude_tables<P: Into<TablePattern>>(
                mut self,
                patterns: impl IntoIterator<Item = P>,
            ) -> Self {
                let patterns: Vec<TablePattern> = patterns.into_iter().map(Into::into).collect();
                self.inner
                    .update_filter(|f| patterns.into_iter().for_each(|p| f.push_exclude(p)));
                self
            }
        }
    };
}

signal_stream! {
    /// Inserted rows: one [`RowsEvent`] per `WRITE_ROWS` event (the seed's `rows_inserted`).
    /// Create with [`Client::rows_inserted`](crate::Client::rows_inserted).
    ///
    /// ```no_run
    /// use futures::StreamExt;
    ///
    /// # async fn example(client: binlog_signals::Client) -> Result<(), binlog_signals::Error> {
    /// let mut inserted = client.rows_inserted().table("db0.table1");
    /// while let Some(event) = inserted.next().await {
    ///     let event = event?;
    ///     println!("insert into {}.{} at {}", event.schema(), event.table(), event.position());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    RowsInserted => RowsEvent
}
table_filter_methods!(RowsInserted);

signal_stream! {
    /// Updated rows: one [`RowsEvent`] per `UPDATE_ROWS` event (the seed's `rows_updated`).
    /// Create with [`Client::rows_updated`](crate::Client::rows_updated).
    ///
    /// ```no_run
    /// use futures::StreamExt;
    ///
    /// # async fn example(client: binlog_signals::Client) -> Result<(), binlog_signals::Error> {
    /// let mut updated = client.rows_updated().tables(["shop.*", "crm.customers"]);
    /// while let Some(event) = updated.next().await {
    ///     println!("{}", event?.table());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    RowsUpdated => RowsEvent
}
table_filter_methods!(RowsUpdated);

signal_stream! {
    /// Deleted rows: one [`RowsEvent`] per `DELETE_ROWS` event (the seed's `rows_deleted`).
    /// Create with [`Client::rows_deleted`](crate::Client::rows_deleted).
    ///
    /// ```no_run
    /// use futures::StreamExt;
    ///
    /// # async fn example(client: binlog_signals::Client) -> Result<(), binlog_signals::Error> {
    /// let mut deleted = client.rows_deleted().exclude_table("*.audit_*");
    /// while let Some(event) = deleted.next().await {
    ///     println!("{}", event?.table());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    RowsDeleted => RowsEvent
}
table_filter_methods!(RowsDeleted);

signal_stream! {
    /// Every binlog event (the seed's `binlog_signal`), including the artificial ROTATE and
    /// FORMAT_DESCRIPTION a stream starts with and the events inside MySQL compressed
    /// transactions; heartbeats are not binlog events and are not published. Tables excluded
    /// by the connection's filter ([`Config::table_filter`](crate::Config::table_filter)) are
    /// left out. With a table filter, only events about
    /// a matching table (`TABLE_MAP` and rows events) pass; events about no table pass only a
    /// filter without include patterns. Create with
    /// [`Client::binlog_events`](crate::Client::binlog_events).
    ///
    /// ```no_run
    /// use futures::StreamExt;
    ///
    /// # async fn example(client: binlog_signals::Client) -> Result<(), binlog_signals::Error> {
    /// let mut events = client.binlog_events();
    /// while let Some(event) = events.next().await {
    ///     let event = event?;
    ///     println!("{:?} ending at {}", event.event_type(), event.position());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    BinlogEvents => BinlogEvent
}
table_filter_methods!(BinlogEvents);

signal_stream! {
    /// The position after each event (the seed's `binlog_position_signal`). Create with
    /// [`Client::binlog_positions`](crate::Client::binlog_positions).
    ///
    /// ```no_run
    /// use futures::StreamExt;
    ///
    /// # async fn example(client: binlog_signals::Client) -> Result<(), binlog_signals::Error> {
    /// let mut positions = client.binlog_positions();
    /// while let Some(position) = positions.next().await {
    ///     println!("at {}", position?);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    BinlogPositions => BinlogPosition
}
