//! Binlog events.

mod event_type;
pub mod rows;
pub mod table_map;

pub use event_type::EventType;
