//! Building the running service from its settings (zero2prod's
//! `Application::build`): the store, the hotline service, paging on its own
//! thread with its heartbeat, the rota jobs and housekeeping, speech
//! recognition, the Matrix bot, the Twilio line and the HTTP server — run
//! until Ctrl-C or SIGTERM, then stopped in order, each task's end reported.

use std::sync::Arc;

use akutlinje_core::engine::Checklist;
use akutlinje_core::i18n::Localizer;
use akutlinje_core::service::Hotline;
use akutlinje_core::store::Store;
use akutlinje_scheduler::escalation::{Escalator, Outbox, Policies, SystemClock};
use anyhow::Context;
use backon::Retryable;
use chrono::Utc;

use crate::app::{self, AppState, Application};
use crate::config::Settings;
use crate::demo;

fn fail(msg: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{msg}")
}

/// Runs `akutlinje serve` until Ctrl-C or SIGTERM.
pub async fn serve(settings: Settings, demo: bool) -> anyhow::Result<()> {
    let service = Service::build(&settings, demo).await?;
    eprintln!(
        "akutlinje listens on {} (database: {})",
        service.base_url(),
        settings.database_display()
    );
    if let Some(tokens) = &service.demo_tokens {
        demo_banner(service.base_url(), tokens);
    }
    service.run_until(app::shutdown_signal()).await
}

/// The whole service, built from its settings and listening, its
/// background tasks started; [`Service::run_until`] serves until told to
/// stop and then stops every task in order.
pub struct Service {
    app: Application,
    base: String,
    stop: tokio::sync::watch::Sender<bool>,
    paging: std::thread::JoinHandle<()>,
    rota_jobs: tokio::task::JoinHandle<()>,
    housekeeping: tokio::task::JoinHandle<()>,
    transcription: Option<tokio::task::JoinHandle<()>>,
    bot: Option<tokio::task::JoinHandle<()>>,
    sip: Option<SipBridge>,
    /// The demo people's tokens (`--demo`), to print once.
    pub demo_tokens: Option<Vec<(String, akutlinje_core::person::Role, String)>>,
}

/// What wakes a task at once instead of at its next tick.
#[derive(Clone, Default)]
struct Wakes {
    /// A page requested over any channel wakes the scheduler.
    paging: Arc<tokio::sync::Notify>,
    /// A stored voice note wakes speech recognition.
    voice: Arc<tokio::sync::Notify>,
}

impl Service {
    /// Opens the store, builds every part the settings ask for and binds
    /// the HTTP listener (port 0: any free port, see [`Service::port`]).
    pub async fn build(settings: &Settings, demo: bool) -> anyhow::Result<Service> {
        let store = open(settings).await?;
        let demo_tokens = match demo {
            true => Some(
                demo::seed(&store)
                    .await
                    .context("cannot seed the demo data")?,
            ),
            false => None,
        };
        let wakes = Wakes::default();
        let hotline = hotline(store.clone())?
            .on_escalation_change({
                let wake = wakes.paging.clone();
                Arc::new(move || wake.notify_one())
            })
            .on_audio_attached({
                let wake = wakes.voice.clone();
                Arc::new(move || wake.notify_one())
            })
            .with_video(settings.video.clone());
        if store.service(&settings.paging_service).await?.is_none() {
            tracing::warn!(service = %settings.paging_service, "the paging service does not exist: pages find nobody on call until a rota is loaded");
        }
        let me = this_worker();
        let telephony = match &settings.twilio {
            Some(tw) => Some(crate::oncall::telephony(
                tw,
                settings.language,
                hotline.clone(),
                store.clone(),
                settings.paging_service.clone(),
            )?),
            None => {
                tracing::info!(
                    "no twilio_account_sid configured: no phone hotline, SMS or voice pages"
                );
                None
            }
        };
        let sip = match &settings.sip {
            Some(s) => Some(sip_bridge(s, settings, &hotline, &store, &me.id).await?),
            None => None,
        };
        // The Matrix channel sends once the bot has connected.
        let matrix_sender = akutlinje_bot::sender::MatrixSender::new(hotline.localizer().clone());
        let (stop, _) = tokio::sync::watch::channel(false);
        let paging = paging(
            settings,
            &store,
            &hotline,
            me.clone(),
            Senders {
                matrix: settings.matrix.is_some().then(|| matrix_sender.clone()),
                telephony: telephony.as_ref(),
                sip: sip.as_ref().and_then(|b| b.pager.clone()),
            },
            wakes.paging.clone(),
            &stop,
        )?;
        let (rota_jobs, housekeeping) = rota_jobs(settings, &store, &hotline, &stop);
        let transcription = crate::voice::spawn_worker(
            &settings.voice,
            store.clone(),
            hotline.localizer().clone(),
            &me.id,
            wakes.voice.clone(),
            stopped(&stop),
        );
        let bot = match &settings.matrix {
            Some(m) => Some(matrix_bot(
                m,
                settings,
                &store,
                &hotline,
                matrix_sender,
                &me.id,
                &stop,
            )),
            None => {
                tracing::info!("no matrix_homeserver configured: the Matrix bot is off");
                None
            }
        };
        let state = AppState::new(hotline, store.clone(), settings.language)
            .with_web(settings.web_settings());
        let mut app = Application::build(settings.bind, state).await?;
        if let Some(t) = &telephony {
            app = app.with_routes(t.router());
        }
        let base = format!("http://{}:{}", settings.bind.ip(), app.port());
        Ok(Service {
            app,
            base,
            stop,
            paging,
            rota_jobs,
            housekeeping,
            transcription,
            bot,
            sip,
            demo_tokens,
        })
    }

