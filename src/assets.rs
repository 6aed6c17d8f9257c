//! Shell completions and man pages, generated from the clap definitions.
//! They are committed under completions/ and man/; a test regenerates them
//! and fails on drift (`DSR_BLESS=1 cargo test` rewrites them).

use crate::help;
use clap_complete::Shell;
use roff::{bold, italic, roman, Inline, Roff};

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
        clap_complete::generate(shell, &mut crate::cli::command(), "dsr", &mut buf);
        (name.to_string(), complete_tenants(shell, buf))
    })
    .collect()
}

/// Makes `--tenant` complete the configured tenants' names (from
/// `dsr config --names`), which clap's static scripts cannot know.
fn complete_tenants(shell: Shell, script: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8_lossy(&script).into_owned();
    let names = "dsr config --names 2>/dev/null";
    let out = match shell {
        Shell::Bash => text.replace(
            "--tenant)\n                    COMPREPLY=($(compgen -f \"${cur}\"))",
            &format!("--tenant)\n                    COMPREPLY=($(compgen -W \"$({names})\" -- \"${{cur}}\"))"),
        ),
        Shell::Zsh => text
            .lines()
            .map(|l| {
                if l.starts_with("'--tenant=[") {
                    l.replace(
                        ":NAME:_default'",
                        &format!(":NAME:{{compadd -- ${{(f)\"$({names})\"}}}}'"),
                    )
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n",
        Shell::Fish => text
            .lines()
            .map(|l| {
                if l.contains(" -l tenant ") && l.ends_with(" -r") {
                    format!("{l} -f -a \"({names})\"")
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n",
        _ => text,
    };
    out.into_bytes()
}

/// (file name, contents) of every man page: dsr(1) and one per command.
pub fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let cmd = crate::cli::command().mut_subcommand("help", |h| h.hide(true));
    let mut names = Vec::new();
    collect_names(&cmd, &mut names);
    let mut out = Vec::new();
    page(&cmd, "", &names, &mut out)?;
    Ok(out)
}

/// Every page's name (dsr, dsr-erase, dsr-audit-log, …), for SEE ALSO.
fn collect_names(cmd: &clap::Command, out: &mut Vec<String>) {
    out.push(display_name(cmd));
    for sub in visible_subcommands(cmd) {
        collect_names(sub, out);
    }
}

fn display_name(cmd: &clap::Command) -> String {
    // After build(), subcommands carry display names like "dsr-extract".
    cmd.get_display_name().unwrap_or(cmd.get_name()).to_string()
}

fn visible_subcommands(cmd: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    cmd.get_subcommands().filter(|s| !s.is_hide_set())
}

fn page(
    cmd: &clap::Command,
    path: &str,
    names: &[String],
    out: &mut Vec<(String, Vec<u8>)>,
) -> std::io::Result<()> {
    let name = display_name(cmd);
    let man = clap_mangen::Man::new(cmd.clone());
    let mut buf = Vec::new();
    man.render_title(&mut buf)?;
    man.render_name_section(&mut buf)?;
    let mut roff = Roff::new();
    synopsis(&mut roff, cmd);
    description(&mut roff, cmd);
    buf.extend(roff.to_roff().into_bytes());
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut buf)?;
    }
    if visible_subcommands(cmd).next().is_some() {
        man.render_subcommands_section(&mut buf)?;
    }
    let mut roff = Roff::new();
    sections(&mut roff, path, &name, names);
    buf.extend(roff.to_roff().into_bytes());
    if cmd.get_version().is_some() {
        man.render_version_section(&mut buf)?;
    }
    out.push((format!("{name}.1"), buf));
    for sub in visible_subcommands(cmd) {
        let sub_path = if path.is_empty() {
            sub.get_name().to_string()
        } else {
            format!("{path} {}", sub.get_name())
        };
        page(sub, &sub_path, names, out)?;
    }
    Ok(())
}

/// The synopsis with each option's value, own options before the globals.
fn synopsis(roff: &mut Roff, cmd: &clap::Command) {
    roff.control("SH", ["SYNOPSIS"]);
    let bin = cmd.get_bin_name().unwrap_or(cmd.get_name()).to_string();
    let mut line: Vec<Inline> = vec![bold(bin), roman(" ")];
    let own = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_positional() && a.get_help_heading().is_none());
    for a in own {
        let flag = match (a.get_short(), a.get_long()) {
            (Some(s), Some(l)) => format!("-{s}|--{l}"),
            (Some(s), None) => format!("-{s}"),
            (None, Some(l)) => format!("--{l}"),
            (None, None) => continue,
        };
        if matches!(a.get_id().as_str(), "help" | "version") {
            continue;
        }
        line.push(roman("["));
        line.push(bold(flag));
        if a.get_action().takes_values() {
            let value = a
                .get_value_names()
                .and_then(|v| v.first())
                .map(|v| v.to_string())
                .unwrap_or_else(|| a.get_id().as_str().to_uppercase());
            line.push(roman(" "));
            line.push(italic(value));
        }
        line.push(roman("] "));
    }
    if cmd
        .get_arguments()
        .any(|a| !a.is_hide_set() && a.get_help_heading().is_some())
    {
        line.push(roman("["));
        line.push(italic("GLOBAL OPTIONS"));
        line.push(roman("] "));
    }
    for a in cmd.get_positionals() {
        let value = a
            .get_value_names()
            .map(|v| v.join(" "))
            .unwrap_or_else(|| a.get_id().as_str().to_uppercase());
        let many = a.get_num_args().is_some_and(|n| n.max_values() > 1);
        let (l, r) = if a.is_required_set() {
            ("", "")
        } else {
            ("[", "]")
        };
        line.push(roman(l));
        line.push(italic(value));
        line.push(roman(if many { "…" } else { "" }));
        line.push(roman(r));
        line.push(roman(" "));
    }
    if cmd.has_subcommands() {
        line.push(italic("COMMAND"));
        line.push(roman(" ["));
        line.push(italic("ARGS"));
        line.push(roman("]"));
    }
    roff.text(line);
}

/// The long description where the command has one, else its summary.
fn description(roff: &mut Roff, cmd: &clap::Command) {
    roff.control("SH", ["DESCRIPTION"]);
    let text = cmd
        .get_long_about()
        .or(cmd.get_about())
        .map(|s| s.to_string())
        .unwrap_or_default();
    for para in text.split("\n\n") {
        roff.control("PP", [] as [&str; 0]);
        roff.text([roman(para.replace('\n', " "))]);
    }
}

fn tagged(roff: &mut Roff, items: &[(&str, &str)], tag_bold: bool) {
    for (tag, text) in items {
        roff.control("TP", [] as [&str; 0]);
        roff.text([if tag_bold { bold(*tag) } else { roman(*tag) }]);
        roff.text([roman(*text)]);
    }
}

fn sections(roff: &mut Roff, path: &str, name: &str, names: &[String]) {
    let examples = help::examples(path);
    if !examples.is_empty() {
        roff.control("SH", ["EXAMPLES"]);
        for (what, line) in examples {
            roff.control("TP", [] as [&str; 0]);
            roff.text([roman(*what)]);
            roff.text([bold(format!("$ {line}"))]);
        }
    }
    if path == "check" {
        roff.control("SH", ["THE DATA MAP"]);
        roff.text([roman(
            "A data map is a TOML file describing where personal data lives in the tenant's store. Its keys:",
        )]);
        tagged(roff, help::MAP_KEYS, true);
    }
    roff.control("SH", ["EXIT STATUS"]);
    tagged(roff, help::EXIT_STATUS, true);
    roff.control("SH", ["ENVIRONMENT"]);
    tagged(roff, help::ENVIRONMENT, true);
    roff.control("SH", ["FILES"]);
    tagged(roff, help::FILES, false);
    roff.control("SH", ["SEE ALSO"]);
    let also: Vec<String> = names
        .iter()
        .filter(|n| n.as_str() != name)
        .map(|n| format!("{n}(1)"))
        .collect();
    roff.text([roman(also.join(", "))]);
}
