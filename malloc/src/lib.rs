//! Process-wide tuning of glibc's allocator — the one place in akutlinje
//! with `unsafe` code, one call to `mallopt`.
//!
//! glibc gives a large allocation (from 128 KiB) its own mapping and
//! returns it to the system when freed — but after each such free it
//! raises that threshold to the freed size (up to 32 MiB), so the next
//! buffers of that size come from the heap, which it keeps. A service that
//! decodes audio and runs whisper.cpp note after note then grows without
//! leaking: the 10-minute soak (`cargo bench --bench soak`) measured RSS
//! rising 9.7 MiB a minute with the threshold left to glibc and flat with
//! it fixed (README § Soak). Setting it explicitly ends the adjustment.
//!
//! Elsewhere than Linux with glibc this does nothing.

#![deny(unsafe_code)]

/// From this size an allocation gets its own mapping, given back when
/// freed: glibc's own starting value, kept.
pub const MMAP_THRESHOLD: i32 = 128 * 1024;

/// Fixes glibc's mmap threshold at [`MMAP_THRESHOLD`] unless the operator
/// set one (`GLIBC_TUNABLES=glibc.malloc.mmap_threshold=…`). Returns
/// whether the threshold is now fixed.
pub fn fix_mmap_threshold() -> bool {
    let tuned =
        std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("glibc.malloc.mmap_threshold"));
    tuned || set_mmap_threshold(MMAP_THRESHOLD)
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn set_mmap_threshold(bytes: i32) -> bool {
    // SAFETY: mallopt only changes the allocator's parameters, under
    // glibc's own lock; it is safe at any time and from any thread, and
    // returns 0 when it refuses a value.
    #[allow(unsafe_code)]
    let ok = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, bytes) };
    ok == 1
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_mmap_threshold(_bytes: i32) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the threshold does to memory is measured by the soak
    /// benchmark; here, that glibc takes it.
    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn glibc_takes_the_threshold() {
        assert!(set_mmap_threshold(MMAP_THRESHOLD));
        assert!(fix_mmap_threshold());
    }
}
