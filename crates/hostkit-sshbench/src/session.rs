//! Drives a plan: warm-up, size probe, randomized interleaved rounds, adaptive repetition,
//! appending every sample to the log through a sink, reporting progress to an observer.
//! Pure orchestration over the `TrialRunner` trait; the real runner lives in `sys::runner`,
//! a fake one in the tests below (like hyperfine's executor trait).
//!
//! OWNER: S2.

use std::collections::{HashMap, HashSet};
use std::io::Write;

use crate::analyze::{StopRule, needs_more};
use crate::plan::{Direction, Plan, Trial, TrialKind, round_order};
use crate::record::{End, Log, Negotiated, Record, Sample, Unsupported, to_line};

/// What one run of a trial measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    pub bytes: u64,
    pub wall_s: f64,
    pub client_user_s: f64,
    pub client_sys_s: f64,
    pub server_user_s: Option<f64>,
    pub server_sys_s: Option<f64>,
    pub load1: f64,
    pub rekeys: u32,
    pub negotiated: Negotiated,
}

/// A trial either measured or refused (recorded, and the run goes on).
#[derive(Debug, Clone, PartialEq)]
pub enum TrialOutcome {
    Measured(Measurement),
    Unsupported(String),
}

/// ssh or sshd failed in a way that stops the run (the message names the step and the log).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct RunnerError {
    pub message: String,
}

/// Runs one sample of a trial. `bytes` is the payload for bulk trials (0 for baselines,
/// ignored for handshakes).
pub trait TrialRunner {
    fn run(&mut self, trial: &Trial, bytes: u64) -> Result<TrialOutcome, RunnerError>;
}

/// Where records go; each record must be durable when `record` returns.
pub trait Sink {
    fn record(&mut self, record: &Record) -> std::io::Result<()>;
}

/// Appends JSON lines to a writer and flushes after each one.
#[derive(Debug)]
pub struct JsonlSink<W: Write>(pub W);

impl<W: Write> Sink for JsonlSink<W> {
    fn record(&mut self, record: &Record) -> std::io::Result<()> {
        self.0.write_all(to_line(record).as_bytes())?;
        self.0.flush()
    }
}

impl Sink for Vec<Record> {
    fn record(&mut self, record: &Record) -> std::io::Result<()> {
        self.push(record.clone());
        Ok(())
    }
}

/// Progress reported to the binary (which draws a bar).
#[derive(Debug)]
pub enum Event<'a> {
    /// Expected total number of samples changed (grows with adaptive rounds).
    Planned { total: u64 },
    /// A phase begins: `warm-up`, `probe`, `round N`.
    Phase { name: String },
    /// One sample finished (logged).
    Sample {
        trial: &'a Trial,
        sample: &'a Sample,
    },
    /// A trial was refused.
    Unsupported { trial: &'a Trial, reason: &'a str },
}

/// Receives progress; the default does nothing.
pub trait Observer {
    fn event(&mut self, event: &Event<'_>);
}

/// An observer that ignores everything.
#[derive(Debug, Default)]
pub struct Quiet;

impl Observer for Quiet {
    fn event(&mut self, _: &Event<'_>) {}
}

/// Knobs of the loop.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionOptions {
    pub seed: u64,
    /// Target duration of the bulk part of one sample.
    pub sample_time_s: f64,
    /// Target duration of the bulk part of a size probe.
    pub probe_time_s: f64,
    pub rule: StopRule,
    /// No adaptive round (beyond `rule.min_runs`) starts if it would end after this.
    pub time_budget_s: f64,
    /// Warm-up connections before anything is measured.
    pub warmup_runs: u32,
    pub min_bytes: u64,
    pub max_bytes: u64,
    /// Rate assumed before anything about a cipher is known (bytes per second).
    pub initial_rate_bps: f64,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            seed: 0,
            sample_time_s: 0.3,
            probe_time_s: 0.15,
            rule: StopRule {
                min_runs: 3,
                max_runs: 10,
                target_rel_ci: 0.03,
                top_k: 5,
            },
            time_budget_s: 240.0,
            warmup_runs: 1,
            min_bytes: 256 * 1024,
            max_bytes: 16 << 30,
            initial_rate_bps: 200e6,
        }
    }
}

