use std::process::ExitCode;

use clap::Parser;
use leptos::prelude::get_configuration;
use tessera::Tessera;
use tessera_server::cli::{run_admin, Cli, Command};
use tessera_server::config::HttpConfig;
use tessera_server::{maintenance, metrics, router, telemetry, AppState};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    match run(cli).await {
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
    let command = cli.command.unwrap_or(Command::Serve);
    if matches!(command, Command::Serve) {
        tracing::info!(engine = store.engine(), "database ready");
    }
    let mut settings = cli.config.settings();
    if cli.config.public_url.is_none() {
        settings.public_url = listening_origin(cli.http.tls_cert.is_some()).unwrap_or_default();
        if cli.config.smtp_url.is_some() && matches!(command, Command::Serve) {
            tracing::warn!(
                public_url = %settings.public_url,
                "no --public-url given: links in mails point at the address this server \
                 listens on; set TESSERA_PUBLIC_URL to the address people use"
            );
        }
    }
    // Only a server makes `--algorithm` the signing key: an admin command
    // run with other settings must not rotate the servers' key.
    settings.adopt_signing_key = matches!(command, Command::Serve);
    let tessera = Tessera::start(&settings, store.clone()).await?;
    let outcome = match command {
        Command::Serve => serve(tessera, cli.http).await,
        Command::Admin(command) => run_admin(&tessera, command).await.map_err(Into::into),
    };
    store.close().await;
    outcome
}

async fn serve(tessera: Tessera, http: HttpConfig) -> Result<(), Box<dyn std::error::Error>> {
    let mut leptos_options = get_configuration(None)?.leptos_options;
    if leptos_options.output_name.is_empty() {
        // Built outside cargo-leptos: the bundle still has the site's name.
        leptos_options.output_name = "tessera".into();
    }
    leptos_options.hash_files = tessera_app::ssr::assets::files_are_hashed(&leptos_options);
    let _maintenance = maintenance::spawn(&tessera, maintenance::SYNC_EVERY);
    let _mail_sender = tessera.mail.spawn_sender();
    if !tessera.mail.uses_smtp() {
        tracing::info!("no --smtp-url given: mails are written to --email-file-dir and logged");
    }

    if let Some(metrics_addr) = http.metrics_addr {
        metrics::serve(
            metrics_addr,
            metrics::install(),
            tessera.clone(),
            http.header_read_timeout.0,
        )
        .await?;
    }

    let addr = leptos_options.site_addr;
    let app = router(AppState {
        tessera: tessera.into(),
        leptos_options: leptos_options.into(),
        http: std::sync::Arc::new(http.clone()),
    });
    let tls = match http.tls_files() {
        Some(files) => {
            let certificates = tessera_server::tls::Certificates::load(files)?;
            certificates.keep_fresh(http.tls_watch_interval.0);
            Some(certificates.acceptor()?)
        }
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!("listening on {scheme}://{}", listener.local_addr()?);
    tessera_server::serve::serve(
        listener,
        tls,
        app,
        http.header_read_timeout.0,
        shutdown_signal(),
    )
    .await;
    Ok(())
}

/// The scheme and address the server listens on (`LEPTOS_SITE_ADDR`).
fn listening_origin(tls: bool) -> Option<tessera::PublicUrl> {
    let address = get_configuration(None).ok()?.leptos_options.site_addr;
    let scheme = if tls { "https" } else { "http" };
    format!("{scheme}://{address}").parse().ok()
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
