//! The benchmark plan as a value: which trials, in what order per round. Bulk trials
//! (cipher x MAC, AEAD once with an implicit MAC) are separate from handshake trials
//! (per kex: kex-only and full connect). `--dry-run` prints it; a snapshot test locks it.
//!
//! Kex never changes bulk throughput (it only derives the keys), so the default plan pins one
//! bulk kex and measures each kex on its own; `Matrix::Full` restores the seed's product.

use serde::{Deserialize, Serialize};

use crate::algos::Negotiable;
use crate::alias::canonical_kex;

mod render;

pub use crate::pattern::Pattern;
pub use render::render;

/// Data direction of a bulk trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Client to server: `ssh host 'head -c N >/dev/null' </dev/zero`.
    Up,
    /// Server to client: `ssh host 'head -c N /dev/zero' >/dev/null`.
    Down,
}

impl Direction {
    /// `up` or `down`, as used in trial ids and tables.
    pub fn label(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }
}

impl std::fmt::Display for Direction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// What one trial measures.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TrialKind {
    /// Throughput of a cipher x MAC (`mac` None = AEAD, implicit MAC); `kex` pinned
    /// (the plan's bulk kex, or each kex under `--matrix full`).
    Bulk {
        cipher: String,
        mac: Option<String>,
        kex: String,
        direction: Direction,
    },
    /// Zero-byte transfer with the bulk harness: the fixed per-connection cost subtracted
    /// from bulk samples of the same direction.
    Baseline { direction: Direction },
    /// Key exchange only: `ssh -o PreferredAuthentications=none` (auth refused, exit 255).
    KexOnly { kex: String },
    /// Full connect + auth + `true`.
    Connect { kex: String },
}

/// Label shown for an AEAD cipher's MAC.
pub const IMPLICIT_MAC: &str = "<implicit>";

impl TrialKind {
    /// Short kind label: `bulk`, `baseline`, `kex-only`, `connect`.
    pub fn label(&self) -> &'static str {
        match self {
            TrialKind::Bulk { .. } => "bulk",
            TrialKind::Baseline { .. } => "baseline",
            TrialKind::KexOnly { .. } => "kex-only",
            TrialKind::Connect { .. } => "connect",
        }
    }

    /// The stable id of this trial (see [`Trial`]).
    pub fn id(&self) -> String {
        match self {
            TrialKind::Bulk {
                cipher,
                mac,
                kex,
                direction,
            } => format!(
                "bulk/{direction}/{cipher}/{}/{kex}",
                mac.as_deref().unwrap_or("implicit")
            ),
            TrialKind::Baseline { direction } => format!("baseline/{direction}"),
            TrialKind::KexOnly { kex } => format!("kex/{kex}"),
            TrialKind::Connect { kex } => format!("connect/{kex}"),
        }
    }
}

/// One trial with a stable id used in logs and `--resume`
/// (e.g. `bulk/up/aes128-ctr/hmac-sha1/curve25519-sha256`, `kex/curve25519-sha256`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Trial {
    pub id: String,
    #[serde(flatten)]
    pub kind: TrialKind,
}

impl Trial {
    /// A trial with its canonical id.
    pub fn new(kind: TrialKind) -> Self {
        Trial {
            id: kind.id(),
            kind,
        }
    }
}

/// `--matrix`: de-duplicated (default) or the seed's full cartesian product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Matrix {
    Dedup,
    Full,
}

/// Everything that shapes a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanOptions {
    pub matrix: Matrix,
    /// Empty = all.
    pub ciphers: Vec<Pattern>,
    pub macs: Vec<Pattern>,
    pub kex: Vec<Pattern>,
    /// Empty = upload only.
    pub directions: Vec<Direction>,
    /// Kex used for bulk trials under `Matrix::Dedup` (default `curve25519-sha256` if negotiable).
    pub bulk_kex: Option<String>,
    /// Skip handshake trials.
    pub no_kex: bool,
    /// Skip bulk trials.
    pub no_bulk: bool,
}

impl Default for PlanOptions {
    /// The default plan: de-duplicated matrix, everything, upload only.
    fn default() -> Self {
        PlanOptions {
            matrix: Matrix::Dedup,
            ciphers: Vec::new(),
            macs: Vec::new(),
            kex: Vec::new(),
            directions: vec![Direction::Up],
            bulk_kex: None,
            no_kex: false,
            no_bulk: false,
        }
    }
}

