//! Binlog events.

mod event_type;

pub use event_type::EventType;
