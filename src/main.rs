//! The `dsr` binary: parse, run, and turn the outcome into an exit code.

use clap::Parser;
use dsr::cli::Cli;
use dsr::{Error, ExitCode};

fn main() {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // clap prints help and version to stdout (exit 0) and usage
            // errors to stderr (exit 2, as DESIGN's usage error).
            let _ = e.print();
            std::process::exit(if e.use_stderr() {
                ExitCode::Usage as i32
            } else {
                0
            });
        }
    };
    let code = match dsr::run(&cli) {
        Ok(code) => code,
        Err(Error::BrokenPipe) => ExitCode::Ok,
        Err(e) => {
            eprintln!("dsr: error: {e}");
            e.exit_code()
        }
    };
    std::process::exit(code as i32);
}
