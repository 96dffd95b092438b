//! The `real-dq` binary: parses the command line and hands over to the library.

use clap::Parser;

/// mimalloc: the ingest path allocates from several threads at once (HTTP workers, the
/// validation and storage stages), where glibc's allocator contends on its arena locks.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    real_dq::process::without_huge_pages();
    let cli = real_dq::cli::Cli::parse();
    match real_dq::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(error) => {
            eprintln!("real-dq: {error:#}");
            std::process::exit(2);
        }
    }
}
