//! Memory hints for the dense `n × n` matrix.

/// Asks the kernel (Linux, transparent huge pages in `madvise` mode) to back the 2 MiB-aligned
/// part of `v` with huge pages. Call it on a freshly allocated, not yet written buffer: the
/// pages are then faulted in as 2 MiB pages. The matrix is streamed every step, and with 4 KiB
/// pages a large share of the stream goes to TLB misses (page walks are dear in a VM). A hint
/// only: errors are ignored, other platforms do nothing.
pub(crate) fn advise_huge_pages(v: &[f64]) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = v.as_ptr() as usize;
        let end = start + std::mem::size_of_val(v);
        let (a, b) = ((start + HUGE - 1) & !(HUGE - 1), end & !(HUGE - 1));
        if b > a {
            // SAFETY: madvise(MADV_HUGEPAGE) on whole pages inside a live allocation only
            // changes how the kernel backs them; it touches no memory and the result is
            // ignored.
            unsafe {
                libc::madvise(a as *mut libc::c_void, b - a, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = v;
}
