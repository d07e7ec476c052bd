//! hostkit-ntp: a sans-IO SNTPv4 client core (RFC 5905 / RFC 4330) and drift-file reader.
//! Pure modules take bytes and timestamps and return values: [`time`], [`packet`], [`sample`]
//! (validation, offset, delay), [`select`] (minimum-delay, jitter, root distance), [`check`]
//! (verdict), [`report`] and [`render`] (Nagios, check_ntp_time 2.3, JSON, Prometheus),
//! [`drift`]. Only [`sys`] touches sockets, the resolver and the clock.

pub mod check;
pub mod drift;
pub mod packet;
pub mod render;
pub mod report;
pub mod sample;
pub mod select;
pub mod server;
pub mod sys;
pub mod time;
