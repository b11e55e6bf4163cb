//! The rota: a week per tier with its gaps, and a month at a glance.

use akutlinje_core::rota::RotaSpec;

use super::*;

#[derive(Deserialize, Default)]
pub(super) struct RotaQuery {
    service: Option<String>,
    week: Option<String>,
    msg: Option<String>,
    lang: Option<String>,
}

pub(super) async fn rota_page(
    State(s): State<AppState>,
    user: WebUser,
    jar: CookieJar,
    Query(q): Query<RotaQuery>,
) -> Response {
    let (jar, lang) = with_lang(
        jar,
        &LangQuery {
            lang: q.lang.clone(),
        },
        user.lang,
    );
    let user = WebUser { lang, ..user };
    let monday = week_monday(q.week.as_deref());
    let msg = q.msg.as_deref().and_then(|m| match m {
        "added" => Some(t(&s, lang, "web-override-added")),
        "removed" => Some(t(&s, lang, "web-override-removed")),
        "rotation-saved" => Some(t(&s, lang, "web-rotation-saved")),
        "rotation-removed" => Some(t(&s, lang, "web-rotation-removed")),
        "swap-saved" => Some(t(&s, lang, "web-swap-saved")),
        "swap-removed" => Some(t(&s, lang, "web-swap-removed")),
        _ => None,
    });
    match render_rota(&s, &user, q.service.as_deref(), monday, msg, None).await {
        Ok(m) => (jar, m).into_response(),
        Err(r) => r,
    }
}

pub(super) async fn render_rota(
    s: &AppState,
    user: &WebUser,
    service: Option<&str>,
    monday: NaiveDate,
    msg: Option<String>,
    error: Option<String>,
) -> Result<Markup, Response> {
    let lang = user.lang;
    if user.person.role == Role::Staff {
        return Err(Redirect::to("/cases").into_response());
    }
    let store = &s.store;
    let services = store
        .services()
        .await
        .map_err(|e| WebError::from(e).into_response())?;
    let chosen: Option<&Service> = match service.and_then(|x| ServiceId::parse(x).ok()) {
        Some(id) => services.iter().find(|x| x.id == id),
        None => services.first(),
    };
    let Some(svc) = chosen else {
        return Ok(layout(
            s,
            lang,
            &t(s, lang, "web-nav-rota"),
            Some(user),
            html! { p { (t(s, lang, "web-no-service")) } },
        ));
    };
    let spec = store
        .rota(&svc.id)
        .await
        .map_err(|e| WebError::from(e).into_response())?;
    let rota =
        Rota::parse(spec.clone()).map_err(|e| WebError::Corrupt(e.to_string()).into_response())?;
    let people = store
        .people()
        .await
        .map_err(|e| WebError::from(e).into_response())?;
    let name = |p: &PersonId| {
        people
            .iter()
            .find(|x| &x.id == p)
            .map_or_else(|| p.to_string(), |x| x.name.to_string())
    };
    let (from, to) = (midnight(monday), midnight(monday + Duration::days(7)));
    let days: Vec<NaiveDate> = (0..7).map(|i| monday + Duration::days(i)).collect();
    let week = week_label(monday);
    let may_edit = matches!(user.person.role, Role::Coordinator | Role::Admin);
    let (rows, gap_minutes) = week_rows(s, lang, &rota, &svc.tiers, &days, &name);
    let overrides: Vec<&OverrideSpec> = spec
        .overrides
        .iter()
        .filter(|o| o.from < to && o.to > from)
        .collect();
    let prev = week_label(monday - Duration::days(7));
    let next = week_label(monday + Duration::days(7));
    let dt_local = |t: DateTime<Utc>| local_naive(t).format("%d.%m. %H:%M").to_string();
    let body = html! {
        @if let Some(m) = msg { p.msg role="status" { (m) } }
        @if let Some(e) = &error { p.err role="alert" { (e) } }
        p {
            @for x in &services { a href={ "/rota?service=" (x.id) "&week=" (week) } { (x.name) } " " }
        }
        p {
            a href={ "/rota?service=" (svc.id) "&week=" (prev) } { (t(s, lang, "web-rota-prev")) } " · "
            strong { (tm(s, lang, Msg::new("web-rota-week").arg("week", &week))) } " · "
            a href={ "/rota?service=" (svc.id) "&week=" (next) } { (t(s, lang, "web-rota-next")) } " · "
            a href={ "/rota/month?service=" (svc.id) "&month=" (monday.format("%Y-%m")) } { (t(s, lang, "web-view-month")) }
        }
        table #rota {
            tr {
                th { (t(s, lang, "web-rota-tier")) }
                @for d in &days { th { (t(s, lang, &format!("web-weekday-{}", d.weekday().number_from_monday()))) " " (d.format("%d.%m.")) } }
            }
            @for r in &rows { (r) }
        }
        p #gaps-summary {
            @if gap_minutes == 0 { (t(s, lang, "web-rota-no-gaps")) }
            @else { span.gap { (tm(s, lang, Msg::new("web-rota-gaps-summary").arg("minutes", gap_minutes))) } }
        }
        h2 { (t(s, lang, "web-override-title")) }
        @if overrides.is_empty() { p.muted { (t(s, lang, "web-override-none")) } }
        ul {
            @for o in &overrides {
                li {
                    (o.tier) ": " (name(&o.person)) " " (dt_local(o.from)) "–" (dt_local(o.to))
                    @if may_edit {
                        " "
                        form.inline method="post" action={ "/rota/overrides/" (o.id) "/delete" } {
                            input type="hidden" name="csrf" value=(user.csrf);
                            input type="hidden" name="service" value=(svc.id);
                            input type="hidden" name="week" value=(week);
                            button type="submit" { (t(s, lang, "web-override-remove")) }
                        }
                    }
                }
            }
        }
        @if may_edit {
            form.stack #add-override method="post" action="/rota/overrides" {
                input type="hidden" name="csrf" value=(user.csrf);
                input type="hidden" name="service" value=(svc.id);
                input type="hidden" name="week" value=(week);
                label { (t(s, lang, "web-override-tier")) br;
                    select name="tier" { @for tier in &svc.tiers { option value=(tier) { (tier) } } } }
                label { (t(s, lang, "web-override-person")) br;
                    select name="person" { @for p in people.iter().filter(|p| p.role != Role::Staff) { option value=(p.id) { (p.name) " (" (p.id) ")" } } } }
                label { (t(s, lang, "web-override-from")) br; input type="datetime-local" name="from" required; }
                label { (t(s, lang, "web-override-to")) br; input type="datetime-local" name="to" required; }
                button type="submit" { (t(s, lang, "web-override-add")) }
            }
        }
    };
    let admin = if may_edit {
        admin_forms(s, lang, user, svc, &spec, &week, &name)
    } else {
        html! {}
    };
    let body = html! { (body) (admin) };
    Ok(layout(
        s,
        lang,
        &tm(
            s,
            lang,
            Msg::new("web-rota-title").arg("service", &svc.name),
        ),
        Some(user),
        body,
    ))
}

