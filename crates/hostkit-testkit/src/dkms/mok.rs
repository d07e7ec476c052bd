//! The MOK signing pair: generated with openssl exactly as dkms 3.0.10 generates it, once per
//! test run; the certificate's serial and CN as modinfo shows them.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// A MOK signing key and DER certificate.
#[derive(Debug, Clone)]
pub struct Mok {
    /// Private key (PEM), for `mok_signing_key`.
    pub key: PathBuf,
    /// Certificate (DER), for `mok_certificate`.
    pub cert: PathBuf,
}

/// Generates a key pair exactly as dkms 3.0.10 does when none exists (RSA-2048, 100 years,
/// CN "DKMS module signing key", DER certificate).
pub fn generate_mok(key: &Path, cert: &Path) {
    let st = Command::new("openssl")
        .args(["req", "-new", "-x509", "-nodes", "-days", "36500"])
        .args([
            "-subj",
            "/CN=DKMS module signing key",
            "-newkey",
            "rsa:2048",
        ])
        .arg("-keyout")
        .arg(key)
        .args(["-outform", "DER", "-out"])
        .arg(cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run openssl (install it: scripts/install-deps)");
    assert!(st.success(), "openssl req failed");
}

/// The key pair shared by every root of this test run, generated on first use in a directory
/// named after this process (directories left by dead test processes are removed then).
pub fn mok() -> &'static Mok {
    static MOK: OnceLock<Mok> = OnceLock::new();
    MOK.get_or_init(|| {
        let tmp = std::env::temp_dir();
        if let Ok(rd) = fs::read_dir(&tmp) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(pid) = name.strip_prefix("hostkit-dkms-mok.")
                    && !Path::new("/proc").join(pid).exists()
                {
                    let _ = fs::remove_dir_all(e.path());
                }
            }
        }
        let dir = tmp.join(format!("hostkit-dkms-mok.{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
        let mok = Mok {
            key: dir.join("mok.key"),
            cert: dir.join("mok.pub"),
        };
        generate_mok(&mok.key, &mok.cert);
        mok
    })
}

/// The certificate's serial in modinfo's `sig_key` form without colons, upper case
/// (what dell/dkms run_test.sh compares).
pub fn cert_serial(cert: &Path) -> String {
    let out = Command::new("openssl")
        .args(["x509", "-serial", "-inform", "DER", "-noout", "-in"])
        .arg(cert)
        .output()
        .expect("openssl x509");
    let s = String::from_utf8(out.stdout).unwrap();
    s.trim()
        .trim_start_matches("serial=")
        .trim_start_matches("SERIAL=")
        .to_uppercase()
}

/// The certificate's subject CN.
pub fn cert_cn(cert: &Path) -> String {
    let out = Command::new("openssl")
        .args([
            "x509",
            "-subject",
            "-inform",
            "DER",
            "-noout",
            "-nameopt",
            "multiline",
            "-in",
        ])
        .arg(cert)
        .output()
        .expect("openssl x509");
    let s = String::from_utf8(out.stdout).unwrap();
    s.lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("commonName")
                .map(|v| v.trim().trim_start_matches('=').trim().to_owned())
        })
        .unwrap_or_default()
}
