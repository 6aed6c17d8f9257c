//! The `dsr` binary: parse, run, and turn the outcome into an exit code.

use clap::FromArgMatches;
use dsr::cli::Cli;
use dsr::{Error, ExitCode};
use std::io::Write;

fn main() {
    dsr::trace::start();
    // Most tenants' numbers are Swedish (the region a map names by
    // default); their metadata is built while the arguments are parsed.
    dsr::ident::warm([&dsr::ident::Kind::Phone(dsr::ident::Region::DEFAULT)]);
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
    dsr::trace::mark("parse", String::new);
    let outcome = dsr::run(&cli);
    dsr::trace::mark("close", String::new);
    let code = match outcome {
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
    let message = elide_long_words(&e.to_string());
    eprintln!("dsr: error: {message}");
    if json {
        let doc = serde_json::json!({
            "schema": "dsr.error/1",
            "exit": code as i32,
            "error": message,
            "hint": e.hint(),
        });
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{doc}");
        let _ = out.flush();
    }
    std::process::exit(code as i32);
}

/// A value given on the command line can be 100 kB long; an error message
/// quotes at most the start of any one word of it.
fn elide_long_words(msg: &str) -> String {
    const MAX: usize = 120;
    msg.split_inclusive(char::is_whitespace)
        .map(|w| {
            if w.len() <= MAX {
                return w.to_string();
            }
            let mut cut = 60;
            while !w.is_char_boundary(cut) {
                cut -= 1;
            }
            format!("{}… ({} bytes in all) ", &w[..cut], w.trim_end().len())
        })
        .collect()
}
