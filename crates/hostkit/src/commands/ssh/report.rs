//! `hostkit ssh report`: re-analyses hostkit JSON-lines logs and the seed script's logs.
//! Logs of one host with the same plan are merged, several hosts share one table (HOST
//! column), `--compare A B` puts two runs side by side; table, JSON, CSV, Markdown, SVG charts
//! or one self-contained HTML page; `-` reads stdin, `--output FILE` writes atomically.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use hostkit_render::Envelope;
use hostkit_render::csv::field as csv_field;
use hostkit_sshbench::analyze::{Analysis, analyze};
use hostkit_sshbench::policy::Policy;
use hostkit_sshbench::record::{self, Log};
use hostkit_sshbench::report::{
    self, ChartMeta, Comparison, RecommendOptions, Recommendation, Run, SeedRow, Style,
};

use super::policy;
use crate::cli::ssh::{ReportArgs, ReportFormat, StyleArg};
use crate::error::{ResultExt, hinted};
use crate::exit::Outcome;
use crate::output::now_unix_seconds;

/// Schema of `ssh report --format json` (2: runs per host, seed logs apart, the envelope).
const SCHEMA_VERSION: u32 = 2;
use crate::output::table::{Align, Table};

/// One input after reading.
enum Input {
    Hostkit(String, Box<Log>),
    Seed(String, Vec<SeedRow>),
}

/// One run ready to render.
struct Analysed {
    run: Run,
    analysis: Analysis,
    rec: Option<Recommendation>,
}

pub fn run(a: ReportArgs) -> anyhow::Result<Outcome> {
    let pol = policy(&a.policy)?;
    let top = a.top as usize;
    let buf = match &a.compare {
        Some(pair) => compare(pair, a.format)?,
        None => {
            let inputs = read_inputs(&a.logs)?;
            report(inputs, &a, &pol, top)?
        }
    };
    crate::output::emit(a.output.as_deref(), buf.as_bytes())?;
    Ok(Outcome::Ok)
}

/// Reads every LOG (`-` = stdin, at most once) and tells hostkit logs from seed logs.
fn read_inputs(paths: &[PathBuf]) -> anyhow::Result<Vec<Input>> {
    if paths.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return Err(hinted(
            "`-` (stdin) is given more than once",
            "stdin can be read only once; pass the other logs as files",
        ));
    }
    let mut out = Vec::new();
    for path in paths {
        let (name, text) = if path.as_os_str() == "-" {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("reading the log from stdin")?;
            ("stdin".to_owned(), s)
        } else {
            let s = std::fs::read_to_string(path)
                .with_context(|| format!("reading `{}`", path.display()))?;
            (path.display().to_string(), s)
        };
        if text.trim_start().starts_with('{') {
            let log = record::parse_log(&text)
                .with_context(|| format!("`{name}` is not a hostkit ssh bench log"))
                .hint("pass a file written by `hostkit ssh bench`")?;
            out.push(Input::Hostkit(name, Box::new(log)));
        } else {
            let rows = report::import_seed_log(&text);
            if rows.is_empty() {
                return Err(hinted(
                    format!(
                        "`{name}` is neither a hostkit log nor an ssh-performance.sh log (no `cipher: ... mac: ... kex: ...` lines)"
                    ),
                    "pass a `.jsonl` file written by `hostkit ssh bench` or the output of `ssh-performance.sh run`",
                ));
            }
            out.push(Input::Seed(name, rows));
        }
    }
    Ok(out)
}

fn options(style: StyleArg, log: Option<&Log>, coarse: bool) -> RecommendOptions {
    RecommendOptions {
        style: match style {
            StyleArg::Exact => Style::Exact,
            StyleArg::Prepend => Style::Prepend,
        },
        host_pattern: "*".into(),
        supported: log.and_then(|l| l.header.negotiable.clone()),
        coarse,
    }
}

