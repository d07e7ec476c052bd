//! The JSON envelope of every `--format json` output and every log header: which schema the
//! document follows, which hostkit wrote it, for which command and when (UTC). The command's
//! own fields are flattened beside these, so `jq .schema_version` works on every output.
//! A consumer checks `schema_version` (an integer per command, bumped on any incompatible
//! change) and ignores fields it does not know.

use serde::Serialize;

/// The name of the field that carries the schema version.
pub const SCHEMA_VERSION_FIELD: &str = "schema_version";

/// A command's JSON document with the house header fields. `data` must serialise as a map
/// (a struct or a `serde_json::Value::Object`): its fields sit beside the header's.
#[derive(Debug, Clone, Serialize)]
pub struct Envelope<'a, T: Serialize> {
    /// The schema of this command's document.
    pub schema_version: u32,
    /// The hostkit version that wrote it.
    pub hostkit_version: &'static str,
    /// The command, e.g. `ntp check`.
    pub command: &'a str,
    /// When it was produced, RFC 3339 UTC.
    pub generated_at: String,
    /// The command's own fields.
    #[serde(flatten)]
    pub data: T,
}

impl<'a, T: Serialize> Envelope<'a, T> {
    /// Wraps `data` for `command` at `unix_seconds` (the caller reads the clock).
    pub fn new(command: &'a str, schema_version: u32, unix_seconds: f64, data: T) -> Self {
        Envelope {
            schema_version,
            hostkit_version: env!("CARGO_PKG_VERSION"),
            command,
            generated_at: crate::civil::rfc3339(unix_seconds),
            data,
        }
    }

    /// Pretty JSON plus a final newline.
    pub fn to_pretty(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("an Envelope always serialises");
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Drift {
        ppm: f64,
    }

    #[test]
    fn header_fields_sit_beside_the_data() {
        let e = Envelope::new("ntp drift", 3, 0.0, Drift { ppm: -4.5 });
        let v: serde_json::Value = serde_json::from_str(&e.to_pretty()).unwrap();
        assert_eq!(v[SCHEMA_VERSION_FIELD], 3);
        assert_eq!(v["command"], "ntp drift");
        assert_eq!(v["generated_at"], "1970-01-01T00:00:00Z");
        assert_eq!(v["hostkit_version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(v["ppm"], -4.5);
    }

    #[test]
    fn json_values_flatten_too() {
        let data = serde_json::json!({"servers": []});
        let v = serde_json::to_value(Envelope::new("ntp check", 1, 0.0, data)).unwrap();
        assert!(v["servers"].is_array());
    }
}
