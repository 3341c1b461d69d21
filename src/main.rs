//! The `pacta` binary: parse arguments, run, exit 0 (clean), 1 (a verdict
//! failed the run) or 2 (the run could not be made).

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = match pacta::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    ExitCode::from(pacta::cli::run(cli).code())
}
