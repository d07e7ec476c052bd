//! Parser for pressure stall information, `/proc/pressure/{cpu,io,memory}`
//! (Documentation/accounting/psi.rst): `some avg10=1.23 avg60=... avg300=... total=US` and an
//! optional `full ...` line. A better saturation signal than the load average.

use serde::Serialize;

/// One PSI line of one resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PsiLine {
    /// `cpu`, `io` or `memory`.
    pub resource: String,
    /// `some` (at least one task stalled) or `full` (all non-idle tasks stalled).
    pub kind: String,
    /// Share of wall time stalled over the last 10 s, percent.
    pub avg10_percent: f64,
    /// Over the last 60 s, percent.
    pub avg60_percent: f64,
    /// Over the last 300 s, percent.
    pub avg300_percent: f64,
}

/// Parses one pressure file; lines that do not have the documented shape are skipped.
pub fn parse_psi(resource: &str, text: &str) -> Vec<PsiLine> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut f = line.split_ascii_whitespace();
        let Some(kind) = f.next() else { continue };
        let mut avg = [None; 3];
        for kv in f {
            let Some((k, v)) = kv.split_once('=') else {
                continue;
            };
            let slot = match k {
                "avg10" => 0,
                "avg60" => 1,
                "avg300" => 2,
                _ => continue,
            };
            avg[slot] = v.parse::<f64>().ok();
        }
        if let [Some(a10), Some(a60), Some(a300)] = avg {
            out.push(PsiLine {
                resource: resource.to_string(),
                kind: kind.to_string(),
                avg10_percent: a10,
                avg60_percent: a60,
                avg300_percent: a300,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn some_and_full_lines_parse() {
        let text = "some avg10=85.10 avg60=88.02 avg300=60.00 total=123\n\
                    full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
        let v = parse_psi("cpu", text);
        assert_eq!(v.len(), 2);
        assert_eq!(
            (v[0].kind.as_str(), v[0].avg10_percent, v[0].avg60_percent),
            ("some", 85.1, 88.02)
        );
        assert_eq!(v[1].kind, "full");
    }

    #[test]
    fn malformed_lines_are_skipped() {
        assert!(parse_psi("io", "some avg10=x avg60=1 avg300=2\ngarbage\n").is_empty());
    }
}