    /// The port the HTTP server listens on.
    pub fn port(&self) -> u16 {
        self.app.port()
    }

    /// `http://host:port` of the HTTP server.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Serves until `stop` completes, then stops every task and reports how
    /// each ended.
    pub async fn run_until(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let served = self.app.run_until(stop).await;
        tracing::info!(task = "http", ok = served.is_ok(), "stopped");
        let _ = self.stop.send(true);
        let paging = self.paging;
        match tokio::task::spawn_blocking(move || paging.join()).await {
            Ok(Ok(())) => tracing::info!(task = "paging", "stopped"),
            _ => tracing::error!(task = "paging", "ended with a panic"),
        }
        report("rota jobs", self.rota_jobs.await);
        report("housekeeping", self.housekeeping.await);
        if let Some(t) = self.transcription {
            // A note being transcribed is claimed, not lost: after the
            // claim's lease it is taken up again. The role's lease is given
            // up, so another instance transcribes at once.
            report("speech recognition", t.await);
        }
        if let Some(b) = self.bot {
            report("matrix bot", b.await);
        }
        if let Some(b) = self.sip {
            // Calls in progress end with the process; their cases stay as
            // they stand, every answer already stored.
            b.stop.cancel();
            report("SIP bridge", b.task.await);
        }
        served
    }
}

/// This instance, as the other instances see it. Unique per start, even
/// where a container reuses the same pid.
fn this_worker() -> akutlinje_core::store::Worker {
    akutlinje_core::store::Worker {
        id: format!(
            "{}-{}-{:04x}",
            hostname(),
            std::process::id(),
            rand::random::<u16>()
        ),
        host: hostname(),
        pid: std::process::id(),
        started_at: Utc::now(),
    }
}

/// The channels pages go out on, besides the record.
struct Senders<'a> {
    matrix: Option<akutlinje_bot::sender::MatrixSender>,
    telephony: Option<&'a akutlinje_telephony::Telephony>,
    /// Voice pages through the SIP bridge (all, or by number).
    sip: Option<(
        akutlinje_telephony::sip::line::SipPager,
        akutlinje_telephony::sip::line::SipPages,
    )>,
}

/// The running SIP bridge.
struct SipBridge {
    task: tokio::task::JoinHandle<()>,
    stop: tokio_util::sync::CancellationToken,
    pager: Option<(
        akutlinje_telephony::sip::line::SipPager,
        akutlinje_telephony::sip::line::SipPages,
    )>,
}

