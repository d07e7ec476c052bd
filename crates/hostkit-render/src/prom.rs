//! Prometheus text exposition format 0.0.4, node_exporter textfile conventions: one writer for
//! every `--format prometheus` and textfile export of hostkit. Every metric name starts with
//! [`PREFIX`] and carries its unit (`_seconds`, `_bytes`, `_ratio`); counters end in `_total`;
//! `# HELP` and `# TYPE` once per family; no timestamps; label values escaped.
//! Names are checked with `assert!`: a bad name is a programming error that the renderers'
//! tests catch, never something a user can trigger.

use std::fmt::Write;

/// The one metric prefix of hostkit.
pub const PREFIX: &str = "hostkit_";

/// The Prometheus metric type of a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// A value that can go up and down.
    Gauge,
    /// A monotonically increasing total; its name ends in `_total`.
    Counter,
}

impl MetricKind {
    fn as_str(self) -> &'static str {
        match self {
            MetricKind::Gauge => "gauge",
            MetricKind::Counter => "counter",
        }
    }
}

/// A text exposition under construction: families and their samples, in the order written.
#[derive(Debug, Default)]
pub struct Exposition {
    out: String,
    family: Option<String>,
    seen: Vec<String>,
}

impl Exposition {
    /// An empty exposition.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts the family `name` with its `# HELP` and `# TYPE` lines; following
    /// [`Exposition::sample`] calls belong to it. Panics on a name outside the house rules
    /// or on a family declared twice.
    pub fn family(&mut self, name: &str, kind: MetricKind, help: &str) -> &mut Self {
        assert!(
            name.starts_with(PREFIX) && valid_name(name),
            "metric name `{name}` must match {PREFIX}[a-z0-9_]+"
        );
        assert!(
            (kind == MetricKind::Counter) == name.ends_with("_total"),
            "metric `{name}`: counters, and only counters, end in `_total`"
        );
        assert!(
            !self.seen.iter().any(|s| s == name),
            "metric family `{name}` declared twice"
        );
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {}", kind.as_str());
        self.seen.push(name.to_owned());
        self.family = Some(name.to_owned());
        self
    }

    /// One sample of the current family. Values are rounded to nine decimals (no binary-float
    /// noise such as `0.14029999999999998`); NaN and infinities use Prometheus' spellings.
    pub fn sample(&mut self, labels: &[(&str, &str)], value: f64) -> &mut Self {
        let name = self
            .family
            .as_deref()
            .expect("Exposition::family before Exposition::sample");
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                assert!(
                    valid_label_name(k),
                    "label name `{k}` is not [a-zA-Z_][a-zA-Z0-9_]*"
                );
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"{}\"", label_value(v));
            }
            self.out.push('}');
        }
        self.out.push(' ');
        self.out.push_str(&value_text(value));
        self.out.push('\n');
        self
    }

    /// The exposition text.
    pub fn finish(self) -> String {
        self.out
    }
}

/// A label value escaped as the text format requires (`\`, `"`, line feed).
pub fn label_value(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s
}

/// A sample value as the text format spells it.
pub fn value_text(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        if value.abs() >= 1e21 {
            // Plain notation would print every digit; the format takes Go's exponent form.
            return format!("{value:e}");
        }
        let rounded = (value * 1e9).round() / 1e9;
        format!("{}", rounded + 0.0)
    }
}

fn valid_name(name: &str) -> bool {
    name.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn valid_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_samples_and_escaping() {
        let mut e = Exposition::new();
        e.family(
            "hostkit_proc_threads",
            MetricKind::Gauge,
            "Threads by state.\nR and D.",
        )
        .sample(&[("state", "R")], 2.0)
        .sample(&[("state", "D"), ("comm", "a\"b\\c\nd")], 0.0);
        e.family(
            "hostkit_proc_cpu_seconds_total",
            MetricKind::Counter,
            "CPU time.",
        )
        .sample(&[], 0.1 + 0.2);
        assert_eq!(
            e.finish(),
            "# HELP hostkit_proc_threads Threads by state.\\nR and D.\n\
             # TYPE hostkit_proc_threads gauge\n\
             hostkit_proc_threads{state=\"R\"} 2\n\
             hostkit_proc_threads{state=\"D\",comm=\"a\\\"b\\\\c\\nd\"} 0\n\
             # HELP hostkit_proc_cpu_seconds_total CPU time.\n\
             # TYPE hostkit_proc_cpu_seconds_total counter\n\
             hostkit_proc_cpu_seconds_total 0.3\n"
        );
    }

    #[test]
    fn special_values() {
        assert_eq!(value_text(f64::NAN), "NaN");
        assert_eq!(value_text(f64::INFINITY), "+Inf");
        assert_eq!(value_text(f64::NEG_INFINITY), "-Inf");
        assert_eq!(value_text(-0.0), "0");
        assert_eq!(value_text(1e300), "1e300");
        assert_eq!(value_text(0.000_000_000_4), "0");
    }

    #[test]
    #[should_panic(expected = "must match hostkit_")]
    fn foreign_prefix_is_refused() {
        Exposition::new().family("ntp_check_offset_seconds", MetricKind::Gauge, "x");
    }

    #[test]
    #[should_panic(expected = "end in `_total`")]
    fn counter_without_total_is_refused() {
        Exposition::new().family("hostkit_x_seconds", MetricKind::Counter, "x");
    }

    #[test]
    #[should_panic(expected = "declared twice")]
    fn family_twice_is_refused() {
        let mut e = Exposition::new();
        e.family("hostkit_a", MetricKind::Gauge, "x");
        e.family("hostkit_a", MetricKind::Gauge, "x");
    }
}
