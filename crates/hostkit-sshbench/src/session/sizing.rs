//! Sample sizing: which bulk trials to probe (enough to see every cipher and every MAC once),
//! the rate estimate (own samples' timed windows, else the additive per-byte cost model) and
//! the payload of the next sample: a warm-up W = max(0.25 s at that rate, 4 MiB), then
//! N = `--sample-time` at that rate, so the timed window lasts what `--sample-time` says.

use std::collections::HashSet;

use super::Size;
use super::state::State;
use crate::plan::{Direction, Trial, TrialKind, round_order};
use crate::record::Sample;

impl State<'_> {
    /// Bulk trials to probe, in a randomized order: enough that every (cipher, direction) and
    /// every (MAC, direction) has been seen once. Per-byte costs of a cipher and a MAC add up
    /// (the additive model in [`State::rate_estimate`]), so the rest are predicted instead of
    /// probed: 7 ciphers x 16 MACs + 3 AEAD need about 20 probes, not 115.
    pub(super) fn probe_trials(&self) -> Vec<usize> {
        if self.plan.trials.is_empty() {
            return Vec::new();
        }
        let mut covered: HashSet<(String, Direction)> = HashSet::new();
        let keys = |t: &Trial| match &t.kind {
            TrialKind::Bulk {
                cipher,
                mac,
                direction,
                ..
            } => Some((
                (format!("c:{cipher}"), *direction),
                mac.as_ref().map(|m| (format!("m:{m}"), *direction)),
            )),
            _ => None,
        };
        for t in &self.plan.trials {
            if let Some((c, m)) = keys(t)
                && self.samples.iter().any(|s| s.trial == t.id)
            {
                covered.insert(c);
                covered.extend(m);
            }
        }
        let mut out = Vec::new();
        for i in round_order(self.plan, 0, self.opts.seed) {
            let t = &self.plan.trials[i];
            let Some((c, m)) = keys(t) else { continue };
            if self.unsupported.contains(&t.id) {
                continue;
            }
            let new_mac = m.as_ref().is_some_and(|m| !covered.contains(m));
            if !covered.contains(&c) || new_mac {
                covered.insert(c);
                covered.extend(m);
                out.push(i);
            }
        }
        out
    }

    /// Median wall seconds of the zero-byte baseline of `dir` (0 when none yet).
    pub(super) fn fixed_cost_s(&self, dir: Direction) -> f64 {
        let ids: HashSet<&str> = self
            .plan
            .trials
            .iter()
            .filter(|t| matches!(t.kind, TrialKind::Baseline { direction } if direction == dir))
            .map(|t| t.id.as_str())
            .collect();
        let walls: Vec<f64> = self
            .samples
            .iter()
            .filter(|s| ids.contains(s.trial.as_str()))
            .map(|s| s.wall_s)
            .collect();
        hostkit_stats::median(&walls).unwrap_or(0.0)
    }

    /// Estimated bulk rate of `trial` (bytes/s): the median over its own measured samples (its
    /// probe only while it has none); else the
    /// additive model on seconds per byte, `t(c, m) = t(c) + d(m)`, where `t(c)` is the median
    /// over samples with that cipher (or over the direction) and `d(m)` the median, over
    /// samples with that MAC, of their cost minus their own cipher's `t`; else the initial
    /// guess. Never above the pair's crypto ceiling.
    pub(super) fn rate_estimate(&self, trial: &Trial) -> f64 {
        let TrialKind::Bulk {
            cipher,
            mac,
            direction,
            ..
        } = &trial.kind
        else {
            return self.opts.initial_rate_bps;
        };
        let fixed = self.fixed_cost_s(*direction);
        let per_byte = |s: &Sample| match s.timed() {
            Some((_, w)) if w < crate::analyze::metric::MIN_WINDOW_S => None,
            Some((bytes, w)) => Some(w / bytes.max(1) as f64),
            None => Some((s.wall_s - fixed).max(0.005) / s.bytes as f64),
        };
        let median_where = |pred: &dyn Fn(&TrialKind) -> bool| {
            let xs: Vec<f64> = self
                .samples
                .iter()
                .filter(|s| s.bytes > 0)
                .filter(|s| {
                    self.index
                        .get(s.trial.as_str())
                        .is_some_and(|&i| pred(&self.plan.trials[i].kind))
                })
                .filter_map(per_byte)
                .collect();
            hostkit_stats::median(&xs)
        };
        // Its own measured samples first: a probe (shorter window, sized from a guess) that
        // hit a stall would otherwise size two more rounds of this trial wrong.
        let own_measured: Vec<f64> = self
            .samples
            .iter()
            .filter(|s| s.bytes > 0 && !s.warmup && s.trial == trial.id)
            .filter_map(per_byte)
            .collect();
        let own =
            hostkit_stats::median(&own_measured).or_else(|| median_where(&|k| k == &trial.kind));
        if let Some(t) = own {
            return 1.0 / t;
        }
        let ceiling_bps =
            crate::ceiling::pair_mb_per_s(&self.opts.ceilings, cipher, mac.as_deref())
                .map_or(f64::INFINITY, |c| c * 1e6);
        let same_dir =
            |k: &TrialKind| matches!(k, TrialKind::Bulk { direction: d, .. } if d == direction);
        let of_cipher = |name: &str| {
            median_where(&|k| {
                same_dir(k) && matches!(k, TrialKind::Bulk { cipher: c, .. } if c == name)
            })
        };
        let t_c = of_cipher(cipher);
        // The MAC's cost beyond what its cipher's samples typically cost: a MAC probed only
        // next to 3des must not make every pair with it look as slow as 3des.
        let t_m_extra = mac.as_ref().and_then(|m| {
            let xs: Vec<f64> = self
                .samples
                .iter()
                .filter(|s| s.bytes > 0)
                .filter_map(|s| {
                    let i = *self.index.get(s.trial.as_str())?;
                    let TrialKind::Bulk {
                        cipher: c,
                        mac: Some(x),
                        ..
                    } = &self.plan.trials[i].kind
                    else {
                        return None;
                    };
                    if x != m || !same_dir(&self.plan.trials[i].kind) {
                        return None;
                    }
                    Some(per_byte(s)? - of_cipher(c)?)
                })
                .collect();
            hostkit_stats::median(&xs)
        });
        let t_all = median_where(&same_dir);
        let t = match (t_c, t_m_extra, t_all) {
            (Some(c), Some(m), _) => (c + m).max(0.25 * c),
            (Some(c), None, _) => c,
            (None, Some(m), Some(all)) => (all + m).max(0.25 * all),
            (None, None, Some(all)) => all,
            _ => return self.opts.initial_rate_bps.min(ceiling_bps),
        };
        (1.0 / t).min(ceiling_bps)
    }

    /// How long a new connection's transfer takes beyond W at the steady rate: the median,
    /// over this direction's samples with a timed warm-up, of `warmup_seconds - W / rate`
    /// (little moves in the first ~0.1 s of an upload, almost nothing is lost in a download);
    /// [`DEFAULT_START_LAG_S`] before any is known.
    pub(super) fn start_lag_s(&self, dir: Direction) -> f64 {
        let lags: Vec<f64> = self
            .samples
            .iter()
            .filter(|s| {
                self.index.get(s.trial.as_str()).is_some_and(|&i| {
                    matches!(self.plan.trials[i].kind, TrialKind::Bulk { direction, .. } if direction == dir)
                })
            })
            .filter_map(|s| {
                let (warm, (bytes, window)) = (s.warmup_s?, s.timed()?);
                if bytes == 0 || window < crate::analyze::metric::MIN_WINDOW_S {
                    return None;
                }
                let rate = bytes as f64 / window;
                Some((warm - s.warmup_bytes as f64 / rate).max(0.0))
            })
            .collect();
        hostkit_stats::median(&lags).unwrap_or(DEFAULT_START_LAG_S)
    }

    /// Payload for the next sample of `trial` (probe when `probe`), 64 KiB-aligned: W so that
    /// the window opens `warmup_time_s` (downloads: `down_warmup_time_s`) after the transfer
    /// starts (the start lag included, at
    /// least `min_warmup_time_s` of data, at least `min_warmup_bytes`), N = the window's time
    /// at the estimated rate.
    pub(super) fn size_for(&self, trial: &Trial, probe: bool) -> Size {
        let TrialKind::Bulk { direction, .. } = trial.kind else {
            return Size::default();
        };
        // A probe gets the full warm-up too: its rate sizes the first round, and a window in
        // the first ~0.3 s of a connection reads as little as half the steady rate.
        let secs = if probe {
            self.opts.probe_time_s
        } else {
            self.opts.sample_time_s
        };
        let after_s = match direction {
            Direction::Up => self.opts.warmup_time_s,
            Direction::Down => self.opts.down_warmup_time_s,
        };
        let warm_s = (after_s - self.start_lag_s(direction)).max(self.opts.min_warmup_time_s);
        let rate = self.rate_estimate(trial);
        let align = |b: f64, min: u64| {
            let b = (b as u64).clamp(min, self.opts.max_bytes);
            b.div_ceil(65536) * 65536
        };
        Size {
            warmup_bytes: align(rate * warm_s, self.opts.min_warmup_bytes),
            bytes: align(rate * secs, self.opts.min_bytes),
        }
    }
}