/// How the session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Complete,
    Interrupted,
}

/// Summary of a finished (or interrupted) session.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionReport {
    pub status: Status,
    /// Last round started.
    pub rounds: u32,
    /// Samples taken by this session (not counting resumed ones).
    pub new_samples: usize,
    pub elapsed_s: f64,
    /// True when the time budget stopped further adaptive rounds.
    pub budget_hit: bool,
}

/// Why a session stopped with an error (the log keeps everything up to it).
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("writing the results log: {0}")]
    Sink(#[from] std::io::Error),
    #[error("trial `{trial}`: {message}")]
    Runner { trial: String, message: String },
}

/// Clock and stop flag the loop consults (injected so tests control time).
pub struct Env<'a> {
    /// Unix seconds now.
    pub clock: &'a dyn Fn() -> f64,
    /// True when the user asked to stop (Ctrl-C, SIGTERM).
    pub stop: &'a dyn Fn() -> bool,
}

impl std::fmt::Debug for Env<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Env")
    }
}

/// Runs `plan`. `prior` is the log of an interrupted run to resume (its samples count and
/// are not redone). The caller writes the header; this writes samples and the end record.
pub fn run(
    plan: &Plan,
    runner: &mut dyn TrialRunner,
    sink: &mut dyn Sink,
    observer: &mut dyn Observer,
    opts: &SessionOptions,
    prior: Option<&Log>,
    env: &Env<'_>,
) -> Result<SessionReport, SessionError> {
    let mut s = State::new(plan, opts, prior, (env.clock)());
    let result = s.drive(runner, sink, observer, env);
    let elapsed_s = (env.clock)() - s.started;
    let status = match &result {
        Ok(status) => match status {
            Status::Complete => "complete".to_string(),
            Status::Interrupted => "interrupted".to_string(),
        },
        Err(e) => format!("failed: {e}"),
    };
    sink.record(&Record::End(End {
        status,
        unix_time: (env.clock)(),
    }))?;
    Ok(SessionReport {
        status: result?,
        rounds: s.round,
        new_samples: s.new_samples,
        elapsed_s,
        budget_hit: s.budget_hit,
    })
}

/// Mutable loop state.
struct State<'p> {
    plan: &'p Plan,
    /// Trial id -> index in `plan.trials`.
    index: HashMap<&'p str, usize>,
    opts: &'p SessionOptions,
    samples: Vec<Sample>,
    unsupported: HashSet<String>,
    started: f64,
    round: u32,
    new_samples: usize,
    budget_hit: bool,
    planned: u64,
}

impl<'p> State<'p> {
    fn new(plan: &'p Plan, opts: &'p SessionOptions, prior: Option<&Log>, now: f64) -> Self {
        State {
            plan,
            index: plan
                .trials
                .iter()
                .enumerate()
                .map(|(i, t)| (t.id.as_str(), i))
                .collect(),
            opts,
            samples: prior.map(|l| l.samples.clone()).unwrap_or_default(),
            unsupported: prior
                .map(|l| l.unsupported.iter().map(|u| u.trial.clone()).collect())
                .unwrap_or_default(),
            started: now,
            round: 0,
            new_samples: 0,
            budget_hit: false,
            planned: 0,
        }
    }

