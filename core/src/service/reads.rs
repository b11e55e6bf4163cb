//! What a channel may read about a case; each read of a resident is logged.

use super::*;
use crate::escalation::{Escalation, Notification};
use crate::ids::PersonId;

impl Hotline {
    /// A case's record, for someone allowed to read it. Reading it reads the
    /// resident's data, so it is written to the access log with the channel
    /// (and `detail`: `print`, `os_user=...`). Someone who may not read the
    /// case's home gets the same answer as for a case that does not exist,
    /// and a `denied` entry is written.
    pub async fn read_case(
        &self,
        case: CaseId,
        who: &Person,
        channel: Channel,
        detail: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(CaseSummary, Vec<CaseEvent>), ServiceError> {
        let Some(summary) = self.store.case(case).await? else {
            return Err(ServiceError::UnknownCase);
        };
        let entry = |resident: &crate::ids::ResidentId, action| {
            let e = AccessEntry::new(
                now,
                Some(who.id.clone()),
                resident.clone(),
                Some(case),
                action,
                channel,
            );
            match detail {
                Some(d) => e.detail(d),
                None => e,
            }
        };
        if !who.may_read_home(&summary.home) {
            if let Some(r) = &summary.resident {
                self.store
                    .log_access(&entry(r, AccessAction::Denied))
                    .await?;
            }
            tracing::warn!(case = %case, person = %who.id, "case of another home refused");
            // Same answer as a missing case: nothing is revealed.
            return Err(ServiceError::UnknownCase);
        }
        let events = self.store.events(case).await?;
        if let Some(r) = &summary.resident {
            self.store.log_access(&entry(r, AccessAction::Read)).await?;
        }
        Ok((summary, events))
    }

    /// Cases, newest first, of `home` (or every home `who` may read): each
    /// listed case with its resident is a read of that resident, logged
    /// with the channel and `case_list` (or `detail`).
    pub async fn list_cases(
        &self,
        who: &Person,
        home: Option<&HomeId>,
        limit: u32,
        channel: Channel,
        detail: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<CaseSummary>, ServiceError> {
        if let Some(h) = home {
            if !who.may_read_home(h) {
                return Err(ServiceError::NotAllowed);
            }
        } else if !who.role.may_read_all_homes() {
            return Err(ServiceError::NotAllowed);
        }
        let cases = self.store.cases(home, limit).await?;
        for c in &cases {
            if let Some(r) = &c.resident {
                let e = AccessEntry::new(
                    now,
                    Some(who.id.clone()),
                    r.clone(),
                    Some(c.id),
                    AccessAction::Read,
                    channel,
                )
                .detail(detail.unwrap_or("case_list"));
                self.store.log_access(&e).await?;
            }
        }
        Ok(cases)
    }

    /// The engine state of a case, for the channel driving it (a phone
    /// call between two questions).
    pub async fn case_state(&self, case: CaseId) -> Result<CaseState, ServiceError> {
        match self.store.engine_state(case).await? {
            Some((state, _)) => Ok(state),
            None => Err(ServiceError::UnknownCase),
        }
    }

    /// Where a case stands (home, resident id, status, urgency), for routing
    /// a message and checking a room. Holds no resident data, so it is not
    /// a read of the resident.
    pub async fn case_summary(&self, case: CaseId) -> Result<Option<CaseSummary>, ServiceError> {
        Ok(self.store.case(case).await?)
    }

    /// Who acknowledged a case's page first, if anyone did.
    pub async fn acknowledged_by(&self, case: CaseId) -> Result<Option<PersonId>, ServiceError> {
        Ok(self
            .store
            .events(case)
            .await?
            .into_iter()
            .find_map(|e| match e.event.kind {
                EventKind::PageAcknowledged { person, .. } => Some(person),
                _ => None,
            }))
    }

    /// The cases paged to `person`, the latest first (at most `limit`):
    /// the cases an SMS answer may name by code.
    pub async fn pages_to(
        &self,
        person: &PersonId,
        limit: u32,
    ) -> Result<Vec<CaseId>, ServiceError> {
        Ok(self.store.pages_to(person, limit).await?)
    }

    /// Writes a read (or a refusal) a channel made to the access log.
    pub async fn log_access(&self, entry: &AccessEntry) -> Result<(), ServiceError> {
        Ok(self.store.log_access(entry).await?)
    }

    /// Records a fact a channel observed about a case (a call's status,
    /// data withheld from a room), authored by the system. The same
    /// `external_id` twice records it once: false the second time.
    pub async fn channel_event(
        &self,
        case: CaseId,
        kind: EventKind,
        channel: Channel,
        external_id: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<bool, ServiceError> {
        let event = NewEvent {
            at,
            author: Author::system(),
            channel,
            kind,
            corrects: None,
            external_id,
        };
        match self.store.append_event(case, &event).await {
            Ok(_) => Ok(true),
            Err(StoreError::Duplicate) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// The case of the last page sent to `person`: what a bare "ok" answers.
    pub async fn last_page_to(&self, person: &PersonId) -> Result<Option<CaseId>, ServiceError> {
        Ok(self.store.latest_page_to(person).await?)
    }

    /// The case and physician of the page a channel delivered as
    /// `external_id` (the message a physician answered).
    pub async fn page_by_external_id(
        &self,
        external_id: &str,
    ) -> Result<Option<(CaseId, PersonId)>, ServiceError> {
        Ok(self.store.page_by_external_id(external_id).await?)
    }

    /// Where a case's escalation stands, if it was paged.
    pub async fn escalation(&self, case: CaseId) -> Result<Option<Escalation>, ServiceError> {
        Ok(self.store.escalation(case).await?)
    }

    /// One notification of a case (the page a voice call delivers).
    pub async fn notification(
        &self,
        case: CaseId,
        id: i64,
    ) -> Result<Option<Notification>, ServiceError> {
        Ok(self
            .store
            .notifications(case)
            .await?
            .into_iter()
            .find(|n| n.id == id))
    }
}

impl Hotline {
    /// A case as a FHIR R4 Bundle (`crate::fhir`), for someone who may read
    /// it; the read is access-logged like any other (`detail` says why).
    pub async fn fhir_bundle(
        &self,
        case: CaseId,
        who: &Person,
        channel: Channel,
        detail: Option<&str>,
        lang: Lang,
        now: DateTime<Utc>,
    ) -> Result<serde_json::Value, ServiceError> {
        let (summary, events) = self.read_case(case, who, channel, detail, now).await?;
        let state = self.store.engine_state(case).await?.map(|(s, _)| s);
        let names = self.names_in(&events).await?;
        let mut authors = crate::fhir::Authors::new();
        for e in &events {
            if let Some(p) = &e.event.author.person {
                let name = names.get(p).cloned().unwrap_or_else(|| p.to_string());
                authors
                    .entry(p.clone())
                    .or_insert((name, e.event.author.role));
            }
        }
        Ok(crate::fhir::bundle(
            &crate::fhir::CaseParts {
                summary: &summary,
                events: &events,
                state: state.as_ref(),
                authors: &authors,
                now,
            },
            &self.def,
            &self.loc,
            lang,
        ))
    }
}

impl Hotline {
    /// A case's record in words (`crate::sentences::record_text`), for
    /// someone who may read it; the read is access-logged like any other.
    pub async fn record_in_words(
        &self,
        case: CaseId,
        who: &Person,
        channel: Channel,
        detail: Option<&str>,
        lang: Lang,
        now: DateTime<Utc>,
    ) -> Result<String, ServiceError> {
        let (summary, events) = self.read_case(case, who, channel, detail, now).await?;
        let names = self.names_in(&events).await?;
        Ok(crate::sentences::record_text(
            &self.loc, lang, &summary, &events, &names,
        ))
    }
}

impl Hotline {
    /// The names of everyone a record names (authors, who was paged, who
    /// answered), looked up once each; a person who cannot be read keeps
    /// their id. For every view that shows the record in words.
    pub async fn names_in(
        &self,
        events: &[CaseEvent],
    ) -> Result<std::collections::HashMap<PersonId, String>, ServiceError> {
        let mut names = std::collections::HashMap::new();
        let named = events.iter().flat_map(|e| {
            e.event
                .author
                .person
                .iter()
                .chain(e.event.kind.persons())
                .collect::<Vec<_>>()
        });
        for p in named {
            if names.contains_key(p) {
                continue;
            }
            let name = match self.store.person(p).await? {
                Some(person) => person.name.to_string(),
                None => p.to_string(),
            };
            names.insert(p.clone(), name);
        }
        Ok(names)
    }
}