fn report(inputs: Vec<Input>, a: &ReportArgs, pol: &Policy, top: usize) -> anyhow::Result<String> {
    let mut logs = Vec::new();
    let mut seeds = Vec::new();
    for i in inputs {
        match i {
            Input::Hostkit(n, l) => logs.push((n, *l)),
            Input::Seed(n, r) => seeds.push((n, r)),
        }
    }
    let runs: Vec<Analysed> = report::merge(logs)
        .into_iter()
        .map(|run| {
            let analysis = analyze(&run.log);
            let rec =
                report::recommend_with(&analysis, pol, &options(a.style, Some(&run.log), false));
            Analysed { run, analysis, rec }
        })
        .collect();
    let seed_recs: Vec<(String, Vec<SeedRow>, Option<Recommendation>)> = seeds
        .into_iter()
        .map(|(n, rows)| {
            let analysis = report::seed_analysis(&rows);
            let rec = report::recommend_with(&analysis, pol, &options(a.style, None, true));
            (n, rows, rec)
        })
        .collect();
    let many = runs.len() + seed_recs.len() > 1;
    let mut buf = String::new();
    match a.format {
        ReportFormat::Json => {
            let value = serde_json::json!({
                "runs": runs.iter().map(|r| serde_json::json!({
                    "host": r.run.host, "logs": r.run.sources, "target": r.run.log.header.target,
                    "analysis": r.analysis, "recommendation": r.rec,
                })).collect::<Vec<_>>(),
                "seed_logs": seed_recs.iter().map(|(n, rows, rec)| serde_json::json!({
                    "log": n, "rows": rows, "recommendation": rec,
                })).collect::<Vec<_>>(),
            });
            buf =
                Envelope::new("ssh report", SCHEMA_VERSION, now_unix_seconds(), value).to_pretty();
        }
        ReportFormat::Table => {
            if runs.len() > 1 {
                buf.push_str(&hosts_table(&runs, top));
                buf.push('\n');
            }
            for r in &runs {
                header_line(&mut buf, &r.run, many);
                buf.push_str(&super::ranking_text(&r.analysis, r.rec.as_ref(), top));
            }
            for (n, rows, rec) in &seed_recs {
                if many {
                    buf.push_str(&format!("==> {n} <==\n"));
                }
                buf.push_str(&seed_table(rows, top));
                if let Some(r) = rec {
                    buf.push_str(&format!(
                        "\nRecommended under the `{}` policy (coarse: from whole seconds), for ~/.ssh/config:\n{}\n",
                        r.policy, r.ssh_config
                    ));
                }
            }
        }
        ReportFormat::Csv => {
            for (i, r) in runs.iter().enumerate() {
                let csv = report::csv(&r.analysis);
                for (j, line) in csv.lines().enumerate() {
                    if j == 0 && i > 0 {
                        continue;
                    }
                    let host = if j == 0 {
                        "host".to_owned()
                    } else {
                        csv_field(&r.run.host).into_owned()
                    };
                    buf.push_str(&format!("{host},{line}\n"));
                }
            }
            for (n, rows, _) in &seed_recs {
                if !runs.is_empty() || seed_recs.len() > 1 {
                    return Err(hinted(
                        format!(
                            "`{n}` is an ssh-performance.sh log; CSV of seed logs has other columns"
                        ),
                        "export seed logs one at a time and apart from hostkit logs",
                    ));
                }
                buf.push_str(&seed_csv(rows));
            }
        }
        ReportFormat::Markdown => {
            no_seed(&seed_recs, "markdown")?;
            for r in &runs {
                if many {
                    buf.push_str(&format!("## {}\n\n", r.run.host));
                }
                buf.push_str(&report::markdown(&r.analysis, top));
            }
        }
        ReportFormat::Svg => {
            no_seed(&seed_recs, "svg")?;
            if runs.len() > 1 {
                return Err(hinted(
                    format!(
                        "{} hosts (or plans) in one SVG would be unreadable",
                        runs.len()
                    ),
                    "use `--format html` for one page with a chart per host, or report one host's logs",
                ));
            }
            if let Some(r) = runs.first() {
                buf = report::svg(&r.analysis, &meta(&r.run), top);
            }
        }
        ReportFormat::Html => {
            no_seed(&seed_recs, "html")?;
            let pages: Vec<report::HtmlRun> = runs
                .iter()
                .map(|r| report::HtmlRun {
                    meta: meta(&r.run),
                    analysis: &r.analysis,
                    recommendation: r.rec.as_ref(),
                    sources: r.run.sources.clone(),
                })
                .collect();
            buf = report::html(&pages, top);
        }
    }
    Ok(buf)
}

