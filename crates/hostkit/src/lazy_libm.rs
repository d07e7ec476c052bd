//! The two libm functions hostkit calls (`pow`, `log10`), bound to glibc's own on first use.
//!
//! Only the ssh report's SVG axes and indicatif's rate estimate need them, yet linking them
//! makes every run map `libm.so.6` at start-up (open, mmaps, relocations, ~9 page faults):
//! about 4 % of a 1 ms Nagios check. These definitions satisfy the static linker, so
//! `--as-needed` drops libm from `DT_NEEDED`; the first call `dlopen`s libm and forwards to its
//! symbol, so results are bit-identical to a normal link. The linker exports them (libm
//! defines the same names), so a library loaded later that calls `pow` reaches glibc's too;
//! `dlsym` on libm's own handle never finds these. A new libm call elsewhere in hostkit
//! simply brings `libm.so.6` back as a dependency (slower start, same results).

use std::ffi::{CStr, c_void};
use std::sync::OnceLock;

/// glibc's `name` from `libm.so.6`; aborts (via the panic in an `extern "C"` caller) if the
/// library or symbol is missing, which a glibc system cannot be without.
fn libm_symbol(name: &CStr) -> *mut c_void {
    static LIBM: OnceLock<usize> = OnceLock::new();
    let handle = *LIBM.get_or_init(|| {
        // SAFETY: a constant NUL-terminated name; loading libm runs no user constructors.
        unsafe { libc::dlopen(c"libm.so.6".as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) as usize }
    });
    assert!(handle != 0, "cannot load libm.so.6");
    // SAFETY: `handle` is a live dlopen handle (never closed); `name` is NUL-terminated.
    let symbol = unsafe { libc::dlsym(handle as *mut c_void, name.as_ptr()) };
    assert!(!symbol.is_null(), "libm.so.6 has no {name:?}");
    symbol
}

type Binary = unsafe extern "C" fn(f64, f64) -> f64;
type Unary = unsafe extern "C" fn(f64) -> f64;

/// `pow(3)`: `x` raised to the power `y` (what `f64::powf` compiles to).
#[unsafe(no_mangle)]
pub extern "C" fn pow(x: f64, y: f64) -> f64 {
    static F: OnceLock<Binary> = OnceLock::new();
    // SAFETY: libm's `pow` has exactly this C signature.
    let f = F
        .get_or_init(|| unsafe { std::mem::transmute::<*mut c_void, Binary>(libm_symbol(c"pow")) });
    // SAFETY: a pure function of two doubles.
    unsafe { f(x, y) }
}

/// `log10(3)`: the base-10 logarithm of `x` (what `f64::log10` compiles to).
#[unsafe(no_mangle)]
pub extern "C" fn log10(x: f64) -> f64 {
    static F: OnceLock<Unary> = OnceLock::new();
    // SAFETY: libm's `log10` has exactly this C signature.
    let f = F.get_or_init(|| unsafe {
        std::mem::transmute::<*mut c_void, Unary>(libm_symbol(c"log10"))
    });
    // SAFETY: a pure function of one double.
    unsafe { f(x) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwards_to_glibc() {
        assert_eq!(pow(2.0, 10.0), 1024.0);
        assert_eq!(pow(0.1, 0.0), 1.0);
        assert!(pow(-1.0, 0.5).is_nan());
        assert_eq!(log10(1000.0), 3.0);
        assert_eq!(log10(0.0), f64::NEG_INFINITY);
        // What the std methods call.
        assert_eq!(
            std::hint::black_box(10.0f64).powf(std::hint::black_box(-2.0)),
            0.01
        );
        assert_eq!(std::hint::black_box(1e-5f64).log10(), -5.0);
    }
}
