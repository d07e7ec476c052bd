//! Performance data, guidelines §"Performance data": `'label'=value[UOM];[warn];[crit];[min];[max]`,
//! labels quoted when they contain spaces or quotes (`'` doubled), `U` for an unknown value,
//! trailing empty fields dropped. Values are printed in fixed notation (no exponent).

/// One performance-data item.
#[derive(Debug, Clone, PartialEq)]
pub struct PerfData {
    /// Label; must not contain `=`.
    pub label: String,
    /// The value, `None` prints `U`.
    pub value: Option<f64>,
    /// Decimals used for the value (min and max print in shortest form).
    pub decimals: usize,
    /// Unit of measure (`s`, `ms`, `%`, `B`, `c` or empty).
    pub uom: &'static str,
    /// Warning range text.
    pub warn: Option<String>,
    /// Critical range text.
    pub crit: Option<String>,
    /// Minimum possible value.
    pub min: Option<f64>,
    /// Maximum possible value.
    pub max: Option<f64>,
}

impl PerfData {
    /// A value with a unit, no thresholds, no bounds.
    pub fn new(label: &str, value: Option<f64>, decimals: usize, uom: &'static str) -> PerfData {
        PerfData {
            label: label.to_string(),
            value,
            decimals,
            uom,
            warn: None,
            crit: None,
            min: None,
            max: None,
        }
    }

    /// Sets the warning and critical range texts.
    pub fn thresholds(mut self, warn: Option<String>, crit: Option<String>) -> PerfData {
        self.warn = warn;
        self.crit = crit;
        self
    }

    /// Sets the minimum and maximum.
    pub fn bounds(mut self, min: Option<f64>, max: Option<f64>) -> PerfData {
        self.min = min;
        self.max = max;
        self
    }
}

impl std::fmt::Display for PerfData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.label.contains([' ', '\'', '=']) {
            write!(f, "'{}'=", self.label.replace('\'', "''").replace('=', "_"))?;
        } else {
            write!(f, "{}=", self.label)?;
        }
        let num = |v: f64| format!("{v:.*}", self.decimals);
        match self.value {
            Some(v) if v.is_finite() => write!(f, "{}{}", num(v), self.uom)?,
            _ => f.write_str("U")?,
        }
        let fields = [
            self.warn.clone(),
            self.crit.clone(),
            self.min.map(|v| v.to_string()),
            self.max.map(|v| v.to_string()),
        ];
        let used = fields
            .iter()
            .rposition(Option::is_some)
            .map_or(0, |i| i + 1);
        for field in &fields[..used] {
            write!(f, ";{}", field.as_deref().unwrap_or(""))?;
        }
        Ok(())
    }
}

/// Joins items with single spaces, as the guidelines require.
pub fn join(items: &[PerfData]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_fields_and_drops_trailing_empties() {
        let p = PerfData::new("offset", Some(-0.746165), 6, "s")
            .thresholds(Some("-0.5:0.5".into()), Some("-1:1".into()));
        assert_eq!(p.to_string(), "offset=-0.746165s;-0.5:0.5;-1:1");
        let p = PerfData::new("stratum", Some(2.0), 0, "").bounds(Some(0.0), Some(16.0));
        assert_eq!(p.to_string(), "stratum=2;;;0;16");
        let p = PerfData::new("delay", None, 6, "s").bounds(Some(0.0), None);
        assert_eq!(p.to_string(), "delay=U;;;0");
        assert_eq!(PerfData::new("x", Some(1.0), 0, "c").to_string(), "x=1c");
    }

    #[test]
    fn quotes_labels() {
        let p = PerfData::new("offset ::1", Some(0.0), 1, "s");
        assert_eq!(p.to_string(), "'offset ::1'=0.0s");
        let p = PerfData::new("it's", Some(0.0), 0, "");
        assert_eq!(p.to_string(), "'it''s'=0");
        let items = [p.clone(), p];
        assert_eq!(join(&items), "'it''s'=0 'it''s'=0");
    }
}
