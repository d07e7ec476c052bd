//! The progress bar for `ssh bench`: an [`Observer`] drawing an indicatif bar with ETA on
//! stderr (hidden when stderr is not a terminal); refusals are printed above it.

use hostkit_sshbench::session::{Event, Observer};
use indicatif::ProgressBar;

/// Draws session events.
pub struct Bar {
    pub bar: ProgressBar,
}

impl Bar {
    pub fn new() -> Self {
        Bar {
            bar: crate::output::progress::bar(0, "starting"),
        }
    }
}

impl Observer for Bar {
    fn event(&mut self, event: &Event<'_>) {
        match event {
            Event::Planned { total } => self.bar.set_length(*total),
            Event::Phase { name } => self.bar.set_message(name.clone()),
            Event::Sample { .. } => self.bar.inc(1),
            Event::Unsupported { trial, reason } => {
                let line = format!("note: `{}` is not supported: {reason}", trial.id);
                if self.bar.is_hidden() {
                    eprintln!("{line}");
                } else {
                    self.bar.println(line);
                }
            }
        }
    }
}
