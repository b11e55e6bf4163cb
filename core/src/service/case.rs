//! Opening a case and running an input through its checklist.

use super::*;

impl Hotline {
    /// Opens a case for `who` calling from `home`.
    #[tracing::instrument(name = "open_case", skip_all, fields(case = %id, person = %who.id, channel = channel.as_str()))]
    pub async fn open_case(
        &self,
        id: CaseId,
        who: &Person,
        home: &Home,
        channel: Channel,
        lang: Lang,
        now: DateTime<Utc>,
    ) -> Result<Turn, ServiceError> {
        if !who.may_read_home(&home.id) {
            return Err(ServiceError::NotAllowed);
        }
        let caller = Caller {
            person: Some(who.id.clone()),
            name: Some(who.name.clone()),
            role: Some(who.role),
            home: home.id.clone(),
            home_name: home.name.clone(),
        };
        let today = now.with_timezone(&Copenhagen).date_naive();
        let state = CaseState::new(&self.def, caller, lang, today);
        let (state, effects) = engine::step(&self.def, state, Input::Start);
        let mut events = vec![self.event(
            EventKind::CaseOpened {
                home: home.id.clone(),
            },
            who,
            channel,
            now,
        )];
        events.extend(records(&effects).map(|k| self.event(k, who, channel, now)));
        let case = NewCase {
            id,
            home: home.id.clone(),
            opened_at: now,
            opened_by: Some(who.id.clone()),
            channel,
        };
        self.store
            .create_case(&case, &events, &state_json(&state)?)
            .await?;
        tracing::info!(home = %home.id, "case opened");
        Ok(Turn {
            case: id,
            effects,
            state,
            duplicate: false,
        })
    }

    /// Runs one input from `who` through the case's checklist.
    #[tracing::instrument(name = "input", skip_all, fields(case = %case, person = %who.id, channel = channel.as_str()))]
    pub async fn input(
        &self,
        case: CaseId,
        who: &Person,
        channel: Channel,
        said: impl Into<Said>,
        external_id: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Turn, ServiceError> {
        let said = said.into();
        if let Said::Text(text) = &said {
            Text::parse("input", text, 4000).map_err(|e| ServiceError::BadInput(e.to_string()))?;
        }
        // Optimistic concurrency: two inputs racing on one case both run, the
        // loser re-reads the winner's state and runs again.
        for _ in 0..5 {
            let Some((state, version)) = self.store.engine_state(case).await? else {
                return Err(ServiceError::UnknownCase);
            };
            if !who.may_read_home(&state.caller.home) {
                return Err(ServiceError::NotAllowed);
            }
            // The record keeps the input as text, typed input as the words a
            // caller would have typed for it.
            let text_value = Text::parse("input", &said.record_text(state.lang), 4000)
                .map_err(|e| ServiceError::BadInput(e.to_string()))?;
            let step_id = state.step.clone();
            let (state, effects) = self
                .run(case, who, channel, state, Input::Said(said.clone()), now)
                .await?;
            let mut input_event = self.event(
                EventKind::InputReceived {
                    step: step_id,
                    text: text_value.clone(),
                },
                who,
                channel,
                now,
            );
            input_event.external_id = external_id.clone();
            let mut events = vec![input_event];
            events.extend(records(&effects).map(|k| self.event(k, who, channel, now)));
            match self
                .store
                .commit_step(case, version, &events, &state_json(&state)?)
                .await
            {
                Ok(_) => {
                    tracing::info!(step = %state.step, events = events.len(), "input recorded");
                    if effects
                        .iter()
                        .any(|e| matches!(e, Effect::Page { .. } | Effect::UpdatePage { .. }))
                    {
                        self.escalation_changed();
                    }
                    return Ok(Turn {
                        case,
                        effects,
                        state,
                        duplicate: false,
                    });
                }
                Err(StoreError::Duplicate) => {
                    tracing::info!("redelivered input ignored");
                    return Ok(Turn {
                        case,
                        effects: vec![],
                        state,
                        duplicate: true,
                    });
                }
                Err(StoreError::Conflict(_)) => {
                    tracing::debug!("the case moved on meanwhile; running the input again");
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Busy)
    }

    /// Runs the engine, answering look-ups until it needs the caller again.
    async fn run(
        &self,
        case: CaseId,
        who: &Person,
        channel: Channel,
        state: CaseState,
        input: Input,
        now: DateTime<Utc>,
    ) -> Result<(CaseState, Vec<Effect>), ServiceError> {
        let mut state = state;
        let mut out = Vec::new();
        let mut next = Some(input);
        // A look-up answer never asks for another look-up of its own, but bound it anyway.
        for _ in 0..4 {
            let Some(input) = next.take() else { break };
            let (s, fx) = engine::step(&self.def, state, input);
            state = s;
            for f in fx {
                match f {
                    Effect::LookupResident(q) => {
                        next = Some(Input::Lookup(
                            self.lookup(case, who, channel, &state, &q, now).await?,
                        ));
                    }
                    other => out.push(other),
                }
            }
        }
        Ok((state, out))
    }

    /// Finds residents in the caller's own home. Matches in other homes are
    /// never shown; each is written to the access log as a denied attempt.
    async fn lookup(
        &self,
        case: CaseId,
        who: &Person,
        channel: Channel,
        state: &CaseState,
        q: &ResidentQuery,
        now: DateTime<Utc>,
    ) -> Result<Lookup, ServiceError> {
        let found: Vec<Resident> = match q {
            ResidentQuery::Room(r) => self.store.residents_in_room(r).await?,
            ResidentQuery::Name(n) => {
                self.store
                    .residents_named(&n.as_str().to_lowercase())
                    .await?
            }
            ResidentQuery::Id(id) => self.store.resident(id).await?.into_iter().collect(),
        };
        let (own, other): (Vec<Resident>, Vec<Resident>) =
            found.into_iter().partition(|r| r.home == state.caller.home);
        let log = |resident: &Resident, action| {
            AccessEntry::new(
                now,
                Some(who.id.clone()),
                resident.id.clone(),
                Some(case),
                action,
                channel,
            )
        };
        for r in &other {
            self.store.log_access(&log(r, AccessAction::Denied)).await?;
            // Room numbers repeat from home to home: «12» matching room 12
            // of another home too is every night's routine (the access log
            // holds it). Only a look-up that found nobody at home but
            // someone elsewhere is worth an operator's attention.
            if own.is_empty() {
                tracing::warn!(case = %case, person = %who.id, resident = %r.id, "look-up matched only a resident of another home; refused");
            } else {
                tracing::debug!(case = %case, person = %who.id, resident = %r.id, "look-up also matched a resident of another home; refused");
            }
        }
        for r in &own {
            self.store.log_access(&log(r, AccessAction::Read)).await?;
        }
        Ok(match own.len() {
            0 => Lookup::NotFound,
            1 => Lookup::Found(Box::new(
                own.into_iter().next().ok_or(ServiceError::UnknownCase)?,
            )),
            _ => Lookup::Many(
                own.into_iter()
                    .map(|r| Candidate {
                        id: r.id,
                        room: r.room,
                        name: r.name,
                    })
                    .collect(),
            ),
        })
    }
}

fn records(effects: &[Effect]) -> impl Iterator<Item = EventKind> + '_ {
    effects.iter().filter_map(|f| match f {
        Effect::Record(k) => Some(k.clone()),
        _ => None,
    })
}

fn state_json(state: &CaseState) -> Result<serde_json::Value, ServiceError> {
    serde_json::to_value(state).map_err(|e| ServiceError::Store(StoreError::Corrupt(e.to_string())))
}
