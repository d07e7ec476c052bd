//! `hostkit ssh report`: re-analyses hostkit JSON-lines logs (table, JSON, CSV, Markdown,
//! SVG) and imports logs of the seed script `ssh-performance.sh` (table, JSON, CSV).

use std::path::Path;

use anyhow::Context;
use hostkit_sshbench::analyze::analyze;
use hostkit_sshbench::report::{self, SeedRow};

use super::policy;
use crate::cli::ssh::{ReportArgs, ReportFormat};
use crate::exit::Outcome;
use crate::output::table::{Align, Table};

pub fn run(a: ReportArgs) -> anyhow::Result<Outcome> {
    let pol = policy(&a.policy)?;
    let top = a.top as usize;
    let mut json = Vec::new();
    let mut buf = String::new();
    let many = a.logs.len() > 1;
    for path in &a.logs {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading `{}`", path.display()))?;
        if text.trim_start().starts_with('{') {
            let log = super::bench::read_log(path)?;
            let analysis = analyze(&log);
            let rec = report::recommend(&analysis, &pol);
            let out = match a.format {
                ReportFormat::Json => {
                    json.push(serde_json::json!({
                        "log": path, "target": log.header.target,
                        "analysis": analysis, "recommendation": rec,
                    }));
                    continue;
                }
                ReportFormat::Table => super::ranking_text(&analysis, rec.as_ref(), top),
                ReportFormat::Csv => report::csv(&analysis),
                ReportFormat::Markdown => report::markdown(&analysis, top),
                ReportFormat::Svg => report::svg(&analysis, top),
            };
            emit(&mut buf, path, many, &out);
        } else {
            let rows = report::import_seed_log(&text);
            if rows.is_empty() {
                return Err(crate::error::hinted(
                    format!(
                        "`{}` is neither a hostkit log nor an ssh-performance.sh log (no `cipher: ... mac: ... kex: ...` lines)",
                        path.display()
                    ),
                    "pass a `.jsonl` file written by `hostkit ssh bench` or the output of `ssh-performance.sh run`",
                ));
            }
            match a.format {
                ReportFormat::Json => {
                    json.push(serde_json::json!({"log": path, "seed_rows": rows}))
                }
                ReportFormat::Table => emit(&mut buf, path, many, &seed_table(&rows, top)),
                ReportFormat::Csv => emit(&mut buf, path, many, &seed_csv(&rows)),
                ReportFormat::Markdown | ReportFormat::Svg => {
                    return Err(crate::error::hinted(
                        format!(
                            "`{}` is an ssh-performance.sh log, which has only whole seconds per combination",
                            path.display()
                        ),
                        "use `--format table`, `json` or `csv` for seed logs",
                    ));
                }
            }
        }
    }
    if a.format == ReportFormat::Json {
        let value = if json.len() == 1 {
            json.swap_remove(0)
        } else {
            serde_json::Value::Array(json)
        };
        buf = serde_json::to_string_pretty(&value).context("serialising the report")? + "\n";
    }
    match &a.out {
        Some(path) => crate::output::write_atomic(path, buf.as_bytes())?,
        None => crate::output::print_text(&buf)?,
    }
    Ok(Outcome::Ok)
}

/// Appends `text` to `buf`, under a `==> LOG <==` line when several logs are reported.
fn emit(buf: &mut String, path: &Path, many: bool, text: &str) {
    if many {
        buf.push_str(&format!("==> {} <==\n", path.display()));
    }
    buf.push_str(text);
}