/// The start lag assumed before a direction's first timed warm-up (an upload's, measured on
/// loopback with 2 vCPUs).
pub(super) const DEFAULT_START_LAG_S: f64 = 0.12;

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::super::fake::*;
    use super::super::*;
    use super::State;
    use crate::plan::{Direction, TrialKind};
    use crate::record::{Measurement, Sample};

    /// A sample of `trial` with `measured`.
    fn sample_of(trial: &str, round: u32, warmup: bool, measured: Measurement) -> Sample {
        Sample {
            trial: trial.into(),
            round,
            warmup,
            unix_time: 0.0,
            measured,
        }
    }

    #[test]
    fn probes_cover_every_cipher_and_mac_without_probing_every_pair() {
        let mut trials = vec![];
        for c in ["aes128-ctr", "aes256-ctr", "3des-cbc"] {
            for m in ["hmac-sha1", "umac-64@openssh.com", "hmac-sha2-512"] {
                trials.push(bulk(c, Some(m)));
            }
        }
        let plan = Plan {
            trials,
            skipped: vec![],
            full_product: 9,
        };
        let o = opts();
        let s = State::new(&plan, &o, None, 0.0);
        let probes = s.probe_trials();
        assert!(probes.len() < 9 && probes.len() >= 3, "{probes:?}");
        for name in [
            "aes128-ctr",
            "3des-cbc",
            "umac-64@openssh.com",
            "hmac-sha2-512",
        ] {
            assert!(
                probes
                    .iter()
                    .any(|&i| plan.trials[i].id.contains(&format!("/{name}/"))
                        || plan.trials[i].id.ends_with(&format!("/{name}"))),
                "{name} not probed"
            );
        }
    }

    /// The window opens `warmup_time_s` after the transfer starts in either direction: an
    /// upload's measured start lag shortens its W, a download without one gets all of it.
    #[test]
    fn the_warmup_covers_the_measured_start_lag_per_direction() {
        let up = bulk("aes128-ctr", Some("hmac-sha1"));
        let mut down = up.clone();
        down.id = "bulk/down/aes128-ctr/hmac-sha1".into();
        if let TrialKind::Bulk { direction, .. } = &mut down.kind {
            *direction = Direction::Down;
        }
        let plan = Plan {
            trials: vec![up, down],
            skipped: vec![],
            full_product: 2,
        };
        let o = SessionOptions {
            warmup_time_s: 0.4,
            down_warmup_time_s: 0.4,
            ..opts()
        };
        let mut s = State::new(&plan, &o, None, 0.0);
        // Both at 500 MB/s with W = 0.25 s of data: the upload's warm-up took 0.40 s (lag
        // 0.15 s), the download's 0.26 s (lag 0.01 s).
        for (i, took) in [(0, 0.40), (1, 0.26)] {
            s.samples.push(sample_of(
                &plan.trials[i].id,
                1,
                false,
                Measurement {
                    bytes: 150_000_000,
                    warmup_bytes: 125_000_000,
                    window_s: Some(0.3),
                    warmup_s: Some(took),
                    ..Default::default()
                },
            ));
        }
        assert!((s.start_lag_s(Direction::Up) - 0.15).abs() < 1e-9);
        assert!((s.start_lag_s(Direction::Down) - 0.01).abs() < 1e-9);
        let w = |i: usize| s.size_for(&plan.trials[i], false).warmup_bytes as f64 / 500e6;
        assert!((w(0) - 0.25).abs() < 0.001, "{}", w(0));
        assert!((w(1) - 0.39).abs() < 0.001, "{}", w(1));
        // With the defaults a download's window opens ~0.8 s in, an upload's ~0.37 s in.
        let d = SessionOptions::default();
        let o = SessionOptions {
            warmup_time_s: d.warmup_time_s,
            down_warmup_time_s: d.down_warmup_time_s,
            ..opts()
        };
        let mut s2 = State::new(&plan, &o, None, 0.0);
        s2.samples = s.samples.clone();
        let w = |i: usize| s2.size_for(&plan.trials[i], false).warmup_bytes as f64 / 500e6;
        assert!((w(0) - 0.22).abs() < 0.001, "{}", w(0));
        assert!((w(1) - 0.79).abs() < 0.001, "{}", w(1));
    }

    /// A MAC seen only next to 3des adds its own cost, not 3des's, to other ciphers: the
    /// default run once sized aes128-ctr + hmac-md5-etm as if it ran at 3des speed (a 28 ms
    /// window instead of 300 ms).
    #[test]
    fn a_mac_probed_next_to_a_slow_cipher_adds_only_its_own_cost() {
        let plan = Plan {
            trials: vec![
                bulk("aes128-ctr", Some("hmac-sha1")),
                bulk("3des-cbc", Some("hmac-sha1")),
                bulk("3des-cbc", Some("hmac-md5-etm@openssh.com")),
                bulk("aes128-ctr", Some("hmac-md5-etm@openssh.com")),
            ],
            skipped: vec![],
            full_product: 4,
        };
        let o = opts();
        let mut s = State::new(&plan, &o, None, 0.0);
        // seconds per byte: aes128-ctr + sha1 at 600 MB/s, 3des + sha1 at 28 MB/s, 3des + md5-etm
        // at 27.5 MB/s (md5-etm costs a little more than sha1 next to 3des).
        for (i, rate) in [(0, 600e6), (1, 28e6), (2, 27.5e6)] {
            s.samples.push(sample_of(
                &plan.trials[i].id,
                0,
                true,
                Measurement {
                    bytes: 100_000_000,
                    window_s: Some(100_000_000.0 / rate),
                    ..Default::default()
                },
            ));
        }
        let r = s.rate_estimate(&plan.trials[3]);
        // 3des's own cost is the median of its two samples; md5-etm's extra is over that.
        let t_3des = (1.0 / 28e6 + 1.0 / 27.5e6) / 2.0;
        let want = 1.0 / (1.0 / 600e6 + (1.0 / 27.5e6 - t_3des));
        assert!((r / want - 1.0).abs() < 0.01, "{r} vs {want}");
        assert!(r > 500e6, "{r}");
    }

    #[test]
    fn an_unmeasured_trial_is_never_expected_to_beat_its_crypto_ceiling() {
        let plan = Plan {
            trials: vec![bulk("3des-cbc", Some("hmac-sha1"))],
            skipped: vec![],
            full_product: 1,
        };
        let c = |name: &str, mb_per_s: f64| crate::record::Ceiling {
            name: name.into(),
            mb_per_s,
            command: String::new(),
        };
        let o = SessionOptions {
            ceilings: vec![c("3des-cbc", 30.0), c("hmac-sha1", 1500.0)],
            ..opts()
        };
        let s = State::new(&plan, &o, None, 0.0);
        let r = s.rate_estimate(&plan.trials[0]);
        assert!((r - 1.0 / (1.0 / 30e6 + 1.0 / 1500e6)).abs() < 1.0, "{r}");
        // So its probe moves ~0.15 s at 29 MB/s, not 0.15 s at the 200 MB/s guess.
        assert!(s.size_for(&plan.trials[0], true).bytes < 5 << 20);
    }

    /// A default run's aes128-ctr + umac-64-etm probe hit a stall and read 245 MB/s (its
    /// measured samples read ~600): the probe sized both later rounds ~2x short (0.107 s and
    /// 0.136 s windows of 0.25). Once a trial has a measured sample its probe no longer counts.
    #[test]
    fn a_stalled_probe_stops_sizing_its_trial_once_a_measured_sample_exists() {
        let plan = Plan {
            trials: vec![bulk("aes128-ctr", Some("umac-64-etm@openssh.com"))],
            skipped: vec![],
            full_product: 1,
        };
        let o = opts();
        let mut s = State::new(&plan, &o, None, 0.0);
        let sample = |warmup: bool, rate: f64| {
            sample_of(
                &plan.trials[0].id,
                u32::from(!warmup),
                warmup,
                Measurement {
                    bytes: 100_000_000,
                    window_s: Some(100_000_000.0 / rate),
                    ..Default::default()
                },
            )
        };
        s.samples.push(sample(true, 245e6));
        // The probe alone is all there is to go on.
        assert!((s.rate_estimate(&plan.trials[0]) - 245e6).abs() < 1.0);
        s.samples.push(sample(false, 600e6));
        let r = s.rate_estimate(&plan.trials[0]);
        assert!((r - 600e6).abs() < 1.0, "{r}");
        let size = s.size_for(&plan.trials[0], false);
        let window_s = size.bytes as f64 / 600e6;
        assert!(
            (window_s / o.sample_time_s - 1.0).abs() < 0.01,
            "{window_s}"
        );
    }

    #[test]
    fn sizes_samples_to_the_sample_time() {
        let now = Cell::new(0.0);
        let mut fake = Fake::new(&now);
        let (_, recs) = go(&mut fake, &opts(), None, None);
        // Every measured sample's timed window lasts `--sample-time` within 20 %, from the
        // first round on (probes and the additive model size round 1).
        let measured: Vec<_> = samples(&recs)
            .into_iter()
            .filter(|s| !s.warmup && s.bytes > 0)
            .collect();
        assert!(measured.len() >= 12);
        for s in measured {
            let w = s.window_s.unwrap();
            assert!(
                (0.24..0.36).contains(&w),
                "{} round {} window {w:.3}s",
                s.trial,
                s.round
            );
            assert!(s.warmup_bytes >= 4 << 20);
        }
        // 3des (8 MB/s) got far fewer bytes than aes128-gcm (400 MB/s).
        let bytes_of = |id: &str| {
            samples(&recs)
                .iter()
                .find(|s| s.trial.contains(id) && s.round == 3)
                .map(|s| s.bytes)
                .unwrap()
        };
        assert!(bytes_of("aes128-gcm") > 20 * bytes_of("3des-cbc"));
    }
}