/// Starts the SIP bridge: listens, renders the prompts it lacks in the
/// background (saying how far it got), and answers calls with the line.
async fn sip_bridge(
    s: &crate::config::SipSettings,
    settings: &Settings,
    hotline: &Hotline,
    store: &Arc<dyn Store>,
    me: &str,
) -> anyhow::Result<SipBridge> {
    use akutlinje_telephony::sip::{line, prompts::Prompts, trunk};
    let trunk = trunk::Trunk::bind(trunk::TrunkSettings {
        bind: s.bind,
        allowed: s.peers.clone(),
        media_ip: s.media_ip,
    })
    .await?;
    let loc = hotline.localizer().clone();
    let prompts = Prompts::new(loc.clone(), s.prompts_dir.clone(), s.prompt_cache.clone());
    let lang = settings.language;
    let warm = prompts.clone();
    let ids: Vec<String> = loc
        .ids(lang)
        .into_iter()
        .filter(|id| id.starts_with("ivr-"))
        .collect();
    tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        match warm.warm(lang, &ids) {
            Ok(n) => tracing::info!(
                rendered = n,
                prompts = ids.len(),
                seconds = started.elapsed().as_secs_f32(),
                "SIP prompts ready"
            ),
            Err(e) => {
                tracing::error!(error = %e, "SIP prompts could not be rendered; calls will try again")
            }
        }
    });
    let roster = Arc::new(crate::oncall::RotaRoster::new(
        store.clone(),
        settings.paging_service.clone(),
    ));
    let line = line::Line::new(
        hotline.clone(),
        store.clone(),
        prompts,
        line::LineSettings {
            lang,
            pin_required: s.pin_required,
            dial: s.dial.clone(),
            from_user: s.from.clone(),
            ring: s.ring,
            ..line::LineSettings::default()
        },
        roster,
        trunk.dialer(),
    );
    let stop = trunk.stopper();
    if let Some(r) = &s.registrar {
        // One instance registers the extension (role `sip-registration`):
        // two registrations of one account would make the PBX ring both.
        // Every instance keeps its SIP port open, so calls already routed
        // to it and a PBX's own fail-over still reach a living bridge.
        let (registrar, registrations) = (r.clone(), trunk.registrations());
        let lease = akutlinje_scheduler::lease::Lease::new(store.clone(), "sip-registration", me);
        let shutdown = stop.clone().cancelled_owned();
        // 0 until this instance registers, so that the sum over the
        // instances says whether the extension is reachable at all.
        crate::metrics::install();
        metrics::gauge!("akutlinje_sip_registered").set(0.0);
        tracing::info!(registrar = %r.server, "SIP bridge: registering when this instance holds the role");
        tokio::spawn(lease.play(
            shutdown,
            |_| {},
            move |mut lost| {
                let (registrar, registrations) = (registrar.clone(), registrations.clone());
                async move {
                    let done = tokio_util::sync::CancellationToken::new();
                    match registrations.register_until(registrar, done.clone()) {
                        Ok(_) => {
                            let _ = lost.wait_for(|l| *l).await;
                        }
                        Err(e) => tracing::error!(error = %e, "SIP registration cannot start"),
                    }
                    done.cancel();
                }
            },
        ));
    }
    let pager = s
        .pages
        .clone()
        .map(|rule| (line.pager(tokio::runtime::Handle::current()), rule));
    tracing::info!(bind = %s.bind, peers = s.peers.len(), pages = ?s.pages, "SIP bridge listening");
    let task = tokio::spawn(async move {
        if let Err(e) = trunk.serve(Arc::new(line)).await {
            tracing::error!(error = %e, "the SIP bridge stopped");
        }
    });
    Ok(SipBridge { task, stop, pager })
}

/// A future that completes when the service is told to stop.
fn stopped(stop: &tokio::sync::watch::Sender<bool>) -> impl std::future::Future<Output = ()> {
    let mut rx = stop.subscribe();
    async move {
        let _ = rx.wait_for(|stop| *stop).await;
    }
}

