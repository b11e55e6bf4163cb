//! Who is on call, and where nobody is: the rota of a service read from the
//! store, resolved by `akutlinje-scheduler`, as JSON for the CLI and the API.

use std::sync::Arc;

use akutlinje_core::rota::{RotaSpec, RotationSpec, Service, ServiceId, TierId};
use akutlinje_core::store::Store;
use akutlinje_scheduler::rota::{local_naive, Rota, Segment};
use anyhow::{bail, Context};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use akutlinje_scheduler::oncall::load;
pub use akutlinje_scheduler::oncall::OncallError;

fn local(t: DateTime<Utc>) -> String {
    local_naive(t).format("%Y-%m-%d %H:%M").to_string()
}

fn segment_json(s: &Segment, name: Option<String>) -> serde_json::Value {
    serde_json::json!({
        "person": s.person,
        "name": name,
        "start": s.start,
        "end": s.end,
        "start_local": local(s.start),
        "end_local": local(s.end),
        "source": s.source,
    })
}

/// Each tier's person at `at`, with their shift's start and end.
pub async fn on_call(
    store: &Arc<dyn Store>,
    service: &ServiceId,
    at: DateTime<Utc>,
) -> Result<serde_json::Value, OncallError> {
    let (svc, on_call) = akutlinje_scheduler::oncall::on_call(store.as_ref(), service, at).await?;
    let mut tiers = Vec::new();
    for (tier, seg) in on_call {
        let entry = match seg {
            Some(seg) => {
                let name = store.person(&seg.person).await?.map(|p| p.name.to_string());
                let mut v = segment_json(&seg, name);
                v["tier"] = serde_json::json!(tier);
                v
            }
            None => serde_json::json!({ "tier": tier, "person": null }),
        };
        tiers.push(entry);
    }
    Ok(
        serde_json::json!({ "service": svc.id, "name": svc.name, "at": at, "at_local": local(at), "tiers": tiers }),
    )
}

/// Every uncovered stretch of the next `days` days, per tier.
pub async fn gaps(
    store: &Arc<dyn Store>,
    service: &ServiceId,
    from: DateTime<Utc>,
    days: u32,
) -> Result<serde_json::Value, OncallError> {
    let (svc, rota) = load(store.as_ref(), service).await?;
    let to = from + Duration::days(i64::from(days));
    let mut tiers = Vec::new();
    for tier in &svc.tiers {
        let gaps: Vec<serde_json::Value> = rota
            .gaps(tier, from, to)
            .iter()
            .map(|g| {
                serde_json::json!({
                    "start": g.start, "end": g.end, "start_local": local(g.start), "end_local": local(g.end), "minutes": g.minutes()
                })
            })
            .collect();
        let minutes: i64 = gaps.iter().filter_map(|g| g["minutes"].as_i64()).sum();
        tiers.push(serde_json::json!({ "tier": tier, "uncovered_minutes": minutes, "gaps": gaps }));
    }
    Ok(
        serde_json::json!({ "service": svc.id, "from": from, "to": to, "days": days, "tiers": tiers }),
    )
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
