//! Streaming evaluation: one pass over a time-ordered log for rules whose
//! commitments all have the simple shape of an SLA (see [`plan`]), with
//! memory proportional to the open instances plus what the report keeps.

mod store;

pub use store::Store;
