//! The `tallyman` command: parse arguments, run the command, map its outcome to an exit code.

// The canonical model is owned (a `String` per value), so translating allocates and frees per
// document; mimalloc does that in a fraction of glibc's instructions.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tallyman::cli_main()
}
