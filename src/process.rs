//! Settings of the whole process, made once at start by the binary (and by the benchmarks
//! and examples that stand in for it).

/// Turns transparent huge pages off for this process.
///
/// mimalloc asks the kernel for huge pages, and the kernel then zeroes a whole 2 MiB page
/// on the first touch of any byte of it. `real-dq report` over 100,000 records spent a
/// quarter of its time in that zeroing, and held 150 MiB at 1M records where 97 MiB are
/// used (docs/performance.md, "Issue 10, third step"). With 4 KiB pages only what is
/// touched is zeroed. On other systems this does nothing.
pub fn without_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and changes only the kernel's
    // paging policy for this process; it touches no memory of ours.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
