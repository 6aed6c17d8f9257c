//! Shell completions and man pages, generated from the clap definitions.
//! They are committed under completions/ and man/; a test regenerates them
//! and fails on drift (`DSR_BLESS=1 cargo test` rewrites them).

use crate::cli::Cli;
use clap::CommandFactory;
use clap_complete::Shell;

/// (file name, contents) of every completion script.
pub fn completions() -> Vec<(String, Vec<u8>)> {
    [
        (Shell::Bash, "dsr.bash"),
        (Shell::Zsh, "_dsr"),
        (Shell::Fish, "dsr.fish"),
    ]
    .into_iter()
    .map(|(shell, name)| {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "dsr", &mut buf);
        (name.to_string(), buf)
    })
    .collect()
}

/// (file name, contents) of every man page: dsr(1) and one per command.
pub fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut cmd = Cli::command();
    cmd.build();
    let mut out = Vec::new();
    page(&cmd, &mut out)?;
    Ok(out)
}

fn page(cmd: &clap::Command, out: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
    // After build(), subcommands carry display names like "dsr-extract".
    let name = cmd.get_display_name().unwrap_or(cmd.get_name()).to_string();
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut buf)?;
    out.push((format!("{name}.1"), buf));
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        page(sub, out)?;
    }
    Ok(())
}