/// Why a plan could not be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error(
        "filter `{pattern}` for {what} matches nothing both sides support (available: {available})"
    )]
    NoMatch {
        what: &'static str,
        pattern: String,
        available: String,
    },
    #[error("the plan is empty")]
    Empty,
}

/// The plan: trials plus what was left out and why (e.g. "AEAD: MAC implicit").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub trials: Vec<Trial>,
    pub skipped: Vec<Skipped>,
    /// Cells of the full cartesian product, for the "N x fewer" line.
    pub full_product: usize,
}

impl Plan {
    /// Number of trials of each kind: (bulk, baseline, kex-only, connect).
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let mut c = (0, 0, 0, 0);
        for t in &self.trials {
            match t.kind {
                TrialKind::Bulk { .. } => c.0 += 1,
                TrialKind::Baseline { .. } => c.1 += 1,
                TrialKind::KexOnly { .. } => c.2 += 1,
                TrialKind::Connect { .. } => c.3 += 1,
            }
        }
        c
    }

    /// The trial with `id`, if planned.
    pub fn trial(&self, id: &str) -> Option<&Trial> {
        self.trials.iter().find(|t| t.id == id)
    }
}

/// Something the plan deliberately leaves out, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// The algorithm (or `kex x bulk`) left out.
    pub name: String,
    /// Why, in one line.
    pub reason: String,
}

/// Keeps the names matching any pattern (all when `patterns` is empty); every pattern must
/// match at least one name. `alias_of` lets a pattern name an alias of a canonical entry.
fn select(
    what: &'static str,
    names: &[String],
    patterns: &[Pattern],
    canon: fn(&str) -> &str,
) -> Result<Vec<String>, PlanError> {
    if patterns.is_empty() {
        return Ok(names.to_vec());
    }
    let hit = |p: &Pattern, n: &str| p.matches(n) || canon(&p.0) == n;
    if let Some(p) = patterns.iter().find(|p| !names.iter().any(|n| hit(p, n))) {
        return Err(PlanError::NoMatch {
            what,
            pattern: p.0.clone(),
            available: if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(",")
            },
        });
    }
    Ok(names
        .iter()
        .filter(|n| patterns.iter().any(|p| hit(p, n)))
        .cloned()
        .collect())
}

fn identity(name: &str) -> &str {
    name
}

/// Default kex for bulk trials.
const DEFAULT_BULK_KEX: &str = "curve25519-sha256";

/// The default bulk kex if `list` has it, else its first entry.
fn preferred_kex(list: &[String]) -> Option<&str> {
    list.iter()
        .find(|k| *k == DEFAULT_BULK_KEX)
        .or(list.first())
        .map(String::as_str)
}

fn pick_bulk_kex(
    neg: &Negotiable,
    kex: &[String],
    opts: &PlanOptions,
) -> Result<String, PlanError> {
    if let Some(k) = &opts.bulk_kex {
        let canon = canonical_kex(k);
        return if neg.kex.iter().any(|n| n == canon) {
            Ok(canon.to_owned())
        } else {
            Err(PlanError::NoMatch {
                what: "bulk kex",
                pattern: k.clone(),
                available: neg.kex.join(","),
            })
        };
    }
    // Prefer the default inside the user's kex filter, then anything the filter kept, then the
    // default or anything negotiable (the filter may also be empty of kex under `--no-kex`).
    let pick = preferred_kex(kex).or_else(|| preferred_kex(&neg.kex));
    pick.map(str::to_owned).ok_or_else(|| PlanError::NoMatch {
        what: "kex",
        pattern: "*".to_owned(),
        available: "none".to_owned(),
    })
}