    fn drive(
        &mut self,
        runner: &mut dyn TrialRunner,
        sink: &mut dyn Sink,
        obs: &mut dyn Observer,
        env: &Env<'_>,
    ) -> Result<Status, SessionError> {
        let warm = self.warmup_trials();
        let probes = self.probe_trials();
        let base_total = (warm.len() + probes.len()) as u64
            + self.plan.trials.len() as u64 * self.opts.rule.min_runs as u64;
        self.planned = base_total.saturating_sub(self.done_real_count());
        obs.event(&Event::Planned {
            total: self.planned,
        });
        if !warm.is_empty() {
            obs.event(&Event::Phase {
                name: "warm-up".into(),
            });
        }
        for idx in warm {
            if !self.one(idx, 0, true, runner, sink, obs, env)? {
                return Ok(Status::Interrupted);
            }
        }
        if !probes.is_empty() {
            obs.event(&Event::Phase {
                name: "probe".into(),
            });
        }
        for idx in probes {
            if !self.one(idx, 0, true, runner, sink, obs, env)? {
                return Ok(Status::Interrupted);
            }
        }
        let rule = self.opts.rule;
        for round in 1..=rule.max_runs.max(rule.min_runs) as u32 {
            let active = self.active_trials(round);
            if active.is_empty() {
                break;
            }
            if round as usize > rule.min_runs {
                let projected = (env.clock)() - self.started + self.round_estimate_s(&active);
                if projected > self.opts.time_budget_s {
                    self.budget_hit = true;
                    break;
                }
                self.planned += active.len() as u64;
                obs.event(&Event::Planned {
                    total: self.planned,
                });
            }
            self.round = round;
            obs.event(&Event::Phase {
                name: format!("round {round}"),
            });
            for idx in round_order(self.plan, round, self.opts.seed) {
                let id = &self.plan.trials[idx].id;
                if !active.contains(id) || self.unsupported.contains(id) || self.done(id, round) {
                    continue;
                }
                if !self.one(idx, round, false, runner, sink, obs, env)? {
                    return Ok(Status::Interrupted);
                }
            }
        }
        Ok(Status::Complete)
    }

    /// Runs trial `idx` once and logs it; `Ok(false)` when the user asked to stop.
    #[allow(clippy::too_many_arguments)]
    fn one(
        &mut self,
        idx: usize,
        round: u32,
        warmup: bool,
        runner: &mut dyn TrialRunner,
        sink: &mut dyn Sink,
        obs: &mut dyn Observer,
        env: &Env<'_>,
    ) -> Result<bool, SessionError> {
        if (env.stop)() {
            return Ok(false);
        }
        let trial = &self.plan.trials[idx];
        let bytes = self.bytes_for(trial, warmup);
        let outcome = match runner.run(trial, bytes) {
            Ok(o) => o,
            Err(_) if (env.stop)() => return Ok(false),
            Err(e) => {
                return Err(SessionError::Runner {
                    trial: trial.id.clone(),
                    message: e.message,
                });
            }
        };
        if (env.stop)() {
            // A sample cut short by the signal is not a measurement.
            return Ok(false);
        }
        match outcome {
            TrialOutcome::Measured(m) => {
                let sample = Sample {
                    trial: trial.id.clone(),
                    round,
                    warmup,
                    bytes: m.bytes,
                    wall_s: m.wall_s,
                    client_user_s: m.client_user_s,
                    client_sys_s: m.client_sys_s,
                    server_user_s: m.server_user_s,
                    server_sys_s: m.server_sys_s,
                    load1: m.load1,
                    rekeys: m.rekeys,
                    negotiated: m.negotiated,
                    unix_time: (env.clock)(),
                };
                sink.record(&Record::Sample(sample.clone()))?;
                self.new_samples += 1;
                obs.event(&Event::Sample {
                    trial,
                    sample: &sample,
                });
                self.samples.push(sample);
            }
            TrialOutcome::Unsupported(reason) => {
                sink.record(&Record::Unsupported(Unsupported {
                    trial: trial.id.clone(),
                    reason: reason.clone(),
                }))?;
                obs.event(&Event::Unsupported {
                    trial,
                    reason: &reason,
                });
                self.unsupported.insert(trial.id.clone());
            }
        }
        Ok(true)
    }