/// Starts paging: the escalation timers, the outbox and this instance's
/// heartbeat, on a thread of their own. A flood of HTTP requests (a
/// password-guessing attack, a misbehaving client) shares the main runtime
/// with hundreds of connection tasks and must not starve the timers of CPU;
/// a frozen or killed instance stops beating, and another (or this one,
/// restarted) releases its claims within seconds.
fn paging(
    settings: &Settings,
    store: &Arc<dyn Store>,
    hotline: &Hotline,
    me: akutlinje_core::store::Worker,
    channels: Senders<'_>,
    wake: Arc<tokio::sync::Notify>,
    stop: &tokio::sync::watch::Sender<bool>,
) -> anyhow::Result<std::thread::JoinHandle<()>> {
    let policies = match &settings.policies {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            Policies::parse(&text).map_err(fail)?
        }
        None => Policies::default_policies().map_err(fail)?,
    };
    let mut senders: Vec<Arc<dyn akutlinje_scheduler::escalation::Sender>> = Vec::new();
    if let Some(m) = channels.matrix {
        senders.push(Arc::new(m));
    }
    let has_voice = channels.telephony.is_some() || channels.sip.is_some();
    if let Some(t) = channels.telephony {
        senders.push(Arc::new(t.sms_sender()));
    }
    // One voice channel: Twilio's, the bridge's, or each person's by number.
    match (channels.telephony, channels.sip) {
        (Some(t), None) => senders.push(Arc::new(t.voice_sender())),
        (None, Some((p, _)))
        | (Some(_), Some((p, akutlinje_telephony::sip::line::SipPages::All))) => {
            senders.push(Arc::new(p));
        }
        (Some(t), Some((sip, rule))) => {
            senders.push(Arc::new(akutlinje_telephony::sip::line::VoiceByNumber {
                sip,
                other: t.voice_sender(),
                rule,
            }));
        }
        (None, None) => {}
    }
    let escalator = Escalator::new(
        store.clone(),
        policies,
        settings.paging_service.clone(),
        hotline.checklist().clone(),
        hotline.localizer().clone(),
        me.id.clone(),
    )
    .with_phone_bridge(has_voice)
    .with_video(hotline.video().cloned());
    let outbox = Outbox::new(store.clone(), senders, me.id.clone());
    let heartbeat = akutlinje_scheduler::escalation::heartbeat(
        store.clone(),
        me,
        Arc::new(SystemClock),
        std::time::Duration::from_secs(2),
        chrono::Duration::seconds(6),
        stopped(stop),
    );
    let run = akutlinje_scheduler::escalation::run_woken(
        escalator,
        outbox,
        Arc::new(SystemClock),
        std::time::Duration::from_secs(1),
        wake,
        stopped(stop),
    );
    dedicated_runtime("akutlinje-paging", async move {
        tokio::join!(heartbeat, run);
    })
}

/// Starts the rota jobs (handover notices, reminders, gap reports) and the
/// housekeeping that purges what is kept only for a while.
fn rota_jobs(
    settings: &Settings,
    store: &Arc<dyn Store>,
    hotline: &Hotline,
    stop: &tokio::sync::watch::Sender<bool>,
) -> (tokio::task::JoinHandle<()>, tokio::task::JoinHandle<()>) {
    let jobs = akutlinje_scheduler::jobs::RotaJobs::new(
        store.clone(),
        settings.paging_service.clone(),
        hotline.localizer().clone(),
        akutlinje_scheduler::jobs::JobSettings::default(),
    );
    let rota_jobs = tokio::spawn(akutlinje_scheduler::jobs::run(
        jobs,
        Arc::new(SystemClock),
        std::time::Duration::from_secs(30),
        stopped(stop),
    ));
    let housekeeping = tokio::spawn(akutlinje_scheduler::jobs::housekeeping(
        store.clone(),
        Arc::new(SystemClock),
        std::time::Duration::from_secs(600),
        stopped(stop),
    ));
    (rota_jobs, housekeeping)
}

/// Starts the Matrix bot on the one instance that holds its lease (see
/// `akutlinje_scheduler::lease`): connects (retrying while the homeserver is
/// away; that must not stop the hotline), then syncs until stopped or until
/// the role goes to another instance. Instances sharing a database share
/// the bot's store directory too (one device, one sync position): the
/// instance that takes over continues from the last sync the other
/// finished, and a message the other had already answered is recognised by
/// its event id and not answered again.
fn matrix_bot(
    m: &crate::config::MatrixSettings,
    settings: &Settings,
    store: &Arc<dyn Store>,
    hotline: &Hotline,
    sender: akutlinje_bot::sender::MatrixSender,
    me: &str,
    stop: &tokio::sync::watch::Sender<bool>,
) -> tokio::task::JoinHandle<()> {
    let cfg = akutlinje_bot::BotConfig {
        homeserver: m.homeserver.clone(),
        user: m.user.clone(),
        password: m.password.clone(),
        store_dir: m.store_dir.clone(),
        store_passphrase: m.store_passphrase.clone(),
        recovery_key_file: m.recovery_key_file.clone(),
    };
    let ctx = akutlinje_bot::BotContext::new(
        hotline.clone(),
        Arc::new(crate::oncall::RotaRoster::new(
            store.clone(),
            settings.paging_service.clone(),
        )),
        store.clone(),
    );
    let lease = akutlinje_scheduler::lease::Lease::new(store.clone(), "matrix-bot", me);
    let until_stopped = stopped(stop);
    let role = sender.clone();
    tokio::spawn(lease.play(
        until_stopped,
        move |here| role.playing(here),
        move |mut lost| {
            let (cfg, ctx, sender) = (cfg.clone(), ctx.clone(), sender.clone());
            async move {
                let ended = async move {
                    let _ = lost.wait_for(|l| *l).await;
                };
                tokio::pin!(ended);
                // 1 s, doubling, at most a minute apart.
                let policy = backon::ExponentialBuilder::default()
                    .with_min_delay(std::time::Duration::from_secs(1))
                    .with_max_delay(std::time::Duration::from_secs(60))
                    .without_max_times();
                let connect = (|| akutlinje_bot::connect(&cfg))
                    .retry(policy)
                    .notify(|e, wait| {
                        tracing::error!(error = %e, retry_in_s = wait.as_secs(), "the Matrix bot cannot connect; retrying");
                    });
                let client = tokio::select! {
                    () = &mut ended => return,
                    c = connect => match c {
                        Ok(c) => c,
                        // Not reached: the policy retries for ever.
                        Err(_) => return,
                    },
                };
                sender.connected(client.clone());
                sender.with_context(ctx.clone());
                if let Err(e) = akutlinje_bot::run(client, ctx, ended).await {
                    tracing::error!(error = %e, "the Matrix bot stopped");
                }
            }
        },
    ))
}

