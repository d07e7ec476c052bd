//! Drives a plan: warm-up, size probe, randomized interleaved rounds, adaptive repetition,
//! appending every sample to the log through a sink, reporting progress to an observer.
//! Pure orchestration over the `TrialRunner` trait; the real runner lives in `sys::runner`,
//! a fake one in `fake.rs` for the tests (like hyperfine's executor trait). The loop itself is
//! in `state.rs`, sample sizing in `sizing.rs`.

#[cfg(test)]
mod fake;
mod sizing;
mod state;

use std::io::Write;

use crate::analyze::StopRule;
use crate::plan::{Plan, Trial};
use crate::record::{End, Log, Record, Sample, to_line};
use state::State;

pub use crate::record::Measurement;

/// Payload of one bulk sample: `warmup_bytes` (W) move before the timed window opens, then
/// `bytes` (N) are timed. Both 0 for baselines and handshakes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Size {
    pub warmup_bytes: u64,
    pub bytes: u64,
}

/// A trial either measured or refused (recorded, and the run goes on).
#[derive(Debug, Clone, PartialEq)]
pub enum TrialOutcome {
    Measured(Box<Measurement>),
    /// The server (or client) refused the combination; the reason is ssh's message.
    Unsupported(String),
}

/// ssh or sshd failed in a way that stops the run (the message names the step and the log).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct RunnerError {
    pub message: String,
}

/// Runs one sample of a trial. `size` is the payload for bulk trials (zero for baselines,
/// ignored for handshakes).
pub trait TrialRunner {
    /// One sample; `Err` only for failures that must stop the run.
    fn run(&mut self, trial: &Trial, size: Size) -> Result<TrialOutcome, RunnerError>;

    /// Says which sample the session will ask for after the next [`TrialRunner::run`], so a
    /// runner may set its connection up while that run's warm-up is under way. A hint: the
    /// session may still ask for something else. The default ignores it.
    fn prepare(&mut self, _next: &Trial, _size: Size) {}
}

/// Where records go; each record must be durable when `record` returns.
pub trait Sink {
    /// Writes one record durably.
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
    /// Target duration of the timed window of one sample.
    pub sample_time_s: f64,
    /// The window opens this long after the transfer started: a new connection moves little
    /// in its first ~0.1 s (uploads) and then runs a few per cent below its steady rate until
    /// ~0.4 s in (both directions, measured on 2 vCPUs). W covers this minus the start lag
    /// measured so far, at least `min_warmup_time_s` at the estimated rate and at least
    /// `min_warmup_bytes`.
    pub warmup_time_s: f64,
    /// The same for downloads, ~0.8 s. It was chosen when AES downloads read 3-5 % low at
    /// ~0.37 s (0.984 at ~0.8 s in 8 rounds); a later 18-round run at ~0.8 s still read
    /// aes128-gcm 0.946, and the cause turned out to be the `head` restart inside the window,
    /// which the restart segment now cancels (`sys::runner::restart_bytes`). The later window
    /// stays: it is what the restart-segment runs measured.
    pub down_warmup_time_s: f64,
    pub min_warmup_time_s: f64,
    pub min_warmup_bytes: u64,
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
    /// Single-core crypto speeds: a trial not yet measured is never expected to beat its
    /// ceiling (ssh's crypto runs on one core), so a slow cipher's first probe stays short.
    pub ceilings: Vec<crate::record::Ceiling>,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            seed: 0,
            sample_time_s: 0.25,
            warmup_time_s: 0.37,
            down_warmup_time_s: 0.8,
            min_warmup_time_s: 0.1,
            min_warmup_bytes: 4 << 20,
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
            ceilings: Vec::new(),
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
    /// This process's own CPU seconds so far, for the end record.
    pub own_cpu: &'a dyn Fn() -> Option<f64>,
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
    let result = s.drive(&mut state::Io {
        runner,
        sink: &mut *sink,
        obs: observer,
        env,
    });
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
        own_cpu_seconds: (env.own_cpu)(),
    }))?;
    Ok(SessionReport {
        status: result?,
        rounds: s.round,
        new_samples: s.new_samples,
        elapsed_s,
        budget_hit: s.budget_hit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_sink_writes_one_flushed_line_per_record() {
        let mut sink = JsonlSink(Vec::new());
        let end = Record::End(End {
            status: "complete".into(),
            unix_time: 1.5,
            own_cpu_seconds: Some(0.25),
        });
        sink.record(&end).unwrap();
        sink.record(&end).unwrap();
        let text = String::from_utf8(sink.0).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(text.ends_with('\n'));
    }
}