/// Builds the plan from what both sides support.
pub fn build(neg: &Negotiable, opts: &PlanOptions) -> Result<Plan, PlanError> {
    let ciphers = select("ciphers", &neg.ciphers, &opts.ciphers, identity)?;
    let macs = select("macs", &neg.macs, &opts.macs, identity)?;
    let kex = select("kex", &neg.kex, &opts.kex, canonical_kex)?;
    let directions = if opts.directions.is_empty() {
        vec![Direction::Up]
    } else {
        let mut d: Vec<Direction> = Vec::new();
        for x in &opts.directions {
            if !d.contains(x) {
                d.push(*x);
            }
        }
        d
    };
    let mut trials = Vec::new();
    let mut skipped = Vec::new();
    if !opts.no_bulk {
        let bulk_kex = match opts.matrix {
            Matrix::Dedup => vec![pick_bulk_kex(neg, &kex, opts)?],
            Matrix::Full => kex.clone(),
        };
        bulk_trials(neg, &ciphers, &macs, &bulk_kex, &directions, &mut trials);
        skip_notes(neg, &ciphers, &macs, opts, &bulk_kex, &mut skipped);
    }
    if !opts.no_kex {
        for k in &kex {
            trials.push(Trial::new(TrialKind::KexOnly { kex: k.clone() }));
            trials.push(Trial::new(TrialKind::Connect { kex: k.clone() }));
        }
    }
    let mut aliases = 0;
    for alias in &neg.kex_aliases {
        if let Some(canon) = crate::algos::alias_target(&kex, alias) {
            aliases += 1;
            skipped.push(Skipped {
                name: alias.clone(),
                reason: format!("alias of {canon}: same algorithm, measured once"),
            });
        }
    }
    if trials
        .iter()
        .all(|t| matches!(t.kind, TrialKind::Baseline { .. }))
    {
        return Err(PlanError::Empty);
    }
    Ok(Plan {
        trials,
        skipped,
        full_product: ciphers.len() * macs.len().max(1) * (kex.len() + aliases),
    })
}

fn bulk_trials(
    neg: &Negotiable,
    ciphers: &[String],
    macs: &[String],
    kexes: &[String],
    directions: &[Direction],
    trials: &mut Vec<Trial>,
) {
    for &direction in directions {
        let before = trials.len();
        for kex in kexes {
            for cipher in ciphers {
                let mac_choices: Vec<Option<String>> = if neg.is_aead(cipher) {
                    vec![None]
                } else {
                    macs.iter().cloned().map(Some).collect()
                };
                for mac in mac_choices {
                    trials.push(Trial::new(TrialKind::Bulk {
                        cipher: cipher.clone(),
                        mac,
                        kex: kex.clone(),
                        direction,
                    }));
                }
            }
        }
        if trials.len() > before {
            trials.insert(before, Trial::new(TrialKind::Baseline { direction }));
        }
    }
}

fn skip_notes(
    neg: &Negotiable,
    ciphers: &[String],
    macs: &[String],
    opts: &PlanOptions,
    bulk_kex: &[String],
    skipped: &mut Vec<Skipped>,
) {
    for cipher in ciphers {
        if neg.is_aead(cipher) && !macs.is_empty() {
            skipped.push(Skipped {
                name: cipher.clone(),
                reason: format!(
                    "AEAD: MAC implicit, measured once instead of x{} MACs",
                    macs.len()
                ),
            });
        } else if !neg.is_aead(cipher) && macs.is_empty() {
            skipped.push(Skipped {
                name: cipher.clone(),
                reason: "needs a MAC and none is selected".to_owned(),
            });
        }
    }
    if opts.matrix == Matrix::Dedup
        && let Some(k) = bulk_kex.first()
    {
        skipped.push(Skipped {
            name: "kex x bulk".to_owned(),
            reason: format!(
                "kex does not change bulk throughput: bulk pinned to {k}, kex measured by handshake trials (--matrix full for the product)"
            ),
        });
    }
}

