//! The `version:` and `srcversion:` fields dkms reads with `modinfo`, taken in-process from
//! the `.modinfo` ELF section of an uncompressed `.ko`; compressed modules go through the
//! real `modinfo`.

use std::path::Path;
use std::process::Command;

/// dkms's `get_module_verinfo`: (first word of `version`, `srcversion` or the checksum).
pub fn verinfo(path: &str) -> (String, String) {
    if path.is_empty() {
        return Default::default();
    }
    let fields = if path.ends_with(".ko") {
        std::fs::read(path)
            .ok()
            .and_then(|b| modinfo_section(&b).map(parse_fields))
    } else {
        None
    };
    let fields = fields.unwrap_or_else(|| run_modinfo(Path::new(path)));
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let version = get("version");
    let mut words = version.split_ascii_whitespace();
    let ver = words.next().unwrap_or("").to_string();
    let checksum = words.next().unwrap_or("").to_string();
    let src = get("srcversion");
    let src = if src.is_empty() { checksum } else { src };
    (
        ver,
        src.split_ascii_whitespace()
            .next()
            .unwrap_or("")
            .to_string(),
    )
}

fn parse_fields(sec: &[u8]) -> Vec<(String, String)> {
    sec.split(|b| *b == 0)
        .filter_map(|kv| {
            let s = String::from_utf8_lossy(kv);
            s.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect()
}

fn run_modinfo(path: &Path) -> Vec<(String, String)> {
    let Ok(out) = Command::new("modinfo").arg(path).output() else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            Some((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

/// The bytes of the `.modinfo` section of a little-endian ELF64 object.
pub fn modinfo_section(b: &[u8]) -> Option<&[u8]> {
    if b.get(..4)? != b"\x7fELF" || *b.get(4)? != 2 || *b.get(5)? != 1 {
        return None;
    }
    let u16_at = |o: usize| Some(u16::from_le_bytes(b.get(o..o + 2)?.try_into().ok()?));
    let u32_at = |o: usize| Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?));
    let u64_at = |o: usize| Some(u64::from_le_bytes(b.get(o..o + 8)?.try_into().ok()?));
    let shoff = usize::try_from(u64_at(0x28)?).ok()?;
    let shentsize = usize::from(u16_at(0x3a)?);
    let shnum = usize::from(u16_at(0x3c)?);
    let shstrndx = usize::from(u16_at(0x3e)?);
    let sec = |i: usize| -> Option<(u32, usize, usize)> {
        let h = shoff.checked_add(i.checked_mul(shentsize)?)?;
        Some((
            u32_at(h)?,
            usize::try_from(u64_at(h + 0x18)?).ok()?,
            usize::try_from(u64_at(h + 0x20)?).ok()?,
        ))
    };
    let (_, stroff, strsize) = sec(shstrndx)?;
    let strtab = b.get(stroff..stroff.checked_add(strsize)?)?;
    for i in 0..shnum {
        let (name, off, size) = sec(i)?;
        let name = strtab.get(name as usize..)?;
        if name.starts_with(b".modinfo\0") {
            return b.get(off..off.checked_add(size)?);
        }
    }
    None
}
