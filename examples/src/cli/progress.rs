//! Progress bars on stderr: drawn only when stderr is a terminal (indicatif hides them
//! otherwise, so piped or captured output stays clean), cleared when done.

use indicatif::{ProgressBar, ProgressFinish, ProgressStyle};

/// Inputs smaller than this (bytes) get no progress bar: they are read in a blink, and a bar
/// would only flicker.
pub const LARGE_INPUT: u64 = 1 << 20;

/// A bar counting `len` `unit`s (`"blocks"`, `"rows"`), with the elapsed time and a message.
pub fn bar(len: u64, unit: &str) -> ProgressBar {
    let bar = ProgressBar::new(len).with_finish(ProgressFinish::AndClear);
    let template =
        format!("{{elapsed_precise}} {{wide_bar}} {{human_pos}}/{{human_len}} {unit} {{msg}}");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}

/// A bar over `len` bytes of input (`None`: unknown, as for stdin), hidden when the input is
/// known to be smaller than [`LARGE_INPUT`].
pub fn bytes(len: Option<u64>) -> ProgressBar {
    match len {
        Some(len) if len < LARGE_INPUT => ProgressBar::hidden(),
        Some(len) => {
            let bar = ProgressBar::new(len).with_finish(ProgressFinish::AndClear);
            let template = "{elapsed_precise} {wide_bar} {binary_bytes}/{binary_total_bytes} \
                            ({binary_bytes_per_sec}, {eta} left) {msg}";
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style);
            }
            bar
        }
        None => {
            let bar = ProgressBar::new_spinner().with_finish(ProgressFinish::AndClear);
            if let Ok(style) = ProgressStyle::with_template(
                "{elapsed_precise} {spinner} {binary_bytes} ({binary_bytes_per_sec}) {msg}",
            ) {
                bar.set_style(style);
            }
            bar
        }
    }
}

/// Turns `bar` into a spinner showing `message`, for a step whose length is unknown (encoding
/// a block, uploading it). A hidden bar stays hidden.
pub fn step(bar: &ProgressBar, message: &'static str) {
    if let Ok(style) = ProgressStyle::with_template("{elapsed_precise} {spinner} {msg}") {
        bar.set_style(style);
    }
    bar.set_message(message);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
}
