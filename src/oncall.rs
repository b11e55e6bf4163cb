//! Who is on call, and where nobody is: the rota of a service read from the
//! store, resolved by `akutlinje-scheduler`, as JSON for the CLI and the API.

use std::sync::Arc;

use akutlinje_core::ids::PersonId;
use akutlinje_core::rota::{RotaSpec, RotationSpec, Service, ServiceId, TierId};
use akutlinje_core::store::Store;
use akutlinje_scheduler::rota::{local_naive, Rota, Source};
use anyhow::{bail, Context};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use akutlinje_scheduler::oncall::load;
pub use akutlinje_scheduler::oncall::OncallError;

fn local(t: DateTime<Utc>) -> String {
    local_naive(t).format("%Y-%m-%d %H:%M").to_string()
}

/// Who is on call for a service at one moment.
#[derive(Debug, Serialize, ToSchema)]
pub struct OnCall {
    /// The service.
    pub service: ServiceId,
    /// Its name.
    pub name: String,
    /// The moment asked about.
    pub at: DateTime<Utc>,
    /// The same on the Copenhagen wall clock (`YYYY-MM-DD HH:MM`).
    pub at_local: String,
    /// Each tier, in escalation order.
    pub tiers: Vec<TierOnCall>,
}

/// One tier's person on call, with their shift; `person` is null when
/// nobody is, and the shift's fields are then left out.
#[derive(Debug, Serialize, ToSchema)]
pub struct TierOnCall {
    /// The tier.
    pub tier: TierId,
    /// Who is on call, if anyone.
    pub person: Option<PersonId>,
    /// Their name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// When the shift starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<DateTime<Utc>>,
    /// When it ends (exclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<DateTime<Utc>>,
    /// The start on the Copenhagen wall clock.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_local: Option<String>,
    /// The end on the Copenhagen wall clock.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_local: Option<String>,
    /// Why they are on call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

/// Every uncovered stretch of a service's next days.
#[derive(Debug, Serialize, ToSchema)]
pub struct Gaps {
    /// The service.
    pub service: ServiceId,
    /// From.
    pub from: DateTime<Utc>,
    /// To (exclusive).
    pub to: DateTime<Utc>,
    /// How many days.
    pub days: u32,
    /// Each tier's gaps, in escalation order.
    pub tiers: Vec<TierGaps>,
}

/// One tier's uncovered stretches.
#[derive(Debug, Serialize, ToSchema)]
pub struct TierGaps {
    /// The tier.
    pub tier: TierId,
    /// Minutes without anyone on call, in all.
    pub uncovered_minutes: i64,
    /// Each stretch.
    pub gaps: Vec<GapLine>,
}

/// A stretch of time with nobody on call.
#[derive(Debug, Serialize, ToSchema)]
pub struct GapLine {
    /// From.
    pub start: DateTime<Utc>,
    /// To (exclusive).
    pub end: DateTime<Utc>,
    /// From, on the Copenhagen wall clock.
    pub start_local: String,
    /// To, on the Copenhagen wall clock.
    pub end_local: String,
    /// How long, in whole minutes.
    pub minutes: i64,
}

/// Each tier's person at `at`, with their shift's start and end.
pub async fn on_call(
    store: &Arc<dyn Store>,
    service: &ServiceId,
    at: DateTime<Utc>,
) -> Result<OnCall, OncallError> {
    let (svc, on_call) = akutlinje_scheduler::oncall::on_call(store.as_ref(), service, at).await?;
    let mut tiers = Vec::new();
    for (tier, seg) in on_call {
        tiers.push(match seg {
            Some(seg) => TierOnCall {
                name: store.person(&seg.person).await?.map(|p| p.name.to_string()),
                tier,
                person: Some(seg.person.clone()),
                start: Some(seg.start),
                end: Some(seg.end),
                start_local: Some(local(seg.start)),
                end_local: Some(local(seg.end)),
                source: Some(seg.source),
            },
            None => TierOnCall {
                tier,
                person: None,
                name: None,
                start: None,
                end: None,
                start_local: None,
                end_local: None,
                source: None,
            },
        });
    }
    Ok(OnCall {
        service: svc.id,
        name: svc.name,
        at,
        at_local: local(at),
        tiers,
    })
}

/// Every uncovered stretch of the next `days` days, per tier.
pub async fn gaps(
    store: &Arc<dyn Store>,
    service: &ServiceId,
    from: DateTime<Utc>,
    days: u32,
) -> Result<Gaps, OncallError> {
    let (svc, rota) = load(store.as_ref(), service).await?;
    let to = from + Duration::days(i64::from(days));
    let mut tiers = Vec::new();
    for tier in &svc.tiers {
        let gaps: Vec<GapLine> = rota
            .gaps(tier, from, to)
            .iter()
            .map(|g| GapLine {
                start: g.start,
                end: g.end,
                start_local: local(g.start),
                end_local: local(g.end),
                minutes: g.minutes(),
            })
            .collect();
        tiers.push(TierGaps {
            tier: tier.clone(),
            uncovered_minutes: gaps.iter().map(|g| g.minutes).sum(),
            gaps,
        });
    }
    Ok(Gaps {
        service: svc.id,
        from,
        to,
        days,
        tiers,
    })
}

/// A rota file: one service and its rotations (TOML).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotaFile {
    /// The service.
    pub service: Service,
    /// Its rotations (`[[rotation]]`).
    #[serde(default, rename = "rotation")]
    pub rotations: Vec<RotationSpec>,
}

