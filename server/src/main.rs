use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use leptos::prelude::get_configuration;
use tessera::TokenService;
use tessera_server::cli::{run_admin, Cli, Command};
use tessera_server::{router, telemetry, AppState};

#[tokio::main]
async fn main() -> ExitCode {
    telemetry::init();
    let cli = Cli::parse();
    let result = run(cli).await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    // The CLI creates and migrates the database just as the server does, so
    // `tessera user add` works before the first start.
    let store = tessera::Store::open(&cli.config.database_url).await?;
    let service = TokenService::start(&cli.config, store.clone()).await?;
    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(service).await,
        command => run_admin(&service, command).await.map_err(Into::into),
    };
    store.close().await;
    outcome
}

async fn serve(service: TokenService) -> Result<(), Box<dyn std::error::Error>> {
    let mut leptos_options = get_configuration(None)?.leptos_options;
    if leptos_options.output_name.is_empty() {
        // Built outside cargo-leptos: the bundle still has the site's name.
        leptos_options.output_name = "tessera".into();
    }
    tracing::info!(engine = service.store().engine(), "database ready");
    let maintenance = spawn_maintenance(service.clone());

    let addr = leptos_options.site_addr;
    let app = router(AppState {
        tokens: service,
        leptos_options: leptos_options.into(),
    });
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, axum::ServiceExt::into_make_service(app))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    for task in maintenance {
        task.abort();
    }
    Ok(())
}

/// Background upkeep: pick up other processes' changes every second (the
/// CLI's `deactivate` reaches a running server within two), and delete
/// expired tokens every hour.
fn spawn_maintenance(service: TokenService) -> [tokio::task::JoinHandle<()>; 2] {
    let syncing = service.clone();
    let sync = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(error) = syncing.sync().await {
                tracing::warn!(%error, "could not read the change log");
            }
        }
    });
    let flush = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match service.flush_expired().await {
                Ok(0) => {}
                Ok(deleted) => tracing::info!(deleted, "flushed expired refresh tokens"),
                Err(error) => tracing::warn!(%error, "could not flush expired tokens"),
            }
        }
    });
    [sync, flush]
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
