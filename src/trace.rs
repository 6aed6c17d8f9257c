//! Phase timings for profiling: with `DSR_TRACE=1` in the environment,
//! each [`mark`] writes to stderr how long the phase that ends there took
//! since the previous mark (or since the process started), and what the
//! phase did (`detail`: row and statement counts, never values). Off, a
//! mark costs one relaxed load. Nothing here is part of any output a
//! script reads: it is for people measuring dsr (BENCHMARKS.md).

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// 0: not yet read, 1: off, 2: on.
static STATE: AtomicU8 = AtomicU8::new(0);
static LAST: Mutex<Option<Instant>> = Mutex::new(None);

/// Whether `DSR_TRACE` is set (to anything but empty or `0`).
pub fn on() -> bool {
    match STATE.load(Ordering::Relaxed) {
        1 => false,
        2 => true,
        _ => {
            let on = std::env::var_os("DSR_TRACE").is_some_and(|v| !v.is_empty() && v != "0");
            STATE.store(if on { 2 } else { 1 }, Ordering::Relaxed);
            if on {
                if let Ok(mut l) = LAST.lock() {
                    l.get_or_insert_with(Instant::now);
                }
            }
            on
        }
    }
}

/// Starts the clock (the first mark measures from here); called first
/// thing in `main`.
pub fn start() {
    on();
}

/// Ends a phase: `dsr trace: PHASE 1.234 ms DETAIL` on stderr when on.
pub fn mark(phase: &str, detail: impl FnOnce() -> String) {
    if !on() {
        return;
    }
    let now = Instant::now();
    let Ok(mut last) = LAST.lock() else {
        return;
    };
    let since = last.replace(now).unwrap_or(now);
    let ms = now.duration_since(since).as_secs_f64() * 1000.0;
    let d = detail();
    if d.is_empty() {
        eprintln!("dsr trace: {phase} {ms:.3} ms");
    } else {
        eprintln!("dsr trace: {phase} {ms:.3} ms {d}");
    }
}

/// Times `f` as one step inside a phase (a statement): `dsr trace:   WHAT
/// 0.123 ms DETAIL` when on, without ending the phase.
pub fn step<T>(
    what: impl FnOnce() -> String,
    f: impl FnOnce() -> T,
    detail: impl FnOnce(&T) -> String,
) -> T {
    if !on() {
        return f();
    }
    let t = Instant::now();
    let out = f();
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    eprintln!("dsr trace:   {} {ms:.3} ms {}", what(), detail(&out));
    out
}

/// A line about the run (a library's version), not a phase: `dsr trace:
/// note WHAT` when on.
pub fn note(what: impl FnOnce() -> String) {
    if on() {
        eprintln!("dsr trace: note {}", what());
    }
}