/// How to try the demo, with its people's tokens.
fn demo_banner(base: &str, tokens: &[(String, akutlinje_core::person::Role, String)]) {
    eprintln!("\nDemo data: Plejecenter Solgården (solgaarden) and Plejecenter Birkely (birkely), 7 residents.");
    eprintln!("API tokens, also the web passwords (new at every --demo start; the previous ones are revoked):");
    for (id, role, token) in tokens {
        eprintln!("  {id:<8} {:<12} {token}", role.as_str());
    }
    if let Some((_, _, t)) = tokens.iter().find(|(id, _, _)| id == "dr-lund") {
        eprintln!("\nTry:");
        eprintln!("  curl -s -H 'Authorization: Bearer {t}' {base}/api/v1/residents");
        eprintln!(
            "  curl -s -H 'Authorization: Bearer {t}' -d '{{\"resp_rate\":24,\"spo2\":93,\"oxygen\":false,\"systolic\":110,\"pulse\":105,\"consciousness\":\"A\",\"temp\":38.9}}' {base}/api/v1/scores/news2"
        );
    }
    eprintln!("  akutlinje console --home solgaarden --as anna     (a whole case at the keyboard, in Danish)");
    eprintln!("  {base}/login    (sign in as karin with her token as password: the rota, cases and figures)");
    eprintln!();
}

/// Logs how a background task ended.
fn report(name: &str, ended: Result<(), tokio::task::JoinError>) {
    match ended {
        Ok(()) => tracing::info!(task = name, "stopped"),
        Err(e) if e.is_cancelled() => tracing::info!(task = name, "cancelled"),
        Err(e) => tracing::error!(task = name, error = %e, "ended with a panic"),
    }
}

/// Runs `fut` on a runtime of its own, on its own OS thread, so the OS
/// scheduler gives it a share of the CPU however many tasks the main
/// runtime is running.
pub(crate) fn dedicated_runtime(
    name: &str,
    fut: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<std::thread::JoinHandle<()>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .with_context(|| format!("cannot start the {name} runtime"))?;
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || rt.block_on(fut))
        .with_context(|| format!("cannot start the {name} thread"))
}

pub(crate) fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "akutlinje".into())
}