fn no_seed(
    seeds: &[(String, Vec<SeedRow>, Option<Recommendation>)],
    fmt: &str,
) -> anyhow::Result<()> {
    if let Some((n, _, _)) = seeds.first() {
        return Err(hinted(
            format!(
                "`{n}` is an ssh-performance.sh log, which has only whole seconds per combination"
            ),
            format!(
                "`--format {fmt}` needs hostkit logs; use `--format table`, `json` or `csv` for seed logs"
            ),
        ));
    }
    Ok(())
}

/// `==> host (logs) <==` above each run when several are reported.
fn header_line(buf: &mut String, run: &Run, many: bool) {
    if many {
        buf.push_str(&format!(
            "==> {} ({}) <==\n",
            run.host,
            run.sources.join(", ")
        ));
    }
}

/// Subtitle facts of a run's charts.
fn meta(run: &Run) -> ChartMeta {
    let h = &run.log.header;
    let t = crate::output::civil::utc(h.started_unix);
    ChartMeta {
        host: run.host.clone(),
        cpu: h.cpu_model.clone(),
        openssh: h
            .ssh_version
            .split([',', ' '])
            .next()
            .unwrap_or("")
            .to_owned(),
        date: format!(
            "{:04}-{:02}-{:02} {:02}:{:02} UTC",
            t.year, t.month, t.day, t.hour, t.minute
        ),
    }
}

/// All hosts' top rows in one table with a HOST column (fastest first per host).
fn hosts_table(runs: &[Analysed], top: usize) -> String {
    let mut t = Table::new(&[
        ("HOST", Align::Left),
        ("RANK", Align::Right),
        ("CIPHER + MAC", Align::Left),
        ("DIR", Align::Left),
        ("MB/S", Align::Right),
        ("95% CI", Align::Right),
        ("N", Align::Right),
    ]);
    for r in runs {
        let rows: Vec<_> = r.analysis.bulk.iter().take(top).collect();
        let ranks = report::tie_ranks(&rows);
        for (b, rank) in rows.iter().zip(&ranks) {
            let tied = ranks.iter().filter(|k| *k == rank).count() > 1;
            t.row([
                r.run.host.clone(),
                format!("{rank}{}", if tied { "=" } else { "" }),
                b.label(),
                b.direction.label().to_owned(),
                format!("{:.1}", b.mbps.median),
                format!("{:.1}..{:.1}", b.mbps.ci_low, b.mbps.ci_high),
                b.mbps.n.to_string(),
            ]);
        }
    }
    let mut out = format!(
        "Bulk throughput of {} hosts, top {top} each (equal rank `N=`: 95% CIs overlap; details per host below)\n",
        runs.len()
    );
    out.push_str(&t.render());
    let picks: Vec<String> = runs
        .iter()
        .filter_map(|r| {
            r.rec.as_ref().map(|rec| {
                format!(
                    "  {}: {}",
                    r.run.host,
                    rec.mac
                        .as_ref()
                        .map_or(rec.cipher.clone(), |m| format!("{} + {m}", rec.cipher))
                )
            })
        })
        .collect();
    if !picks.is_empty() {
        out.push_str("\nRecommended pick per host:\n");
        out.push_str(&picks.join("\n"));
        out.push('\n');
    }
    out
}

