//! Column values decoded from row images.

mod column_type;

pub use column_type::ColumnType;