pub(crate) fn init_tracing(settings: &Settings) {
    let filter = log_filter(&settings.log);
    // Logs go to stderr: stdout is the console's conversation and the CLI's JSON.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = if settings.log_json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// The operator's log filter with what the libraries must not log.
fn log_filter(log: &str) -> tracing_subscriber::EnvFilter {
    let mut filter = tracing_subscriber::EnvFilter::new(log);
    // whisper.cpp logs every decoded token at debug level, i.e. what the
    // caller said (patient data): its logs are capped at warnings whatever
    // the filter asks for. A later directive for the same target wins.
    // rsipstack logs every SIP message it receives at info level, raw: the
    // caller's number, and keys sent as SIP INFO (a PIN). Capped likewise;
    // the bridge logs what an operator needs without them.
    for cap in ["whisper_rs=warn", "rsipstack=warn"] {
        if let Ok(cap) = cap.parse() {
            filter = filter.add_directive(cap);
        }
    }
    // matrix-sdk logs every failed request at error level, including the
    // 404s it expects while it looks for secret storage and a key backup
    // at every log-in: eight "errors" at each start that are none. A
    // request that matters fails into the bot, which logs it with context.
    // Silenced unless the filter names matrix_sdk itself.
    if !log.contains("matrix_sdk") {
        if let Ok(quiet) = "matrix_sdk::http_client=off".parse() {
            filter = filter.add_directive(quiet);
        }
    }
    filter
}

/// Moves the embedded database from its old place next to the binary to
/// the data directory (with its WAL files), or, when that fails (another
/// file system, no rights), says where it is and keeps using it there.
pub(crate) fn move_legacy_database(settings: &mut Settings) {
    let Some(old) = settings.legacy_database().map(std::path::Path::to_path_buf) else {
        return;
    };
    let new = settings
        .database_url
        .strip_prefix("sqlite://")
        .map(std::path::PathBuf::from);
    let Some(new) = new else { return };
    let moved = new
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| {
            std::fs::rename(&old, &new)?;
            for ext in ["-wal", "-shm"] {
                let from = std::path::PathBuf::from(format!("{}{ext}", old.display()));
                if from.exists() {
                    std::fs::rename(&from, format!("{}{ext}", new.display()))?;
                }
            }
            Ok(())
        });
    match moved {
        Ok(()) => eprintln!(
            "note: the database was moved from {} (next to the program, where a rebuild or an \
             upgrade could delete it) to {}",
            old.display(),
            new.display()
        ),
        Err(e) => {
            eprintln!(
                "warning: the database is still at {} (next to the program, where a rebuild or an \
                 upgrade could delete it) and could not be moved to {}: {e}. Using it where it is; \
                 move it yourself or set database_url.",
                old.display(),
                new.display()
            );
            settings.database_url = format!("sqlite://{}", old.display());
        }
    }
}

pub(crate) async fn open(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    // The data directory is made on first start, private to the service's user.
    if let Some(parent) = settings
        .database_url
        .strip_prefix("sqlite://")
        .map(|p| p.split('?').next().unwrap_or(p))
        .and_then(|p| std::path::Path::new(p).parent())
        .filter(|p| !p.as_os_str().is_empty() && !p.exists())
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create the data directory {}", parent.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(parent, std::fs::Permissions::from_mode(0o700));
        }
    }
    if let Some(owner) = &settings.database_owner_url {
        migrate(owner).await?;
    }
    let migrations = if settings.migrate_at_start {
        akutlinje_store::Migrations::Run
    } else {
        akutlinje_store::Migrations::Check
    };
    akutlinje_store::connect_with(&settings.database_url, migrations)
        .await
        .with_context(|| format!("cannot open the database {}", settings.database_display()))
}

/// Applies pending migrations as the schema's owner.
pub(crate) async fn migrate(owner_url: &str) -> anyhow::Result<()> {
    akutlinje_store::connect(owner_url)
        .await
        .map(drop)
        .with_context(|| {
            format!(
                "cannot migrate the database as its owner ({})",
                crate::config::redact_password(owner_url)
            )
        })
}

/// The hotline service on a store, with the built-in checklist and texts.
pub fn hotline(store: Arc<dyn Store>) -> anyhow::Result<Hotline> {
    let loc = Arc::new(Localizer::builtin().context("the built-in texts")?);
    let def = Arc::new(Checklist::builtin_acute(&loc).context("the built-in checklist")?);
    Ok(Hotline::new(store, def, loc))
}

#[cfg(test)]
mod tests {
    use super::log_filter;

    #[test]
    fn libraries_that_log_patient_data_or_false_errors_are_capped() {
        let f = log_filter("debug").to_string();
        assert!(f.contains("whisper_rs=warn"), "{f}");
        assert!(f.contains("rsipstack=warn"), "{f}");
        assert!(f.contains("matrix_sdk::http_client=off"), "{f}");
        // Asked for by name, matrix-sdk's requests are the operator's to see.
        let f = log_filter("info,matrix_sdk::http_client=debug").to_string();
        assert!(!f.contains("matrix_sdk::http_client=off"), "{f}");
        assert!(f.contains("matrix_sdk::http_client=debug"), "{f}");
        // The caps hold even when asked for (patient data).
        let f = log_filter("whisper_rs=trace").to_string();
        assert!(!f.contains("whisper_rs=trace"), "{f}");
    }
}
