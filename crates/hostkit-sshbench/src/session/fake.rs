//! Test fixtures for the session loop: a small plan and a deterministic fake machine
//! (per-cipher rates, a fixed connection cost, a clock that advances by the simulated wall
//! time), like hyperfine's mock executor.

use std::cell::Cell;

use super::*;
use crate::plan::{Direction, Plan, Trial, TrialKind};
use crate::record::{Log, Negotiated, Record, Sample};

pub(super) fn bulk(cipher: &str, mac: Option<&str>) -> Trial {
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

pub(super) fn plan() -> Plan {
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

/// A sample asked for: trial id and size.
pub(super) type Call = (String, Size);

/// A deterministic machine: each cipher has a fixed rate, connections cost 0.25 s, the
/// clock advances by the simulated wall time; 3des is refused when `refuse_3des`.
pub(super) struct Fake<'c> {
    pub(super) now: &'c Cell<f64>,
    pub(super) calls: Vec<(String, u64)>,
    /// Every `run` as (trial, size), and the `prepare` hint in force when it came.
    pub(super) runs: Vec<(Call, Option<Call>)>,
    pub(super) hint: Option<Call>,
    pub(super) refuse_3des: bool,
    pub(super) fail_on: Option<usize>,
}

impl<'c> Fake<'c> {
    /// A fake that supports everything and never fails.
    pub(super) fn new(now: &'c Cell<f64>) -> Self {
        Fake {
            now,
            calls: vec![],
            runs: vec![],
            hint: None,
            refuse_3des: false,
            fail_on: None,
        }
    }
}

impl TrialRunner for Fake<'_> {
    fn prepare(&mut self, next: &Trial, size: Size) {
        self.hint = Some((next.id.clone(), size));
    }

    fn run(&mut self, trial: &Trial, size: Size) -> Result<TrialOutcome, RunnerError> {
        let bytes = size.bytes;
        self.calls.push((trial.id.clone(), bytes));
        self.runs.push(((trial.id.clone(), size), self.hint.take()));
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
        // A start-of-connection stall of 0.08 s inside the warm-up, then the steady rate.
        let window = bytes as f64 / rate * jitter;
        let stall = if size.warmup_bytes > 0 { 0.08 } else { 0.0 };
        let wall = 0.25 + stall + size.warmup_bytes as f64 / rate + window;
        self.now.set(self.now.get() + wall);
        Ok(TrialOutcome::Measured(Box::new(Measurement {
            bytes,
            warmup_bytes: size.warmup_bytes,
            window_s: (bytes > 0).then_some(window),
            warmup_s: (bytes > 0).then_some(stall + size.warmup_bytes as f64 / rate),
            restart_bytes: 0,
            restart_s: None,
            connected_ahead: false,
            wall_s: wall,
            client_user_s: wall / 2.0,
            client_sys_s: 0.01,
            server_user_s: Some(wall / 3.0),
            server_sys_s: Some(0.01),
            load1: 0.5,
            rekeys: 0,
            negotiated: Negotiated::default(),
        })))
    }
}

pub(super) fn opts() -> SessionOptions {
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

pub(super) fn go(
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
    let own_cpu = || Some(0.5);
    let env = Env {
        clock: &clock,
        stop: &stop,
        own_cpu: &own_cpu,
    };
    let r = run(&plan, fake, &mut sink, &mut obs, opts, prior, &env);
    (r, sink)
}

pub(super) struct Counting<'a>(pub(super) &'a Cell<usize>);
impl Observer for Counting<'_> {
    fn event(&mut self, e: &Event<'_>) {
        if matches!(e, Event::Sample { .. }) {
            self.0.set(self.0.get() + 1);
        }
    }
}

pub(super) fn samples(recs: &[Record]) -> Vec<&Sample> {
    recs.iter()
        .filter_map(|r| match r {
            Record::Sample(s) => Some(s),
            _ => None,
        })
        .collect()
}

pub(super) fn dummy_header() -> crate::record::Header {
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
        method: crate::record::Method::InConnectionWindow,
        pinning: crate::record::Pinning::default(),
        hostname: None,
        negotiable: None,
    }
}
