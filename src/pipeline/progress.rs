//! The progress bar of a run on a terminal, and a way for log lines to pass it.
//!
//! The bar is drawn on stderr from the worker threads; a log line written to stderr while it
//! is drawn would be torn by the next redraw. [`suspend`] writes with the bar cleared and
//! redraws it afterwards, and writes plainly when no bar is drawn: the command line's log
//! writer goes through it.

use std::sync::Mutex;

/// The bar being drawn, if any (one run at a time per process).
static DRAWN: Mutex<Option<indicatif::ProgressBar>> = Mutex::new(None);

/// A bar over `len` files, drawn only when wanted and stderr is a terminal; hidden otherwise.
/// It stays registered for [`suspend`] until [`Bar::finish`] or drop.
pub(crate) struct Bar(indicatif::ProgressBar);

impl Bar {
    pub(crate) fn new(wanted: bool, len: usize) -> Bar {
        use std::io::IsTerminal;
        if !wanted || !std::io::stderr().is_terminal() {
            return Bar(indicatif::ProgressBar::hidden());
        }
        let bar = indicatif::ProgressBar::new(len as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} translating {pos}/{len} files {wide_bar} {eta}",
        ) {
            bar.set_style(style);
        }
        if let Ok(mut drawn) = DRAWN.lock() {
            *drawn = Some(bar.clone());
        }
        Bar(bar)
    }

    pub(crate) fn inc(&self, n: u64) {
        self.0.inc(n);
    }

    /// Clears the bar and stops log lines from waiting for it.
    pub(crate) fn finish(&self) {
        if let Ok(mut drawn) = DRAWN.lock() {
            *drawn = None;
        }
        self.0.finish_and_clear();
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Runs `write` with the bar (if one is drawn) cleared from the terminal, then redraws it.
/// Called again from inside `write` on the same thread (the panic hook reporting a panic in
/// a write), it writes at once: the bar's lock is this thread's already.
pub fn suspend<R>(write: impl FnOnce() -> R) -> R {
    thread_local! {
        static INSIDE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    /// Clears the flag however `write` ends, unwinding included.
    struct Inside;
    impl Drop for Inside {
        fn drop(&mut self) {
            INSIDE.set(false);
        }
    }
    if INSIDE.get() {
        return write();
    }
    let bar = DRAWN.lock().ok().and_then(|d| d.clone());
    match bar {
        Some(bar) => {
            INSIDE.set(true);
            let _inside = Inside;
            bar.suspend(write)
        }
        None => write(),
    }
}
