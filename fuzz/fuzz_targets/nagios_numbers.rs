//! Fuzz target for the monitoring-plugins compatible parsers of hostkit-nagios: `strtod`
//! agrees with glibc's on every input (value bits, NaN sign, bytes consumed, ERANGE), the
//! legacy range parser never panics, and the `--extra-opts` ini reader never panics and only
//! yields `-k...`/`--key...` arguments.
#![no_main]

use hostkit_nagios::Range;
use hostkit_nagios::extra_opts::read_section;
use hostkit_nagios::strtod::strtod;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && !text.contains('\0')
    {
        let ours = strtod(text);
        let c = std::ffi::CString::new(text).unwrap();
        let mut end: *mut libc::c_char = std::ptr::null_mut();
        // SAFETY: a valid NUL-terminated string; errno is thread-local.
        let (v, n, erange) = unsafe {
            *libc::__errno_location() = 0;
            let v = libc::strtod(c.as_ptr(), &mut end);
            (
                v,
                end.offset_from(c.as_ptr()) as usize,
                *libc::__errno_location() == libc::ERANGE,
            )
        };
        let same_value = if v.is_nan() {
            ours.value.is_nan() && ours.value.is_sign_negative() == v.is_sign_negative()
        } else {
            ours.value.to_bits() == v.to_bits()
        };
        assert!(
            same_value && ours.consumed == n && ours.range_error == erange,
            "{text:?}: {ours:?} vs {v:?} {n} {erange}"
        );
        let _ = Range::parse_legacy(text);
    }
    if let Ok(Some(args)) = read_section(data, "check_ntp_time") {
        assert!(args.iter().all(|a| a.starts_with('-')));
    }
});
