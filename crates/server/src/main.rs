//! The `civicline` executable: parses the command line and hands over to the library.

fn main() -> std::process::ExitCode {
    civicline::cli::main()
}
