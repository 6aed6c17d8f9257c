//! The `dsr` binary: parse, run, and turn the outcome into an exit code.

use clap::FromArgMatches;
use dsr::cli::Cli;
use dsr::{Error, ExitCode};
use std::io::Write;

fn main() {
    let json = std::env::args_os().any(|a| a == "--json");
    let parsed = dsr::cli::command().try_get_matches().and_then(|m| {
        let mut cli = Cli::from_arg_matches(&m)?;
        cli.note_sources(&m);
        Ok(cli)
    });
    let cli = match parsed {
        Ok(c) => c,
        Err(e) if !e.use_stderr() => {
            // --help and --version: to stdout, exit 0.
            let _ = e.print();
            std::process::exit(0);
        }
        Err(e) => {
            // clap's usage errors in dsr's own style, never coloured.
            let text = e.render().to_string();
            let text = text.trim_end();
            let text = text.strip_prefix("error: ").unwrap_or(text);
            fail(&Error::Usage(text.to_string()), json);
        }
    };
    let code = match dsr::run(&cli) {
        Ok(code) => code,
        Err(Error::BrokenPipe) => ExitCode::Ok,
        Err(e) => fail(&e, cli.global.json),
    };
    std::process::exit(code as i32);
}

/// Reports a failure on stderr (and, with --json, as a `dsr.error/1`
/// document on stdout) and exits with its code.
fn fail(e: &Error, json: bool) -> ! {
    let code = e.exit_code();
    eprintln!("dsr: error: {e}");
    if json {
        let doc = serde_json::json!({
            "schema": "dsr.error/1",
            "exit": code as i32,
            "error": e.to_string(),
            "hint": e.hint(),
        });
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{doc}");
        let _ = out.flush();
    }
    std::process::exit(code as i32);
}
