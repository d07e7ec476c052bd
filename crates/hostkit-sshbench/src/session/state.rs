//! The session loop's state: warm-up, probes, rounds in randomized order, adaptive rounds
//! bounded by `max_runs` and the time budget, resume (finished (trial, round) pairs skipped),
//! and one sample at a time written to the sink.

use std::collections::{HashMap, HashSet};

use super::{
    Env, Event, Observer, SessionError, SessionOptions, Sink, Size, Status, TrialOutcome,
    TrialRunner,
};
use crate::analyze::needs_more;
use crate::plan::{Plan, TrialKind, round_order};
use crate::record::{Log, Record, Sample, Unsupported};

/// The run stops outright (even inside the minimum rounds) at this multiple of the budget.
pub(super) const HARD_LIMIT_FACTOR: f64 = 1.2;

/// Which sample to take: trial index, round (0 for warm-up and probes), warm-up flag.
#[derive(Debug, Clone, Copy)]
pub(super) struct Slot {
    pub(super) idx: usize,
    pub(super) round: u32,
    pub(super) warmup: bool,
}

impl Slot {
    fn warmup(idx: usize) -> Self {
        Slot {
            idx,
            round: 0,
            warmup: true,
        }
    }
}

/// What the loop talks to: the runner, the log, the progress observer, clock and stop flag.
pub(super) struct Io<'a> {
    pub(super) runner: &'a mut dyn TrialRunner,
    pub(super) sink: &'a mut dyn Sink,
    pub(super) obs: &'a mut dyn Observer,
    pub(super) env: &'a Env<'a>,
}

/// Mutable loop state.
pub(super) struct State<'p> {
    pub(super) plan: &'p Plan,
    /// Trial id -> index in `plan.trials`.
    pub(super) index: HashMap<&'p str, usize>,
    pub(super) opts: &'p SessionOptions,
    pub(super) samples: Vec<Sample>,
    pub(super) unsupported: HashSet<String>,
    pub(super) started: f64,
    pub(super) round: u32,
    pub(super) new_samples: usize,
    pub(super) budget_hit: bool,
    /// The hard time limit stopped the run (not the user).
    pub(super) hard_stop: bool,
    pub(super) planned: u64,
}

