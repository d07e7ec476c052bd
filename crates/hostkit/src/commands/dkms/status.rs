//! `dkms status`: the scan of `hostkit_dkms::sys::scan`, printed as dkms 3.0.10 prints it
//! (stderr messages of each pass first, then its lines) or as JSON.

use hostkit_dkms::args::Invocation;
use hostkit_dkms::kernel::KernelRange;
use hostkit_dkms::status::Report;
use hostkit_dkms::sys::ConfReader;
use hostkit_dkms::sys::scan::{Query, Scanner};

use super::{print_error, roots_of};

/// Runs `status`; always exit 0 like dkms, except hostkit's own bad options (2).
pub fn run(inv: &Invocation) -> u8 {
    let roots = roots_of(inv);
    let range = match inv.kernel_range.as_deref().map(KernelRange::parse) {
        Some(Err(e)) => {
            eprintln!("error: {e}");
            return crate::exit::DKMS_BAD_OPTION;
        }
        Some(Ok(r)) => Some(r),
        None => None,
    };
    let mut reader = ConfReader::default();
    let mut scanner = Scanner {
        roots: &roots,
        reader: &mut reader,
    };
    let q = Query {
        module: inv.module.clone(),
        version: inv.version.clone(),
        kernels: inv.kernels.clone(),
        arches: inv.arches.clone(),
    };
    let mut reports = scanner.status(&q);
    if let Some(r) = &range {
        for rep in &mut reports {
            rep.entries
                .retain(|e| e.kernel.as_deref().is_none_or(|k| r.matches(k)));
        }
    }
    let json = match inv.format.as_deref() {
        None | Some("text") => false,
        Some("json") => true,
        Some(other) => {
            eprintln!("error: unknown format `{other}`; expected `text` or `json`");
            return crate::exit::DKMS_BAD_OPTION;
        }
    };
    let mut out: Vec<u8> = Vec::new();
    if json {
        let merged = Report {
            entries: reports.iter().flat_map(|r| r.entries.clone()).collect(),
            errors: reports.iter().flat_map(|r| r.errors.clone()).collect(),
            truncated: reports.iter().any(|r| r.truncated),
        };
        let v = serde_json::json!({
            "entries": merged.entries,
            "errors": merged.errors,
            "truncated": merged.truncated,
        });
        let env = hostkit_render::json::Envelope::new("dkms status", 1, super::now(), v);
        out.extend(env.to_pretty().bytes());
        for r in &reports {
            if !r.errors.is_empty() {
                print_error(&r.errors);
            }
        }
    } else {
        for r in &reports {
            // dkms prints them as they happen: before the pass's lines.
            for l in &r.errors {
                eprintln!("{l}");
            }
            out.extend(r.text().bytes());
        }
    }
    match crate::output::emit(inv.output.as_deref().map(std::path::Path::new), &out) {
        Ok(()) => crate::exit::OK,
        Err(e) if crate::exit::is_broken_pipe(&e) => crate::exit::OK,
        Err(e) => {
            eprintln!("error: {e:#}");
            crate::exit::ERROR
        }
    }
}
