//! Changing the rota by hand: cover (an override) and swaps. One set of
//! rules, whoever asks: the web page, the command line and the API all call
//! these, so a rule added here holds everywhere.

use akutlinje_core::ids::PersonId;
use akutlinje_core::rota::{OverrideSpec, RotationId, RotationSpec, ServiceId, SwapSpec, TierId};
use akutlinje_core::store::{PeopleStore, RotaStore, StoreError};
use chrono::{DateTime, Duration, Utc};

use crate::rota::Rotation;

/// Why a change to the rota was refused.
#[derive(Debug, thiserror::Error)]
pub enum CoverError {
    /// No such service.
    #[error("no service {0}")]
    UnknownService(ServiceId),
    /// The service has no such tier.
    #[error("{tier} is not a tier of {service}")]
    UnknownTier {
        /// The service.
        service: ServiceId,
        /// The tier asked for.
        tier: TierId,
    },
    /// No such person.
    #[error("no person with id {0}")]
    UnknownPerson(PersonId),
    /// The override ends before it starts.
    #[error("the end must be after the start")]
    EndBeforeStart,
    /// Two overrides of one tier at once would leave who is on call to
    /// the order they were stored in.
    #[error("another override already covers {0} then")]
    Overlap(TierId),
    /// No such rotation (in the service, if one was named).
    #[error("no rotation {0}")]
    UnknownRotation(RotationId),
    /// Each person must really have the shift they give away.
    #[error("{person} has no shift starting at {start}")]
    NotTheirShift {
        /// Who would give the shift away.
        person: PersonId,
        /// When the shift would start.
        start: DateTime<Utc>,
    },
    /// A stored rotation no longer parses (changed by hand in the database).
    #[error("rotation {rotation} cannot be read: {detail}")]
    Corrupt {
        /// The rotation.
        rotation: RotationId,
        /// Why it does not parse.
        detail: String,
    },
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks and stores an override; returns its id. The service and tier
/// must exist, the people be known, the times ordered, and no other
/// override may cover the same tier at the same time.
pub async fn add_override(
    rota: &dyn RotaStore,
    people: &dyn PeopleStore,
    o: &OverrideSpec,
) -> Result<i64, CoverError> {
    let service = rota
        .service(&o.service)
        .await?
        .ok_or_else(|| CoverError::UnknownService(o.service.clone()))?;
    if !service.tiers.contains(&o.tier) {
        return Err(CoverError::UnknownTier {
            service: o.service.clone(),
            tier: o.tier.clone(),
        });
    }
    for p in std::iter::once(&o.person).chain(o.replaces.as_ref()) {
        if people.person(p).await?.is_none() {
            return Err(CoverError::UnknownPerson(p.clone()));
        }
    }
    if o.to <= o.from {
        return Err(CoverError::EndBeforeStart);
    }
    let existing = rota.rota(&o.service).await?.overrides;
    if existing
        .iter()
        .any(|x| x.tier == o.tier && x.from < o.to && x.to > o.from)
    {
        return Err(CoverError::Overlap(o.tier.clone()));
    }
    Ok(rota.add_override(o).await?)
}

/// Checks and stores a swap; returns its id. The rotation must exist (in
/// `service` if given, else in any service), and each person must have the
/// shift they give away.
pub async fn add_swap(
    rota: &dyn RotaStore,
    service: Option<&ServiceId>,
    swap: &SwapSpec,
) -> Result<i64, CoverError> {
    let spec = find_rotation(rota, service, &swap.rotation)
        .await?
        .ok_or_else(|| CoverError::UnknownRotation(swap.rotation.clone()))?;
    let rotation = Rotation::parse(spec).map_err(|e| CoverError::Corrupt {
        rotation: swap.rotation.clone(),
        detail: e.to_string(),
    })?;
    for (person, start) in [(&swap.a, swap.a_shift), (&swap.b, swap.b_shift)] {
        let has = rotation
            .shifts(start, start + Duration::minutes(1))
            .iter()
            .any(|s| s.start == start && &s.person == person);
        if !has {
            return Err(CoverError::NotTheirShift {
                person: person.clone(),
                start,
            });
        }
    }
    Ok(rota.add_swap(swap).await?)
}

async fn find_rotation(
    rota: &dyn RotaStore,
    service: Option<&ServiceId>,
    id: &RotationId,
) -> Result<Option<RotationSpec>, StoreError> {
    let services = match service {
        Some(s) => vec![s.clone()],
        None => rota.services().await?.into_iter().map(|s| s.id).collect(),
    };
    for s in services {
        if let Some(r) = rota
            .rota(&s)
            .await?
            .rotations
            .into_iter()
            .find(|r| &r.id == id)
        {
            return Ok(Some(r));
        }
    }
    Ok(None)
}
