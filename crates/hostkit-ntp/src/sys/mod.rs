//! The only part of hostkit-ntp that does IO: name resolution bounded by a deadline
//! ([`resolve`]), the parallel UDP exchange ([`exchange`]) and kernel receive timestamps
//! ([`rx_timestamp`]).

pub mod exchange;
pub mod resolve;
pub mod rx_timestamp;
