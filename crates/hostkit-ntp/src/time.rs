//! NTP time values (RFC 5905 §6): [`NtpTimestamp`] (64-bit 32.32 seconds within an era),
//! [`NtpDuration`] (signed 32.32, the wrapping difference of two timestamps, era-safe across the
//! 2036-02-07 rollover as long as the two are within 68 years) and [`NtpShort`] (16.16, root
//! delay and dispersion).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (Unix epoch).
pub const UNIX_EPOCH_NTP_SECONDS: u64 = 2_208_988_800;

const FRACTION_SCALE: f64 = 4_294_967_296.0; // 2^32

/// A 32.32 fixed-point NTP timestamp: seconds since the start of its era, plus a fraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NtpTimestamp(u64);

impl NtpTimestamp {
    /// The zero timestamp (means "unknown" in packets).
    pub const ZERO: NtpTimestamp = NtpTimestamp(0);

    /// From the raw 64-bit wire value.
    pub const fn from_bits(bits: u64) -> NtpTimestamp {
        NtpTimestamp(bits)
    }

    /// The raw 64-bit wire value.
    pub const fn to_bits(self) -> u64 {
        self.0
    }

    /// From a Unix time (seconds and nanoseconds after 1970), wrapped into its NTP era.
    pub fn from_unix(seconds: u64, nanos: u32) -> NtpTimestamp {
        let ntp_seconds = seconds.wrapping_add(UNIX_EPOCH_NTP_SECONDS) & 0xFFFF_FFFF;
        let fraction = ((u64::from(nanos) << 32) / 1_000_000_000) & 0xFFFF_FFFF;
        NtpTimestamp((ntp_seconds << 32) | fraction)
    }

    /// From a [`SystemTime`] (times before 1970 map to the Unix epoch).
    pub fn from_system_time(time: SystemTime) -> NtpTimestamp {
        let since = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        NtpTimestamp::from_unix(since.as_secs(), since.subsec_nanos())
    }

    /// Unix seconds (with fraction), resolving the era as RFC 4330 §3 does: a timestamp with
    /// the top bit clear is taken to be in era 1 (2036-02-07 .. 2104).
    pub fn to_unix_seconds(self) -> f64 {
        let seconds = self.0 >> 32;
        let era_offset: i64 = if seconds & 0x8000_0000 == 0 {
            1 << 32
        } else {
            0
        };
        let unix = seconds as i64 + era_offset - UNIX_EPOCH_NTP_SECONDS as i64;
        unix as f64 + (self.0 & 0xFFFF_FFFF) as f64 / FRACTION_SCALE
    }

    /// `self - earlier` as a signed duration, correct across an era boundary.
    pub fn diff(self, earlier: NtpTimestamp) -> NtpDuration {
        NtpDuration(self.0.wrapping_sub(earlier.0) as i64)
    }
}

impl std::ops::Add<NtpDuration> for NtpTimestamp {
    type Output = NtpTimestamp;

    /// `self + d`, wrapping at the era boundary.
    fn add(self, d: NtpDuration) -> NtpTimestamp {
        NtpTimestamp(self.0.wrapping_add(d.0 as u64))
    }
}

/// A signed 32.32 fixed-point duration in seconds (about ±68 years, 233 ps resolution).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct NtpDuration(i64);

impl NtpDuration {
    /// Zero seconds.
    pub const ZERO: NtpDuration = NtpDuration(0);

    /// From raw 32.32 bits.
    pub const fn from_bits(bits: i64) -> NtpDuration {
        NtpDuration(bits)
    }

    /// The raw 32.32 bits.
    pub const fn to_bits(self) -> i64 {
        self.0
    }

    /// From seconds (saturating at the representable range).
    pub fn from_seconds(seconds: f64) -> NtpDuration {
        NtpDuration((seconds * FRACTION_SCALE) as i64)
    }

    /// The duration in seconds.
    pub fn to_seconds(self) -> f64 {
        self.0 as f64 / FRACTION_SCALE
    }

    /// `(self + other) / 2` without overflow.
    pub fn midpoint(self, other: NtpDuration) -> NtpDuration {
        NtpDuration(((i128::from(self.0) + i128::from(other.0)) / 2) as i64)
    }
}

impl std::ops::Sub for NtpDuration {
    type Output = NtpDuration;

    /// `self - other`, wrapping.
    fn sub(self, other: NtpDuration) -> NtpDuration {
        NtpDuration(self.0.wrapping_sub(other.0))
    }
}

/// A 16.16 unsigned fixed-point value in seconds (root delay, root dispersion).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NtpShort(u32);

impl NtpShort {
    /// From the raw 32-bit wire value.
    pub const fn from_bits(bits: u32) -> NtpShort {
        NtpShort(bits)
    }

    /// The raw wire value.
    pub const fn to_bits(self) -> u32 {
        self.0
    }

    /// From seconds (clamped to 0 ..= 65535.99998).
    pub fn from_seconds(seconds: f64) -> NtpShort {
        NtpShort((seconds.clamp(0.0, 65_535.999_98) * 65_536.0) as u32)
    }

    /// The value in seconds.
    pub fn to_seconds(self) -> f64 {
        f64::from(self.0) / 65_536.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn unix_epoch_and_rfc_examples() {
        let t = NtpTimestamp::from_unix(0, 0);
        assert_eq!(t.to_bits() >> 32, UNIX_EPOCH_NTP_SECONDS);
        assert_eq!(t.to_unix_seconds(), 0.0);
        let half = NtpTimestamp::from_unix(1, 500_000_000);
        assert_eq!(half.to_bits() & 0xFFFF_FFFF, 1 << 31);
        assert_eq!(half.to_unix_seconds(), 1.5);
    }

    #[test]
    fn era_rollover_2036() {
        // 2036-02-07T06:28:16Z is NTP second 2^32, i.e. era 1 second 0.
        let rollover_unix = (1u64 << 32) - UNIX_EPOCH_NTP_SECONDS;
        let before = NtpTimestamp::from_unix(rollover_unix - 1, 0);
        let after = NtpTimestamp::from_unix(rollover_unix + 1, 0);
        assert_eq!(after.to_bits() >> 32, 1);
        assert_eq!(after.diff(before).to_seconds(), 2.0);
        assert_eq!(before.diff(after).to_seconds(), -2.0);
        assert_eq!(after.to_unix_seconds(), (rollover_unix + 1) as f64);
        assert_eq!(before + NtpDuration::from_seconds(2.0), after);
    }

    #[test]
    fn short_format() {
        assert_eq!(NtpShort::from_bits(0x0001_0000).to_seconds(), 1.0);
        assert_eq!(NtpShort::from_seconds(0.5).to_bits(), 0x8000);
    }

    proptest! {
        /// The wrapping difference agrees with exact i128 arithmetic for stamps < 68 years apart.
        #[test]
        fn diff_matches_i128_reference(a in any::<u64>(), delta in -(1i64 << 62)..(1i64 << 62)) {
            let b = a.wrapping_add(delta as u64);
            let d = NtpTimestamp::from_bits(b).diff(NtpTimestamp::from_bits(a));
            prop_assert_eq!(i128::from(d.to_bits()), i128::from(delta));
        }

        #[test]
        fn midpoint_matches_i128(a in any::<i64>(), b in any::<i64>()) {
            let m = NtpDuration::from_bits(a).midpoint(NtpDuration::from_bits(b));
            prop_assert_eq!(i128::from(m.to_bits()), (i128::from(a) + i128::from(b)) / 2);
        }
    }
}
