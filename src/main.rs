//! The `tallyman` command: parse arguments, run the command, map its outcome to an exit code.

fn main() -> std::process::ExitCode {
    tallyman::cli::main()
}
