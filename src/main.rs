//! The `real-dq` binary: parses the command line and hands over to the library.

use clap::Parser;

fn main() {
    let cli = real_dq::cli::Cli::parse();
    match real_dq::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(error) => {
            eprintln!("real-dq: {error:#}");
            std::process::exit(2);
        }
    }
}
