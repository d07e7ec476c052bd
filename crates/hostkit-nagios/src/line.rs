//! The plugin output: `SERVICE STATUS: text|perfdata` on the first line, then optional long
//! text lines (guidelines §"Plugin output for Nagios").

use crate::{PerfData, Status, perfdata};

/// Everything a plugin prints on stdout.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginOutput {
    /// Service name, e.g. `NTP`.
    pub service: String,
    /// The state (also the exit code).
    pub status: Status,
    /// Human summary on the first line.
    pub summary: String,
    /// Performance data for the first line.
    pub perfdata: Vec<PerfData>,
    /// Extra lines after the first (details).
    pub long_text: Vec<String>,
}

impl PluginOutput {
    /// The complete stdout text, ending with a newline.
    pub fn render(&self) -> String {
        let summary = self.summary.replace('|', "/");
        let mut out = format!("{} {}: {}", self.service, self.status.label(), summary);
        if !self.perfdata.is_empty() {
            out.push('|');
            out.push_str(&perfdata::join(&self.perfdata));
        }
        out.push('\n');
        for line in &self.long_text {
            out.push_str(&line.replace('|', "/"));
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_first_line_and_long_text() {
        let out = PluginOutput {
            service: "NTP".into(),
            status: Status::Warning,
            summary: "offset -0.75s a|b".into(),
            perfdata: vec![PerfData::new("offset", Some(-0.75), 2, "s")],
            long_text: vec!["detail".into()],
        };
        assert_eq!(
            out.render(),
            "NTP WARNING: offset -0.75s a/b|offset=-0.75s\ndetail\n"
        );
        let bare = PluginOutput {
            perfdata: vec![],
            long_text: vec![],
            ..out
        };
        assert_eq!(bare.render(), "NTP WARNING: offset -0.75s a/b\n");
    }
}