/// `--compare A B`.
fn compare(pair: &[PathBuf], format: ReportFormat) -> anyhow::Result<String> {
    let [pa, pb] = pair else {
        return Err(hinted(
            "`--compare` takes two logs",
            "`hostkit ssh report --compare A.jsonl B.jsonl`",
        ));
    };
    let read = |p: &Path| -> anyhow::Result<Analysis> {
        match read_inputs(&[p.to_path_buf()])?.pop() {
            Some(Input::Hostkit(_, log)) => Ok(analyze(&log)),
            _ => Err(hinted(
                format!(
                    "`{}` is an ssh-performance.sh log; `--compare` needs hostkit logs (with CIs)",
                    p.display()
                ),
                "rerun the seed's combinations with `hostkit ssh bench`",
            )),
        }
    };
    let (a, b) = (read(pa)?, read(pb)?);
    let c = report::compare(&a, &b);
    if c.rows.is_empty() {
        return Err(hinted(
            format!(
                "`{}` and `{}` have no combination in common",
                pa.display(),
                pb.display()
            ),
            "compare logs of runs with overlapping `--ciphers`/`--macs`/`--kex`",
        ));
    }
    Ok(match format {
        ReportFormat::Json => Envelope::new(
            "ssh report --compare",
            SCHEMA_VERSION,
            now_unix_seconds(),
            serde_json::json!({"a": pa, "b": pb, "comparison": c}),
        )
        .to_pretty(),
        ReportFormat::Table => compare_table(&c, pa, pb),
        other => {
            return Err(hinted(
                format!(
                    "`--compare` renders as `table` or `json`, not `{}`",
                    format!("{other:?}").to_lowercase()
                ),
                "drop `--format` or use `--format json`",
            ));
        }
    })
}

fn compare_table(c: &Comparison, pa: &Path, pb: &Path) -> String {
    let mut t = Table::new(&[
        ("KIND", Align::Left),
        ("COMBINATION", Align::Left),
        ("A", Align::Right),
        ("B", Align::Right),
        ("UNIT", Align::Left),
        ("B/A", Align::Right),
        ("95% CI", Align::Right),
        ("B IS", Align::Left),
    ]);
    for r in &c.rows {
        t.row([
            r.kind.clone(),
            r.name.clone(),
            format!("{:.1}", r.a_median),
            format!("{:.1}", r.b_median),
            r.unit.clone(),
            format!("{:.3}", r.ratio),
            format!("{:.3}..{:.3}", r.ratio_low, r.ratio_high),
            r.verdict.clone(),
        ]);
    }
    let mut out = format!(
        "B = `{}` against A = `{}`: {} faster, {} slower, {} tied (95% CIs overlap) of {}\n",
        pb.display(),
        pa.display(),
        c.count("faster"),
        c.count("slower"),
        c.count("tied"),
        c.rows.len()
    );
    out.push_str(&t.render());
    if !c.only_a.is_empty() {
        out.push_str(&format!("\nonly in A: {}\n", c.only_a.join(", ")));
    }
    if !c.only_b.is_empty() {
        out.push_str(&format!("\nonly in B: {}\n", c.only_b.join(", ")));
    }
    out
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

/// The seed rows as CSV, fields escaped by the one CSV escaper.
fn seed_csv(rows: &[SeedRow]) -> String {
    let mut s = String::from("cipher,mac,kex,seconds,failure\n");
    for r in rows {
        s.push_str(&format!(
            "{},{},{},{},{}\n",
            csv_field(&r.cipher),
            csv_field(&r.mac),
            csv_field(&r.kex),
            r.seconds.map(|v| v.to_string()).unwrap_or_default(),
            csv_field(r.failure.as_deref().unwrap_or(""))
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
    fn seed_csv_quotes_fields_when_needed_and_keeps_failures() {
        let mut rows = rows();
        rows[3].failure = Some("no matching cipher found, \"x\"".into());
        let csv = seed_csv(&rows);
        assert_eq!(csv.lines().count(), 5);
        assert!(
            csv.contains(
                "3des-cbc,hmac-md5,curve25519-sha256,,\"no matching cipher found, \"\"x\"\"\""
            ),
            "{csv}"
        );
    }
}
