use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // A panic's message may carry what a request held (a name, a note):
    // only where it happened reaches the log. The HTTP server answers a
    // panicking request with 500 and goes on.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(at = %at, "panic (message withheld: it may hold personal data)");
        eprintln!("panic at {at} (message withheld: it may hold personal data)");
    }));
    // Before the service's first large buffers: glibc otherwise keeps
    // what whisper.cpp and the audio decoder free (akutlinje-malloc).
    akutlinje_malloc::fix_mmap_threshold();
    let cli = akutlinje::cli::Cli::parse();
    match akutlinje::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