/// Trial indices in a randomized order for `round` (deterministic in `seed` and `round`).
pub fn round_order(plan: &Plan, round: u32, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..plan.trials.len()).collect();
    // Derive an independent stream per round: one SplitMix64 step over seed ^ round.
    let mut mixer = hostkit_stats::Rng::new(seed ^ (u64::from(round) << 32 | u64::from(round)));
    let mut rng = hostkit_stats::Rng::new(mixer.next_u64());
    rng.shuffle(&mut order);
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{neg_92, strings};

    fn opts() -> PlanOptions {
        PlanOptions::default()
    }

    fn bulk_of(plan: &Plan) -> Vec<&TrialKind> {
        plan.trials
            .iter()
            .map(|t| &t.kind)
            .filter(|k| matches!(k, TrialKind::Bulk { .. }))
            .collect()
    }

    #[test]
    fn default_plan_for_openssh_92() {
        let plan = build(&neg_92(), &opts()).unwrap();
        // 7 non-AEAD ciphers x 16 MACs + 3 AEAD once = 115 bulk; 12 distinct kex x 2.
        assert_eq!(plan.counts(), (115, 1, 12, 12));
        assert_eq!(plan.full_product, 2240);
        let bulk = bulk_of(&plan);
        assert!(bulk.iter().all(|k| matches!(k, TrialKind::Bulk { kex, direction: Direction::Up, .. } if kex == "curve25519-sha256")));
        let ids: std::collections::HashSet<&str> =
            plan.trials.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids.len(), plan.trials.len(), "ids are unique");
        assert!(ids.contains("bulk/up/aes128-ctr/hmac-sha1/curve25519-sha256"));
        assert!(ids.contains("bulk/up/aes128-gcm@openssh.com/implicit/curve25519-sha256"));
        assert!(ids.contains("kex/curve25519-sha256"));
        assert!(ids.contains("connect/sntrup761x25519-sha512"));
        assert!(ids.contains("baseline/up"));
    }

    #[test]
    fn aead_is_measured_once_without_a_mac() {
        let plan = build(&neg_92(), &opts()).unwrap();
        for aead in [
            "aes128-gcm@openssh.com",
            "aes256-gcm@openssh.com",
            "chacha20-poly1305@openssh.com",
        ] {
            let rows: Vec<_> = bulk_of(&plan)
                .into_iter()
                .filter(|k| matches!(k, TrialKind::Bulk { cipher, .. } if cipher == aead))
                .collect();
            assert_eq!(rows.len(), 1, "{aead}");
            assert!(matches!(rows[0], TrialKind::Bulk { mac: None, .. }));
            assert!(
                plan.skipped
                    .iter()
                    .any(|s| s.name == aead && s.reason.starts_with("AEAD"))
            );
        }
        let ctr = bulk_of(&plan)
            .into_iter()
            .filter(|k| matches!(k, TrialKind::Bulk { cipher, mac: Some(_), .. } if cipher == "aes128-ctr"))
            .count();
        assert_eq!(ctr, 16);
    }

    #[test]
    fn kex_aliases_are_measured_once() {
        let plan = build(&neg_92(), &opts()).unwrap();
        let kex: Vec<&str> = plan
            .trials
            .iter()
            .filter_map(|t| match &t.kind {
                TrialKind::KexOnly { kex } => Some(kex.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            kex.iter().filter(|k| k.starts_with("curve25519")).count(),
            1
        );
        assert!(!kex.iter().any(|k| k.contains('@')));
        let alias_notes: Vec<&str> = plan
            .skipped
            .iter()
            .filter(|s| s.reason.starts_with("alias of"))
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(
            alias_notes,
            [
                "curve25519-sha256@libssh.org",
                "sntrup761x25519-sha512@openssh.com"
            ]
        );
    }

    #[test]
    fn full_matrix_is_the_product_minus_duplicates() {
        let o = PlanOptions {
            matrix: Matrix::Full,
            ..opts()
        };
        let plan = build(&neg_92(), &o).unwrap();
        // 115 bulk cells x 12 distinct kex.
        assert_eq!(plan.counts(), (115 * 12, 1, 12, 12));
        assert!(!plan.skipped.iter().any(|s| s.name == "kex x bulk"));
    }

    #[test]
    fn filters_and_directions() {
        let o = PlanOptions {
            ciphers: Pattern::list("aes128-*"),
            macs: Pattern::list("hmac-sha2-256*"),
            kex: Pattern::list("curve25519-sha256@libssh.org,ecdh-sha2-nistp256"),
            directions: vec![Direction::Up, Direction::Down],
            ..opts()
        };
        let plan = build(&neg_92(), &o).unwrap();
        // aes128-cbc, aes128-ctr x 2 MACs + aes128-gcm = 5 per direction.
        assert_eq!(plan.counts(), (10, 2, 2, 2));
        assert_eq!(
            plan.full_product,
            3 * 2 * 3,
            "curve25519 alias counts in the product"
        );
        assert!(plan.trial("baseline/down").is_some());
        assert!(
            plan.trial("bulk/down/aes128-cbc/hmac-sha2-256-etm@openssh.com/curve25519-sha256")
                .is_some()
        );
        assert!(plan.trial("kex/curve25519-sha256").is_some());
    }

    #[test]
    fn filter_matching_nothing_is_an_error_naming_what_exists() {
        let o = PlanOptions {
            ciphers: Pattern::list("aes*,blowfish*"),
            ..opts()
        };
        let err = build(&neg_92(), &o).unwrap_err();
        assert!(
            matches!(&err, PlanError::NoMatch { what: "ciphers", pattern, .. } if pattern == "blowfish*")
        );
        assert!(err.to_string().contains("aes128-ctr"));
        let o = PlanOptions {
            bulk_kex: Some("curve448-sha512".into()),
            ..opts()
        };
        assert!(matches!(
            build(&neg_92(), &o),
            Err(PlanError::NoMatch {
                what: "bulk kex",
                ..
            })
        ));
    }

    #[test]
    fn bulk_kex_alias_and_fallback() {
        let o = PlanOptions {
            bulk_kex: Some("curve25519-sha256@libssh.org".into()),
            ..opts()
        };
        let plan = build(&neg_92(), &o).unwrap();
        assert!(
            bulk_of(&plan)
                .iter()
                .all(|k| matches!(k, TrialKind::Bulk { kex, .. } if kex == "curve25519-sha256"))
        );
        let mut neg = neg_92();
        neg.kex.retain(|k| !k.starts_with("curve25519"));
        let plan = build(
            &neg,
            &PlanOptions {
                kex: Pattern::list("ecdh*"),
                ..opts()
            },
        )
        .unwrap();
        assert!(
            bulk_of(&plan)
                .iter()
                .all(|k| matches!(k, TrialKind::Bulk { kex, .. } if kex == "ecdh-sha2-nistp256"))
        );
    }

    #[test]
    fn bulk_kex_follows_the_kex_filter_and_directions_dedup() {
        let o = PlanOptions {
            kex: Pattern::list("ecdh*"),
            directions: vec![Direction::Up, Direction::Down, Direction::Up],
            ..opts()
        };
        let plan = build(&neg_92(), &o).unwrap();
        assert!(
            bulk_of(&plan)
                .iter()
                .all(|k| matches!(k, TrialKind::Bulk { kex, .. } if kex == "ecdh-sha2-nistp256"))
        );
        assert_eq!(plan.counts(), (230, 2, 3, 3));
    }

    #[test]
    fn empty_plans_are_errors() {
        let o = PlanOptions {
            no_bulk: true,
            no_kex: true,
            ..opts()
        };
        assert_eq!(build(&neg_92(), &o), Err(PlanError::Empty));
        let bulk_only = PlanOptions {
            no_kex: true,
            ..opts()
        };
        assert_eq!(
            build(&neg_92(), &bulk_only).unwrap().counts(),
            (115, 1, 0, 0)
        );
    }

    #[test]
    fn no_macs_leaves_only_aead() {
        let mut neg = neg_92();
        neg.macs.clear();
        let plan = build(
            &neg,
            &PlanOptions {
                no_kex: true,
                ..opts()
            },
        )
        .unwrap();
        assert_eq!(plan.counts(), (3, 1, 0, 0));
        assert!(
            plan.skipped
                .iter()
                .any(|s| s.name == "aes128-ctr" && s.reason.contains("needs a MAC"))
        );
        let _ = strings(&[]);
    }

    #[test]
    fn round_order_is_a_deterministic_permutation_per_round() {
        let plan = build(&neg_92(), &opts()).unwrap();
        let a = round_order(&plan, 0, 42);
        assert_eq!(a, round_order(&plan, 0, 42));
        assert_ne!(a, round_order(&plan, 1, 42));
        assert_ne!(a, round_order(&plan, 0, 43));
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..plan.trials.len()).collect::<Vec<_>>());
        assert_ne!(a, sorted, "shuffled");
    }

    #[test]
    fn trial_json_shape() {
        let t = Trial::new(TrialKind::Bulk {
            cipher: "aes128-ctr".into(),
            mac: Some("hmac-sha1".into()),
            kex: "curve25519-sha256".into(),
            direction: Direction::Down,
        });
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(
            json,
            r#"{"id":"bulk/down/aes128-ctr/hmac-sha1/curve25519-sha256","kind":"bulk","cipher":"aes128-ctr","mac":"hmac-sha1","kex":"curve25519-sha256","direction":"down"}"#
        );
        assert_eq!(serde_json::from_str::<Trial>(&json).unwrap(), t);
    }
}
