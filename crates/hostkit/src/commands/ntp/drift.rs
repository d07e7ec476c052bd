//! `hostkit ntp drift`: finds and reads a drift file (hostkit-ntp `drift` parses it) and
//! prints the frequency in ppm, ms/hour and s/day with the writing daemon's sign convention.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::Context;
use hostkit_ntp::drift::{self, DEFAULT_PATHS, Drift, DriftKind};
use hostkit_render::Envelope;
use serde_json::json;

use crate::cli::ntp::{DriftArgs, DriftFormat, DriftKindArg};
use crate::exit::Outcome;
use crate::output;

/// ntpd warns about frequencies this large; the kernel clamps at 500 ppm.
const LARGE_PPM: f64 = 100.0;

fn locate(args: &DriftArgs) -> anyhow::Result<(PathBuf, Option<DriftKind>)> {
    let forced = args.kind.map(|k| match k {
        DriftKindArg::Ntpd => DriftKind::Ntpd,
        DriftKindArg::Chrony => DriftKind::Chrony,
        DriftKindArg::Macos => DriftKind::Macos,
    });
    if let Some(file) = &args.file {
        return Ok((file.clone(), forced));
    }
    for (path, kind) in DEFAULT_PATHS {
        if Path::new(path).is_file() {
            // The macOS location implies the macOS daemon unless --kind says otherwise.
            let kind = forced.or((*kind == DriftKind::Macos).then_some(DriftKind::Macos));
            return Ok((PathBuf::from(path), kind));
        }
    }
    let tried: Vec<&str> = DEFAULT_PATHS.iter().map(|(p, _)| *p).collect();
    Err(crate::error::hinted(
        format!("no drift file found (tried {})", tried.join(", ")),
        "pass the file, e.g. `hostkit ntp drift /path/to/ntp.drift`; macOS 10.13+ keeps no drift file",
    ))
}

fn age_text(seconds: u64) -> String {
    match seconds {
        s if s < 120 => format!("{s} s ago"),
        s if s < 7200 => format!("{} min ago", s / 60),
        s if s < 172_800 => format!("{} h ago", s / 3600),
        s => format!("{} days ago", s / 86_400),
    }
}

fn meaning(d: &Drift) -> String {
    let gain = d.gain_ppm();
    let verb = if gain >= 0.0 { "gains" } else { "loses" };
    format!(
        "without correction this clock {verb} {:.2} ms/hour ({:.3} s/day)",
        drift::ms_per_hour(gain.abs()),
        drift::seconds_per_day(gain.abs())
    )
}

/// The schema of `ntp drift --format json` (docs/ntp.md).
const DRIFT_SCHEMA_VERSION: u32 = 1;

fn table(path: &Path, d: &Drift, age: Option<u64>) -> String {
    let ppm = d.frequency_ppm;
    let kind = match d.kind {
        DriftKind::Ntpd => "ntpd/ntpsec",
        DriftKind::Chrony => "chrony",
        DriftKind::Macos => "macOS ntpd",
    };
    let mut out = format!("file       {} ({kind} format", path.display());
    if let Some(a) = age {
        out.push_str(&format!(", modified {}", age_text(a)));
    }
    out.push_str(")\n");
    out.push_str(&format!(
        "frequency  {ppm:.3} ppm = {:.2} ms/hour = {:.3} s/day\n",
        drift::ms_per_hour(ppm),
        drift::seconds_per_day(ppm)
    ));
    if let Some(skew) = d.skew_ppm {
        out.push_str(&format!(
            "skew       {skew:.3} ppm (chrony's error bound on the frequency)\n"
        ));
    }
    out.push_str(&format!("meaning    {}\n", meaning(d)));
    out.push_str(&format!("sign       {}\n", d.kind.sign_convention()));
    out
}

/// Runs `hostkit ntp drift`.
pub fn run(args: &DriftArgs) -> anyhow::Result<Outcome> {
    let (path, kind) = locate(args)?;
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read drift file `{}`", path.display()))?;
    let d = drift::parse(&text, kind).with_context(|| format!("in `{}`", path.display()))?;
    let age = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .map(|a| a.as_secs());
    let ppm = d.frequency_ppm;
    if d.pinned() {
        crate::error::warn(
            format!("{ppm:.3} ppm is ntpd's ±500 ppm limit: the real error is probably larger"),
            Some("check the hardware clock or the kernel clocksource"),
        );
    } else if ppm.abs() > LARGE_PPM {
        eprintln!("warning: {ppm:.3} ppm is unusually large (more than {LARGE_PPM} ppm)");
    }
    let text = match args.format {
        DriftFormat::Json => {
            let data = json!({
                "file": path.display().to_string(),
                "kind": d.kind,
                "frequency_ppm": ppm,
                "skew_ppm": d.skew_ppm,
                "ms_per_hour": drift::ms_per_hour(ppm),
                "seconds_per_day": drift::seconds_per_day(ppm),
                "uncorrected_gain_ppm": d.gain_ppm(),
                "age_seconds": age,
                "sign_convention": d.kind.sign_convention(),
            });
            Envelope::new(
                "ntp drift",
                DRIFT_SCHEMA_VERSION,
                output::now_unix_seconds(),
                data,
            )
            .to_pretty()
        }
        DriftFormat::Table => table(&path, &d, age),
    };
    output::emit(args.output.as_deref(), text.as_bytes())?;
    // A frequency pinned at the kernel limit means the daemon cannot keep up: a negative verdict.
    Ok(if d.pinned() {
        Outcome::Negative
    } else {
        Outcome::Ok
    })
}