#[derive(Deserialize, Default)]
pub(super) struct MonthQuery {
    service: Option<String>,
    month: Option<String>,
    lang: Option<String>,
}

/// The first day of "2026-11", or of this month.
pub(super) fn month_first(month: Option<&str>) -> NaiveDate {
    month
        .and_then(|m| NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").ok())
        .filter(|d| akutlinje_scheduler::rota::YEARS.contains(&d.year()))
        .unwrap_or_else(|| {
            let today = local_naive(Utc::now()).date();
            today.with_day(1).unwrap_or(today)
        })
}

pub(super) fn next_month(first: NaiveDate) -> NaiveDate {
    let (y, m) = if first.month() == 12 {
        (first.year() + 1, 1)
    } else {
        (first.year(), first.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(first + Duration::days(31))
}

/// A month at a glance: per tier and day, who covers it, and the uncovered hours in red.
pub(super) async fn month_page(
    State(s): State<AppState>,
    user: WebUser,
    jar: CookieJar,
    Query(q): Query<MonthQuery>,
) -> Response {
    let (jar, lang) = with_lang(
        jar,
        &LangQuery {
            lang: q.lang.clone(),
        },
        user.lang,
    );
    let user = WebUser { lang, ..user };
    if user.person.role == Role::Staff {
        return Redirect::to("/cases").into_response();
    }
    let store = &s.store;
    let services = match store.services().await {
        Ok(v) => v,
        Err(e) => return WebError::from(e).into_response(),
    };
    let svc = match q.service.as_deref().and_then(|x| ServiceId::parse(x).ok()) {
        Some(id) => services.iter().find(|x| x.id == id),
        None => services.first(),
    };
    let Some(svc) = svc else {
        let body = html! { p { (t(&s, lang, "web-no-service")) } };
        return (
            jar,
            layout(&s, lang, &t(&s, lang, "web-nav-rota"), Some(&user), body),
        )
            .into_response();
    };
    let (spec, people) = match (store.rota(&svc.id).await, store.people().await) {
        (Ok(spec), Ok(people)) => (spec, people),
        (Err(e), _) | (_, Err(e)) => return WebError::from(e).into_response(),
    };
    let rota = match Rota::parse(spec) {
        Ok(r) => r,
        Err(e) => return WebError::Corrupt(e.to_string()).into_response(),
    };
    let first = month_first(q.month.as_deref());
    let after = next_month(first);
    let days: Vec<NaiveDate> = (0..(after - first).num_days())
        .map(|i| first + Duration::days(i))
        .collect();
    let name = |p: &PersonId| {
        people
            .iter()
            .find(|x| &x.id == p)
            .map_or_else(|| p.to_string(), |x| x.name.to_string())
    };
    let (from, to) = (midnight(first), midnight(after));
    let mut total_gap = 0;
    let mut rows = Vec::new();
    for tier in &svc.tiers {
        let segs = rota.resolve(tier, from, to);
        let gaps = rota.gaps(tier, from, to);
        let mut cells = Vec::new();
        for d in &days {
            let (a, b) = (midnight(*d), midnight(*d + Duration::days(1)));
            let mut who: Vec<String> = Vec::new();
            for x in segs.iter().filter(|x| x.start < b && x.end > a) {
                let n = name(&x.person);
                if !who.contains(&n) {
                    who.push(n);
                }
            }
            let gap_min: i64 = gaps
                .iter()
                .filter(|g| g.start < b && g.end > a)
                .map(|g| (g.end.min(b) - g.start.max(a)).num_minutes())
                .sum();
            total_gap += gap_min;
            cells.push(html! {
                td {
                    @for w in &who { div.seg { (w) } }
                    @if gap_min > 0 { div.gap { (tm(&s, lang, Msg::new("web-rota-gap-hours").arg("hours", format!("{:.1}", gap_min as f64 / 60.0)))) } }
                }
            });
        }
        rows.push(html! { tr { th { (tier) } @for c in &cells { (c) } } });
    }
    let label = first.format("%Y-%m").to_string();
    let body = html! {
        p {
            a href={ "/rota/month?service=" (svc.id) "&month=" (month_first(Some(&(first - Duration::days(1)).format("%Y-%m").to_string())).format("%Y-%m")) } { "←" } " "
            strong { (tm(&s, lang, Msg::new("web-rota-month").arg("month", &label))) } " "
            a href={ "/rota/month?service=" (svc.id) "&month=" (after.format("%Y-%m")) } { "→" } " · "
            a href={ "/rota?service=" (svc.id) "&week=" (week_label(first)) } { (t(&s, lang, "web-view-week")) }
        }
        table #rota-month {
            tr { th { (t(&s, lang, "web-rota-tier")) } @for d in &days { th { (d.format("%d.")) } } }
            @for r in &rows { (r) }
        }
        p #gaps-summary {
            @if total_gap == 0 { (t(&s, lang, "web-rota-no-gaps")) }
            @else { span.gap { (tm(&s, lang, Msg::new("web-rota-gaps-month").arg("minutes", total_gap))) } }
        }
    };
    (
        jar,
        layout(
            &s,
            lang,
            &tm(
                &s,
                lang,
                Msg::new("web-rota-title").arg("service", &svc.name),
            ),
            Some(&user),
            body,
        ),
    )
        .into_response()
}

/// One row per tier of the week's table (who is on call, and the gaps, day
/// by day), and the week's uncovered minutes.
fn week_rows(
    s: &AppState,
    lang: Lang,
    rota: &Rota,
    tiers: &[TierId],
    days: &[NaiveDate],
    name: &dyn Fn(&PersonId) -> String,
) -> (Vec<Markup>, i64) {
    let (from, to) = (
        midnight(days[0]),
        midnight(days[days.len() - 1] + Duration::days(1)),
    );
    let mut gap_minutes = 0;
    let mut rows = Vec::new();
    for tier in tiers {
        let segs = rota.resolve(tier, from, to);
        let gaps = rota.gaps(tier, from, to);
        gap_minutes += gaps.iter().map(|g| g.minutes()).sum::<i64>();
        let cells: Vec<Markup> = days
            .iter()
            .map(|d| {
                let (a, b) = (midnight(*d), midnight(*d + Duration::days(1)));
                let mut items: Vec<(DateTime<Utc>, Markup)> = Vec::new();
                for x in segs.iter().filter(|x| x.start < b && x.end > a) {
                    let (st, en) = (x.start.max(a), x.end.min(b));
                    let is_override = matches!(x.source, akutlinje_scheduler::rota::Source::Override { .. });
                    items.push((st, html! { div.seg.ovr[is_override] { (hm(st)) "–" (if en == b { "24:00".to_string() } else { hm(en) }) " " (name(&x.person)) } }));
                }
                for g in gaps.iter().filter(|g| g.start < b && g.end > a) {
                    let (st, en) = (g.start.max(a), g.end.min(b));
                    items.push((st, html! { div.gap { (hm(st)) "–" (if en == b { "24:00".to_string() } else { hm(en) }) " " (t(s, lang, "web-rota-gap")) } }));
                }
                items.sort_by_key(|(st, _)| *st);
                html! { td { @for (_, m) in &items { (m) } } }
            })
            .collect();
        rows.push(html! { tr { th { (tier) } @for c in &cells { (c) } } });
    }
    (rows, gap_minutes)
}

/// The coordinator's forms: rotations and swaps, each with its remove
/// button, and the forms to add them.
fn admin_forms(
    s: &AppState,
    lang: Lang,
    user: &WebUser,
    svc: &Service,
    spec: &RotaSpec,
    week: &str,
    name: &dyn Fn(&PersonId) -> String,
) -> Markup {
    let dt_local = |t: DateTime<Utc>| local_naive(t).format("%d.%m. %H:%M").to_string();
    html! {
        h2 { (t(s, lang, "web-rotations-title")) }
        table #rotations {
            @for r in &spec.rotations {
                tr {
                    td { (r.id) } td { (r.tier) } td { "lag " (r.layer) }
                    td { (r.members.iter().map(name).collect::<Vec<_>>().join(", ")) }
                    td { code { (r.shift_start) } " · " (r.shift_minutes / 60) " t" }
                    td {
                        form.inline method="post" action={ "/rota/rotations/" (r.id) "/delete" } {
                            input type="hidden" name="csrf" value=(user.csrf);
                            input type="hidden" name="service" value=(svc.id);
                            input type="hidden" name="week" value=(week);
                            button type="submit" { (t(s, lang, "web-override-remove")) }
                        }
                    }
                }
            }
        }
        form.stack #save-rotation method="post" action="/rota/rotations" {
            input type="hidden" name="csrf" value=(user.csrf);
            input type="hidden" name="service" value=(svc.id);
            input type="hidden" name="week" value=(week);
            label { (t(s, lang, "web-rotation-id")) br; input name="id" required; }
            label { (t(s, lang, "web-override-tier")) br;
                select name="tier" { @for tier in &svc.tiers { option value=(tier) { (tier) } } } }
            label { (t(s, lang, "web-rotation-layer")) br; input name="layer" type="number" min="0" value="0"; }
            label { (t(s, lang, "web-rotation-members")) br; input name="members" required; }
            label { (t(s, lang, "web-rotation-cron")) br; input name="shift_start" value="0 0 16 * * Mon-Fri" required; }
            label { (t(s, lang, "web-rotation-hours")) br; input name="hours" type="number" min="1" max="168" value="16"; }
            label { (t(s, lang, "web-rotation-anchor")) br; input name="anchor" type="datetime-local" required; }
            button type="submit" { (t(s, lang, "web-rotation-save")) }
        }
        h2 { (t(s, lang, "web-swaps-title")) }
        @if spec.swaps.is_empty() { p.muted { (t(s, lang, "web-swap-none")) } }
        ul {
            @for w in &spec.swaps {
                li {
                    (w.rotation) ": " (name(&w.a)) " " (dt_local(w.a_shift)) " ⇄ " (name(&w.b)) " " (dt_local(w.b_shift)) " "
                    form.inline method="post" action={ "/rota/swaps/" (w.id) "/delete" } {
                        input type="hidden" name="csrf" value=(user.csrf);
                        input type="hidden" name="service" value=(svc.id);
                        input type="hidden" name="week" value=(week);
                        button type="submit" { (t(s, lang, "web-override-remove")) }
                    }
                }
            }
        }
        form.stack #add-swap method="post" action="/rota/swaps" {
            input type="hidden" name="csrf" value=(user.csrf);
            input type="hidden" name="service" value=(svc.id);
            input type="hidden" name="week" value=(week);
            label { (t(s, lang, "web-swap-rotation")) br;
                select name="rotation" { @for r in &spec.rotations { option value=(r.id) { (r.id) } } } }
            label { (t(s, lang, "web-swap-a")) br; input name="a" required; }
            label { (t(s, lang, "web-swap-a-shift")) br; input name="a_shift" type="datetime-local" required; }
            label { (t(s, lang, "web-swap-b")) br; input name="b" required; }
            label { (t(s, lang, "web-swap-b-shift")) br; input name="b_shift" type="datetime-local" required; }
            button type="submit" { (t(s, lang, "web-swap-save")) }
        }
    }
}
