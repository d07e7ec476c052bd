//! Progress bars on stderr (indicatif), hidden when stderr is not a terminal or when the user
//! asked for quiet output, so scripts and CI logs stay clean.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar of `len` steps with ETA, drawn on stderr only when it is a terminal.
pub fn bar(len: u64, message: &str) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(Some(len), draw_target());
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg} [{elapsed_precise}] [{wide_bar}] {pos}/{len} ETA {eta}",
        )
        .expect("static progress template is valid")
        .progress_chars("=> "),
    );
    pb.set_message(message.to_string());
    pb
}

/// A spinner for work of unknown length, drawn on stderr only when it is a terminal.
pub fn spinner(message: &str) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(None, draw_target());
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed_precise}]")
            .expect("static spinner template is valid"),
    );
    pb.set_message(message.to_string());
    pb
}

fn draw_target() -> ProgressDrawTarget {
    if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}