    /// Baseline trials warm the server up (they are cheap and touch the whole path); without
    /// any baseline the first trial does. Skipped on resume when warm-up already happened.
    fn warmup_trials(&self) -> Vec<usize> {
        if self.opts.warmup_runs == 0 || self.samples.iter().any(|s| s.warmup) {
            return Vec::new();
        }
        let baselines: Vec<usize> = self
            .plan
            .trials
            .iter()
            .enumerate()
            .filter(|(_, t)| matches!(t.kind, TrialKind::Baseline { .. }))
            .map(|(i, _)| i)
            .collect();
        let base = if baselines.is_empty() && !self.plan.trials.is_empty() {
            vec![0]
        } else {
            baselines
        };
        (0..self.opts.warmup_runs)
            .flat_map(|_| base.iter().copied())
            .collect()
    }

    /// Bulk trials to probe, in a randomized order: enough that every (cipher, direction) and
    /// every (MAC, direction) has been seen once. Per-byte costs of a cipher and a MAC add up
    /// (the additive model in [`State::rate_estimate`]), so the rest are predicted instead of
    /// probed: 7 ciphers x 16 MACs + 3 AEAD need about 20 probes, not 115.
    fn probe_trials(&self) -> Vec<usize> {
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

    fn done(&self, id: &str, round: u32) -> bool {
        self.samples
            .iter()
            .any(|s| !s.warmup && s.round == round && s.trial == id)
    }

    fn done_real_count(&self) -> u64 {
        let min = self.opts.rule.min_runs as u32;
        self.samples
            .iter()
            .filter(|s| !s.warmup && s.round <= min)
            .count() as u64
    }

    /// Trial ids to sample in `round`: everything up to `min_runs`, then what needs more.
    fn active_trials(&self, round: u32) -> HashSet<String> {
        let ids = self
            .plan
            .trials
            .iter()
            .map(|t| t.id.clone())
            .filter(|id| !self.unsupported.contains(id));
        if round as usize <= self.opts.rule.min_runs {
            return ids.collect();
        }
        let real: Vec<Sample> = self.samples.iter().filter(|s| !s.warmup).cloned().collect();
        let want: HashSet<String> = needs_more(&real, &self.plan.trials, &self.opts.rule)
            .into_iter()
            .collect();
        ids.filter(|id| want.contains(id)).collect()
    }

    /// Expected wall seconds of one round over `active` (last wall of each trial).
    fn round_estimate_s(&self, active: &HashSet<String>) -> f64 {
        let mut last: HashMap<&str, f64> = HashMap::new();
        for s in &self.samples {
            last.insert(&s.trial, s.wall_s);
        }
        active
            .iter()
            .map(|id| {
                last.get(id.as_str())
                    .copied()
                    .unwrap_or(self.opts.sample_time_s)
            })
            .sum()
    }

    /// Median wall seconds of the zero-byte baseline of `dir` (0 when none yet).
    fn fixed_cost_s(&self, dir: Direction) -> f64 {
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

    /// Estimated bulk rate of `trial` (bytes/s): the median over its own samples; else the
    /// additive model on seconds per byte, `t(c, m) = t(c) + t(m) - t(all)`, where each term is
    /// the median over samples sharing that cipher, that MAC, or the direction; else the
    /// initial guess.
    fn rate_estimate(&self, trial: &Trial) -> f64 {
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
        let per_byte = |s: &Sample| (s.wall_s - fixed).max(0.005) / s.bytes as f64;
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
                .map(per_byte)
                .collect();
            hostkit_stats::median(&xs)
        };
        let own = median_where(&|k| k == &trial.kind);
        if let Some(t) = own {
            return 1.0 / t;
        }
        let same_dir =
            |k: &TrialKind| matches!(k, TrialKind::Bulk { direction: d, .. } if d == direction);
        let t_c = median_where(&|k| {
            same_dir(k) && matches!(k, TrialKind::Bulk { cipher: c, .. } if c == cipher)
        });
        let t_m = mac.as_ref().and_then(|m| {
            median_where(&|k| {
                same_dir(k) && matches!(k, TrialKind::Bulk { mac: Some(x), .. } if x == m)
            })
        });
        let t_all = median_where(&same_dir);
        let t = match (t_c, t_m, t_all) {
            (Some(c), Some(m), Some(all)) => (c + m - all).max(0.25 * c.min(m)),
            (Some(c), None, _) => c,
            (None, Some(m), _) => m,
            _ => return self.opts.initial_rate_bps,
        };
        1.0 / t
    }

    /// Payload for the next sample of `trial` (probe when `probe`), 64 KiB-aligned.
    fn bytes_for(&self, trial: &Trial, probe: bool) -> u64 {
        match trial.kind {
            TrialKind::Bulk { .. } => {
                let secs = if probe {
                    self.opts.probe_time_s
                } else {
                    self.opts.sample_time_s
                };
                let raw = (self.rate_estimate(trial) * secs) as u64;
                let clamped = raw.clamp(self.opts.min_bytes, self.opts.max_bytes);
                clamped.div_ceil(65536) * 65536
            }
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::plan::Matrix;

    fn bulk(cipher: &str, mac: Option<&str>) -> Trial {
        Trial {
            id: format!("bulk/up/{cipher}/{}", mac.unwrap_or("<implicit>")),
            kind: TrialKind::Bulk {
                cipher: cipher.into(),
                mac: mac.map(Into::into),
                kex: "curve25519-sha256".into(),
                direction: Direction::Up,
            },
        }
    }

    fn plan() -> Plan {
        let _ = Matrix::Dedup;
        Plan {
            trials: vec![
                Trial {
                    id: "baseline/up".into(),
                    kind: TrialKind::Baseline {
                        direction: Direction::Up,
                    },
                },
                bulk("aes128-gcm@openssh.com", None),
                bulk("aes128-ctr", Some("hmac-sha1")),
                bulk("3des-cbc", Some("hmac-sha1")),
                bulk("chacha20-poly1305@openssh.com", None),
                Trial {
                    id: "kex/curve25519-sha256".into(),
                    kind: TrialKind::KexOnly {
                        kex: "curve25519-sha256".into(),
                    },
                },
            ],
            skipped: vec![],
            full_product: 6,
        }
    }

    /// A deterministic machine: each cipher has a fixed rate, connections cost 0.25 s, the
    /// clock advances by the simulated wall time; 3des is refused when `refuse_3des`.
    struct Fake<'c> {
        now: &'c Cell<f64>,
        calls: Vec<(String, u64)>,
        refuse_3des: bool,
        fail_on: Option<usize>,
    }

    impl TrialRunner for Fake<'_> {
        fn run(&mut self, trial: &Trial, bytes: u64) -> Result<TrialOutcome, RunnerError> {
            self.calls.push((trial.id.clone(), bytes));
            if self.fail_on == Some(self.calls.len()) {
                return Err(RunnerError {
                    message: "ssh died; see `x.log`".into(),
                });
            }
            let rate = match &trial.kind {
                TrialKind::Bulk { cipher, .. } if cipher.starts_with("3des") => {
                    if self.refuse_3des {
                        return Ok(TrialOutcome::Unsupported("no matching cipher found".into()));
                    }
                    8e6
                }
                TrialKind::Bulk { cipher, .. } if cipher.starts_with("aes128-gcm") => 400e6,
                _ => 250e6,
            };
            // Deterministic jitter so the CI is not degenerate.
            let jitter = 1.0 + 0.01 * ((self.calls.len() % 3) as f64 - 1.0);
            let wall = 0.25 + bytes as f64 / rate * jitter;
            self.now.set(self.now.get() + wall);
            Ok(TrialOutcome::Measured(Measurement {
                bytes,
                wall_s: wall,
                client_user_s: wall / 2.0,
                client_sys_s: 0.01,
                server_user_s: Some(wall / 3.0),
                server_sys_s: Some(0.01),
                load1: 0.5,
                rekeys: 0,
                negotiated: Negotiated::default(),
            }))
        }
    }

    fn opts() -> SessionOptions {
        SessionOptions {
            seed: 7,
            rule: StopRule {
                min_runs: 3,
                max_runs: 5,
                target_rel_ci: 0.03,
                top_k: 3,
            },
            ..SessionOptions::default()
        }
    }

    fn go(
        fake: &mut Fake<'_>,
        opts: &SessionOptions,
        prior: Option<&Log>,
        stop_after: Option<usize>,
    ) -> (Result<SessionReport, SessionError>, Vec<Record>) {
        let plan = plan();
        let mut sink: Vec<Record> = Vec::new();
        let now = fake.now;
        let count = Cell::new(0usize);
        let mut obs = Counting(&count);
        let stop = || stop_after.is_some_and(|n| count.get() >= n);
        let clock = || now.get();
        let env = Env {
            clock: &clock,
            stop: &stop,
        };
        let r = run(&plan, fake, &mut sink, &mut obs, opts, prior, &env);
        (r, sink)
    }

    struct Counting<'a>(&'a Cell<usize>);
    impl Observer for Counting<'_> {
        fn event(&mut self, e: &Event<'_>) {
            if matches!(e, Event::Sample { .. }) {
                self.0.set(self.0.get() + 1);
            }
        }
    }

    fn samples(recs: &[Record]) -> Vec<&Sample> {
        recs.iter()
            .filter_map(|r| match r {
                Record::Sample(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn runs_warmup_probes_and_min_rounds_then_ends() {
        let now = Cell::new(1000.0);
        let mut fake = Fake {
            now: &now,
            calls: vec![],
            refuse_3des: false,
            fail_on: None,
        };
        let (r, recs) = go(&mut fake, &opts(), None, None);
        let r = r.unwrap();
        assert_eq!(r.status, Status::Complete);
        let ss = samples(&recs);
        // 1 warm-up baseline + 4 bulk probes, all flagged warmup and round 0.
        let warm: Vec<_> = ss.iter().filter(|s| s.warmup).collect();
        assert_eq!(warm.len(), 5);
        assert!(warm.iter().all(|s| s.round == 0));
        // Every trial has samples in rounds 1..=3.
        for t in plan().trials {
            for round in 1..=3 {
                assert!(
                    ss.iter()
                        .any(|s| !s.warmup && s.trial == t.id && s.round == round),
                    "{} round {round}",
                    t.id
                );
            }
        }
        assert!(matches!(recs.last(), Some(Record::End(e)) if e.status == "complete"));
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

    #[test]
    fn sizes_samples_to_the_sample_time() {
        let now = Cell::new(0.0);
        let mut fake = Fake {
            now: &now,
            calls: vec![],
            refuse_3des: false,
            fail_on: None,
        };
        let (_, recs) = go(&mut fake, &opts(), None, None);
        for s in samples(&recs)
            .iter()
            .filter(|s| !s.warmup && s.round >= 2 && s.bytes > 0)
        {
            let bulk = s.wall_s - 0.25;
            assert!(
                (0.2..0.45).contains(&bulk),
                "{} round {} bulk part {bulk:.3}s",
                s.trial,
                s.round
            );
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

    #[test]
    fn refused_trial_is_recorded_once_and_the_run_goes_on() {
        let now = Cell::new(0.0);
        let mut fake = Fake {
            now: &now,
            calls: vec![],
            refuse_3des: true,
            fail_on: None,
        };
        let (r, recs) = go(&mut fake, &opts(), None, None);
        assert_eq!(r.unwrap().status, Status::Complete);
        let uns: Vec<_> = recs
            .iter()
            .filter(|r| matches!(r, Record::Unsupported(_)))
            .collect();
        assert_eq!(uns.len(), 1);
        assert_eq!(
            fake.calls
                .iter()
                .filter(|(id, _)| id.contains("3des"))
                .count(),
            1
        );
    }

    #[test]
    fn runner_failure_keeps_samples_and_writes_a_failed_end() {
        let now = Cell::new(0.0);
        let mut fake = Fake {
            now: &now,
            calls: vec![],
            refuse_3des: false,
            fail_on: Some(9),
        };
        let (r, recs) = go(&mut fake, &opts(), None, None);
        let err = r.unwrap_err().to_string();
        assert!(err.contains("ssh died; see `x.log`"), "{err}");
        assert_eq!(samples(&recs).len(), 8);
        assert!(
            matches!(recs.last(), Some(Record::End(e)) if e.status.starts_with("failed: trial `"))
        );
    }

    #[test]
    fn interrupt_stops_between_samples_and_resume_skips_finished_ones() {
        let now = Cell::new(0.0);
        let mut fake = Fake {
            now: &now,
            calls: vec![],
            refuse_3des: false,
            fail_on: None,
        };
        let (r, first) = go(&mut fake, &opts(), None, Some(12));
        assert_eq!(r.unwrap().status, Status::Interrupted);
        let done = samples(&first).len();
        assert_eq!(done, 12);
        assert!(matches!(first.last(), Some(Record::End(e)) if e.status == "interrupted"));

        let prior = Log {
            header: dummy_header(),
            samples: samples(&first).into_iter().cloned().collect(),
            unsupported: vec![],
            end: None,
            torn_tail: false,
        };
        let mut again = Fake {
            now: &now,
            calls: vec![],
            refuse_3des: false,
            fail_on: None,
        };
        let (r, second) = go(&mut again, &opts(), Some(&prior), None);
        assert_eq!(r.unwrap().status, Status::Complete);
        // No (trial, round) pair measured twice across both runs; no second warm-up or probe.
        let mut seen = HashSet::new();
        for s in samples(&first).into_iter().chain(samples(&second)) {
            if !s.warmup {
                assert!(
                    seen.insert((s.trial.clone(), s.round)),
                    "{} r{}",
                    s.trial,
                    s.round
                );
            }
        }
        assert!(samples(&second).iter().all(|s| !s.warmup));
        assert_eq!(
            seen.iter().filter(|(_, r)| *r <= 3).count(),
            3 * plan().trials.len()
        );
    }

    #[test]
    fn time_budget_stops_adaptive_rounds_but_not_min_rounds() {
        let now = Cell::new(0.0);
        let mut fake = Fake {
            now: &now,
            calls: vec![],
            refuse_3des: false,
            fail_on: None,
        };
        let o = SessionOptions {
            time_budget_s: 0.5,
            rule: StopRule {
                min_runs: 2,
                max_runs: 10,
                target_rel_ci: 0.0,
                top_k: 10,
            },
            ..opts()
        };
        let (r, recs) = go(&mut fake, &o, None, None);
        let r = r.unwrap();
        assert!(r.budget_hit);
        assert_eq!(r.rounds, 2);
        assert!(samples(&recs).iter().all(|s| s.round <= 2));
    }

    #[test]
    fn jsonl_sink_writes_one_flushed_line_per_record() {
        let mut sink = JsonlSink(Vec::new());
        let end = Record::End(End {
            status: "complete".into(),
            unix_time: 1.5,
        });
        sink.record(&end).unwrap();
        sink.record(&end).unwrap();
        let text = String::from_utf8(sink.0).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(text.ends_with('\n'));
    }

    fn dummy_header() -> crate::record::Header {
        crate::record::Header {
            schema: 1,
            hostkit_version: "0".into(),
            ssh_version: String::new(),
            server_version: String::new(),
            cpu_model: String::new(),
            cpu_flags: vec![],
            cpus: 2,
            kernel: String::new(),
            target: "private-sshd".into(),
            started_unix: 0.0,
            seed: 7,
            options: serde_json::Value::Null,
            trials: plan().trials,
        }
    }
}
