//! Completions and man pages are generated from the clap definitions; the
//! committed copies must match. `DSR_BLESS=1 cargo test` rewrites them.

use std::path::Path;

fn compare(dir: &str, files: Vec<(String, Vec<u8>)>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let bless = std::env::var_os("DSR_BLESS").is_some();
    let mut stale = Vec::new();
    for (name, bytes) in &files {
        let path = root.join(name);
        if bless {
            std::fs::create_dir_all(&root).expect("mkdir");
            std::fs::write(&path, bytes).expect("write");
        } else if std::fs::read(&path).ok().as_ref() != Some(bytes) {
            stale.push(name.clone());
        }
    }
    let expected: Vec<&String> = files.iter().map(|(n, _)| n).collect();
    let extra: Vec<String> = std::fs::read_dir(&root)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    for e in extra {
        if !expected.contains(&&e) {
            if bless {
                std::fs::remove_file(root.join(&e)).expect("rm");
            } else {
                stale.push(format!("{e} (no longer generated)"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "{dir}/ is out of date: {stale:?}; run DSR_BLESS=1 cargo test --test cli assets"
    );
}

#[test]
fn completions_are_current() {
    compare("completions", dsr::assets::completions());
}

#[test]
fn man_pages_are_current() {
    compare("man", dsr::assets::man_pages().expect("render"));
}