impl<'p> State<'p> {
    pub(super) fn new(
        plan: &'p Plan,
        opts: &'p SessionOptions,
        prior: Option<&Log>,
        now: f64,
    ) -> Self {
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
            hard_stop: false,
            planned: 0,
        }
    }

    pub(super) fn drive(&mut self, io: &mut Io<'_>) -> Result<Status, SessionError> {
        let warm = self.warmup_trials();
        let probes = self.probe_trials();
        let base_total = (warm.len() + probes.len()) as u64
            + self.plan.trials.len() as u64 * self.opts.rule.min_runs as u64;
        self.planned = base_total.saturating_sub(self.done_real_count());
        io.obs.event(&Event::Planned {
            total: self.planned,
        });
        if !warm.is_empty() {
            io.obs.event(&Event::Phase {
                name: "warm-up".into(),
            });
        }
        if !self.slots(warm.into_iter().map(Slot::warmup).collect(), io)? {
            return Ok(self.stopped());
        }
        if !probes.is_empty() {
            io.obs.event(&Event::Phase {
                name: "probe".into(),
            });
        }
        if !self.slots(probes.into_iter().map(Slot::warmup).collect(), io)? {
            return Ok(self.stopped());
        }
        let rule = self.opts.rule;
        for round in 1..=rule.max_runs.max(rule.min_runs) as u32 {
            let active = self.active_trials(round);
            if active.is_empty() {
                break;
            }
            if round as usize > rule.min_runs {
                let projected = (io.env.clock)() - self.started + self.round_estimate_s(&active);
                if projected > self.opts.time_budget_s {
                    self.budget_hit = true;
                    break;
                }
                self.planned += active.len() as u64;
                io.obs.event(&Event::Planned {
                    total: self.planned,
                });
            }
            self.round = round;
            io.obs.event(&Event::Phase {
                name: format!("round {round}"),
            });
            let slots = round_order(self.plan, round, self.opts.seed)
                .into_iter()
                .filter(|&idx| {
                    let id = &self.plan.trials[idx].id;
                    active.contains(id) && !self.unsupported.contains(id) && !self.done(id, round)
                })
                .map(|idx| Slot {
                    idx,
                    round,
                    warmup: false,
                })
                .collect();
            if !self.slots(slots, io)? {
                return Ok(self.stopped());
            }
        }
        Ok(Status::Complete)
    }

    /// How a run that stopped early ended: complete when the hard time limit stopped it.
    fn stopped(&self) -> Status {
        if self.hard_stop {
            Status::Complete
        } else {
            Status::Interrupted
        }
    }

    /// Runs `slots` in order, telling the runner each time which sample comes next (with the
    /// size it will have, fixed now so a connection set up ahead matches); a slot whose trial
    /// was refused meanwhile is skipped. `Ok(false)` when the run must stop.
    fn slots(&mut self, slots: Vec<Slot>, io: &mut Io<'_>) -> Result<bool, SessionError> {
        let mut sizes: Vec<Option<Size>> = vec![None; slots.len()];
        for (i, slot) in slots.iter().enumerate() {
            if self.unsupported.contains(&self.plan.trials[slot.idx].id) {
                continue;
            }
            let size = match sizes[i] {
                Some(size) => size,
                None => self.size_for(&self.plan.trials[slot.idx], slot.warmup),
            };
            if let Some(next) = slots.get(i + 1) {
                let trial = &self.plan.trials[next.idx];
                let next_size = self.size_for(trial, next.warmup);
                sizes[i + 1] = Some(next_size);
                io.runner.prepare(trial, next_size);
            }
            if !self.one(*slot, size, io)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Runs one sample of `slot` and logs it; `Ok(false)` when the user asked to stop.
    fn one(&mut self, slot: Slot, size: Size, io: &mut Io<'_>) -> Result<bool, SessionError> {
        let Slot { idx, round, warmup } = slot;
        let Io {
            runner,
            sink,
            obs,
            env,
        } = io;
        if (env.stop)() {
            return Ok(false);
        }
        if (env.clock)() - self.started > self.opts.time_budget_s * HARD_LIMIT_FACTOR {
            // Past the hard limit: stop even inside the minimum rounds.
            self.budget_hit = true;
            self.hard_stop = true;
            return Ok(false);
        }
        let trial = &self.plan.trials[idx];
        let outcome = match runner.run(trial, size) {
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
            TrialOutcome::Measured(measured) => {
                let sample = Sample {
                    trial: trial.id.clone(),
                    round,
                    warmup,
                    unix_time: (env.clock)(),
                    measured: *measured,
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
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::collections::HashSet;

    use super::super::fake::*;
    use super::super::*;

    #[test]
    fn runs_warmup_probes_and_min_rounds_then_ends() {
        let now = Cell::new(1000.0);
        let mut fake = Fake::new(&now);
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
    fn refused_trial_is_recorded_once_and_the_run_goes_on() {
        let now = Cell::new(0.0);
        let mut fake = Fake {
            refuse_3des: true,
            ..Fake::new(&now)
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
            fail_on: Some(9),
            ..Fake::new(&now)
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
        let mut fake = Fake::new(&now);
        let (r, first) = go(&mut fake, &opts(), None, Some(12));
        assert_eq!(r.unwrap().status, Status::Interrupted);
        let done = samples(&first).len();
        assert_eq!(done, 12);
        assert!(matches!(first.last(), Some(Record::End(e)) if e.status == "interrupted"));

        let prior = Log {
            header: dummy_header(),
            samples: samples(&first).into_iter().cloned().collect(),
            unsupported: vec![],
            ceilings: vec![],
            end: None,
            torn_tail: false,
        };
        let mut again = Fake::new(&now);
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

    /// The runner is told the next sample before each run, with the size it then gets, so a
    /// connection set up ahead is used; only the last sample of a phase has no successor.
    #[test]
    fn the_next_sample_is_announced_with_its_size() {
        let now = Cell::new(0.0);
        let mut fake = Fake::new(&now);
        go(&mut fake, &opts(), None, None).0.unwrap();
        let runs = &fake.runs;
        assert!(runs.len() > 20);
        let mut matched = 0;
        for pair in runs.windows(2) {
            // Stored with each run: the hint given just before it, about the sample after it.
            if let Some(hint) = &pair[0].1 {
                assert_eq!(hint, &pair[1].0, "announced one sample, ran another");
                matched += 1;
            }
        }
        // Every sample but the first of each phase (warm-up, probes, 3 rounds) was announced.
        assert!(runs.last().unwrap().1.is_none());
        assert!(matched >= runs.len() - 5, "{matched} of {}", runs.len());
    }

    #[test]
    fn hard_limit_stops_inside_the_minimum_rounds() {
        let now = Cell::new(0.0);
        let mut fake = Fake::new(&now);
        let o = SessionOptions {
            time_budget_s: 2.0,
            ..opts()
        };
        let (r, recs) = go(&mut fake, &o, None, None);
        let r = r.unwrap();
        assert_eq!(r.status, Status::Complete);
        assert!(r.budget_hit);
        // Stopped right after crossing 1.2 x 2 s of simulated time, long before 3 rounds.
        // (the last sample may be the slow 3des probe: ~22 s on the fake machine, its 0.3 s
        // warm-up and 0.15 s probe sized on the other ciphers' ~300 MB/s, at 8 MB/s; real
        // runs cap a first guess at the crypto ceiling, which the fake does not measure).
        assert!(now.get() < 2.4 + 25.0, "{}", now.get());
        assert!(samples(&recs).len() < 5 + 3 * plan().trials.len());
        assert!(matches!(recs.last(), Some(Record::End(e)) if e.status == "complete"));
    }

    #[test]
    fn time_budget_stops_adaptive_rounds_but_not_min_rounds() {
        let rule = |max_runs| StopRule {
            min_runs: 2,
            max_runs,
            target_rel_ci: 0.0,
            top_k: 10,
        };
        // How long warm-up, probes and the 2 minimum rounds take on the fake machine.
        let now = Cell::new(0.0);
        let two_rounds = SessionOptions {
            rule: rule(2),
            ..opts()
        };
        go(&mut Fake::new(&now), &two_rounds, None, None).0.unwrap();
        let t = now.get();
        // A budget below that: the minimum rounds still finish (hard limit 1.2 x budget is
        // above t), no adaptive round starts.
        now.set(0.0);
        let mut fake = Fake::new(&now);
        let o = SessionOptions {
            time_budget_s: t / 1.1,
            rule: rule(10),
            ..opts()
        };
        let (r, recs) = go(&mut fake, &o, None, None);
        let r = r.unwrap();
        assert!(r.budget_hit);
        assert_eq!(r.rounds, 2);
        assert!(samples(&recs).iter().all(|s| s.round <= 2));
    }
}