/// The seed log's rows, fastest first (the seed's `report`, without its `uniq -c` quirks),
/// then per-cipher, per-MAC and per-kex mean seconds over measured rows.
fn seed_table(rows: &[SeedRow], top: usize) -> String {
    let mut ok: Vec<&SeedRow> = rows.iter().filter(|r| r.seconds.is_some()).collect();
    ok.sort_by(|a, b| {
        a.seconds
            .partial_cmp(&b.seconds)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut t = Table::new(&[
        ("SECONDS", Align::Right),
        ("CIPHER", Align::Left),
        ("MAC", Align::Left),
        ("KEX", Align::Left),
    ]);
    for r in ok.iter().take(top) {
        t.row([
            format!("{}", r.seconds.unwrap_or(0.0)),
            r.cipher.clone(),
            r.mac.clone(),
            r.kex.clone(),
        ]);
    }
    let mut out = format!(
        "Fastest {} of {} measured combinations (seed log, whole seconds)\n",
        top.min(ok.len()),
        ok.len()
    );
    if t.is_empty() {
        out.push_str("  no combination was measured (every row is n/a)\n");
    } else {
        out.push_str(&t.render());
    }
    for (title, key) in [("CIPHER", 0usize), ("MAC", 1), ("KEX", 2)] {
        let mut groups: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
        for r in &ok {
            let k = [&r.cipher, &r.mac, &r.kex][key].as_str();
            groups.entry(k).or_default().push(r.seconds.unwrap_or(0.0));
        }
        let mut g: Vec<(&str, f64, usize)> = groups
            .into_iter()
            .map(|(k, v)| (k, v.iter().sum::<f64>() / v.len() as f64, v.len()))
            .collect();
        g.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal));
        let mut t = Table::new(&[
            (title, Align::Left),
            ("MEAN S", Align::Right),
            ("ROWS", Align::Right),
        ]);
        for (k, mean, n) in g {
            t.row([k.to_string(), format!("{mean:.2}"), n.to_string()]);
        }
        out.push('\n');
        out.push_str(&t.render());
    }
    let failed: Vec<&SeedRow> = rows.iter().filter(|r| r.seconds.is_none()).collect();
    if !failed.is_empty() {
        out.push_str(&format!("\nfailed (n/a in the log): {}\n", failed.len()));
        for r in failed {
            out.push_str(&format!(
                "  {} {} {}: {}\n",
                r.cipher,
                r.mac,
                r.kex,
                r.failure.as_deref().unwrap_or("n/a")
            ));
        }
    }
    out
}

fn seed_csv(rows: &[SeedRow]) -> String {
    let mut s = String::from("cipher,mac,kex,seconds,failure\n");
    for r in rows {
        let q = |v: &str| format!("\"{}\"", v.replace('"', "\"\""));
        s.push_str(&format!(
            "{},{},{},{},{}\n",
            q(&r.cipher),
            q(&r.mac),
            q(&r.kex),
            r.seconds.map(|v| v.to_string()).unwrap_or_default(),
            q(r.failure.as_deref().unwrap_or(""))
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<SeedRow> {
        let row = |c: &str, m: &str, k: &str, s: Option<f64>, f: Option<&str>| SeedRow {
            cipher: c.into(),
            mac: m.into(),
            kex: k.into(),
            seconds: s,
            failure: f.map(Into::into),
        };
        vec![
            row(
                "aes128-ctr",
                "hmac-sha1",
                "curve25519-sha256",
                Some(6.0),
                None,
            ),
            row(
                "aes128-gcm@openssh.com",
                "hmac-sha1",
                "curve25519-sha256",
                Some(4.0),
                None,
            ),
            row(
                "aes128-ctr",
                "umac-64@openssh.com",
                "ecdh-sha2-nistp256",
                Some(5.0),
                None,
            ),
            row(
                "3des-cbc",
                "hmac-md5",
                "curve25519-sha256",
                None,
                Some("no matching cipher found"),
            ),
        ]
    }

    #[test]
    fn seed_table_ranks_fastest_first_with_group_means() {
        insta::assert_snapshot!(seed_table(&rows(), 2));
    }

    #[test]
    fn seed_csv_quotes_fields_and_keeps_failures() {
        let csv = seed_csv(&rows());
        assert_eq!(csv.lines().count(), 5);
        assert!(csv.contains(
            "\"3des-cbc\",\"hmac-md5\",\"curve25519-sha256\",,\"no matching cipher found\""
        ));
    }
}