/// Loads a rota file: the service and exactly the rotations in the file (others
/// of the service are removed). Everything is checked before anything is stored.
pub async fn load_file(store: &Arc<dyn Store>, text: &str) -> anyhow::Result<(usize, usize)> {
    let file: RotaFile =
        toml::from_str(text).map_err(|e| anyhow::anyhow!("the rota file is not valid: {e}"))?;
    if file.service.tiers.is_empty() {
        bail!("service {}: list at least one tier", file.service.id);
    }
    for r in &file.rotations {
        if r.service != file.service.id {
            bail!(
                "rotation {}: belongs to service {}, not {}",
                r.id,
                r.service,
                file.service.id
            );
        }
        if !file.service.tiers.contains(&r.tier) {
            bail!(
                "rotation {}: tier {} is not one of the service's tiers ({})",
                r.id,
                r.tier,
                tiers_text(&file.service.tiers)
            );
        }
        for m in &r.members {
            if store.person(m).await?.is_none() {
                bail!(
                    "rotation {}: person {m} is unknown (see `akutlinje people list`)",
                    r.id
                );
            }
        }
    }
    Rota::parse(RotaSpec {
        rotations: file.rotations.clone(),
        overrides: vec![],
        swaps: vec![],
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    store
        .upsert_service(&file.service)
        .await
        .context("cannot store the service")?;
    let before = store.rota(&file.service.id).await?;
    let mut removed = 0;
    for old in before
        .rotations
        .iter()
        .filter(|o| !file.rotations.iter().any(|r| r.id == o.id))
    {
        store.delete_rotation(&old.id).await?;
        removed += 1;
    }
    for r in &file.rotations {
        store
            .upsert_rotation(r)
            .await
            .with_context(|| format!("cannot store rotation {}", r.id))?;
    }
    Ok((file.rotations.len(), removed))
}

fn tiers_text(t: &[TierId]) -> String {
    t.iter().map(TierId::as_str).collect::<Vec<_>>().join(", ")
}

/// The paging service's rota as the channels' [`Roster`](akutlinje_core::roster::Roster).
pub struct RotaRoster {
    store: Arc<dyn Store>,
    service: akutlinje_core::rota::ServiceId,
}

impl RotaRoster {
    /// The roster of `service`.
    pub fn new(store: Arc<dyn Store>, service: akutlinje_core::rota::ServiceId) -> RotaRoster {
        RotaRoster { store, service }
    }
}

#[async_trait::async_trait]
impl akutlinje_core::roster::Roster for RotaRoster {
    async fn on_call(
        &self,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<akutlinje_core::roster::OnCallNow, akutlinje_core::roster::RosterError> {
        let fail = |e: &dyn std::fmt::Display| akutlinje_core::roster::RosterError(e.to_string());
        let (svc, tiers) =
            akutlinje_scheduler::oncall::on_call(self.store.as_ref(), &self.service, at)
                .await
                .map_err(|e| fail(&e))?;
        let mut out = Vec::with_capacity(tiers.len());
        for (tier, seg) in tiers {
            let who = match seg {
                Some(seg) => self
                    .store
                    .person(&seg.person)
                    .await
                    .map_err(|e| fail(&e))?
                    .map(|p| (p, seg.end)),
                None => None,
            };
            out.push((tier, who));
        }
        Ok(akutlinje_core::roster::OnCallNow {
            service: svc.name,
            tiers: out,
        })
    }
}

/// The Twilio side of the hotline, from the settings.
pub fn telephony(
    tw: &crate::config::TwilioSettings,
    lang: akutlinje_core::i18n::Lang,
    hotline: akutlinje_core::service::Hotline,
    store: Arc<dyn Store>,
    service: akutlinje_core::rota::ServiceId,
) -> anyhow::Result<akutlinje_telephony::Telephony> {
    let client = akutlinje_telephony::rest::Client::new(akutlinje_telephony::rest::Credentials {
        base_url: tw.api_base.clone(),
        account_sid: tw.account_sid.clone(),
        auth_token: tw.auth_token.clone(),
    })
    .map_err(|e| anyhow::anyhow!("the Twilio client: {e}"))?;
    let settings = akutlinje_telephony::Settings {
        public_url: tw.public_url.clone(),
        from: tw.from.clone(),
        auth_token: tw.auth_token.clone(),
        sha256_key: tw.sha256_key.clone(),
        algorithm: tw.signature,
        voice: akutlinje_telephony::twiml::Voice {
            voice: tw.voice.clone(),
            language: match lang {
                akutlinje_core::i18n::Lang::Da => "da-DK".into(),
                akutlinje_core::i18n::Lang::En => "en-GB".into(),
            },
        },
        hold_music: tw.hold_music.clone(),
        lang,
        pin_required: tw.pin_required,
    };
    let oncall = Arc::new(RotaRoster::new(store.clone(), service));
    akutlinje_telephony::Telephony::new(hotline, store, client, settings, oncall)
        .map_err(|e| anyhow::anyhow!("Twilio: {e}; refusing to start"))
}
