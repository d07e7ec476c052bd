//! The only part of hostkit-ntp that does IO: name resolution bounded by a deadline
//! ([`resolve`]) and the parallel UDP exchange ([`exchange`]).

pub mod exchange;
pub mod resolve;
