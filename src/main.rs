use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = akutlinje::cli::Cli::parse();
    match akutlinje::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
