//! The pilot's figures: cases per night and home, time to acknowledgement,
//! outcomes, as tables and SVG bar charts.

use super::*;

/// A horizontal bar chart as inline SVG.
pub(super) fn bar_chart(data: &[(String, f64)], unit: &str) -> Markup {
    let max = data
        .iter()
        .map(|(_, v)| *v)
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let h = 24.0;
    let height = data.len() as f64 * h + 10.0;
    html! {
        svg width="640" height=(height) viewBox={ "0 0 640 " (height) } role="img" {
            @for (i, (label, v)) in data.iter().enumerate() {
                @let y = i as f64 * h + 5.0;
                text x="0" y=(y + 15.0) font-size="12" { (label) }
                rect.bar x="230" y=(y) width=(v / max * 340.0) height=(h - 6.0) {}
                text x=(235.0 + v / max * 340.0) y=(y + 15.0) font-size="12" { (format!("{v:.0}")) (unit) }
            }
        }
    }
}

/// The `p` quantile with linear interpolation (the median of 4 and 10 is 7).
pub(super) fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let pos = last as f64 * p;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(sorted[lo] + (sorted[hi.min(last)] - sorted[lo]) * (pos - lo as f64))
}

pub(super) async fn figures_page(
    State(s): State<AppState>,
    user: WebUser,
    jar: CookieJar,
    Query(q): Query<LangQuery>,
) -> Response {
    let (jar, lang) = with_lang(jar, &q, user.lang);
    let store = &s.store;
    let home = if user.person.role.may_read_all_homes() {
        None
    } else {
        user.person.home.clone()
    };
    let cases = match store.cases(home.as_ref(), 5000).await {
        Ok(v) => v,
        Err(e) => return WebError::from(e).into_response(),
    };
    let since = Utc::now() - Duration::days(30);
    let cases: Vec<_> = cases.into_iter().filter(|c| c.opened_at >= since).collect();
    // A night runs from noon to noon: a case at 03:00 belongs to the evening before.
    let mut per_night: BTreeMap<NaiveDate, f64> = BTreeMap::new();
    let mut per_home: BTreeMap<String, f64> = BTreeMap::new();
    let mut ack_minutes = Vec::new();
    let mut outcomes: BTreeMap<&'static str, f64> = BTreeMap::new();
    // The pilot's outcome per case: the physician's last recorded decision.
    let mut decided: BTreeMap<&'static str, f64> = BTreeMap::new();
    for c in &cases {
        *per_night
            .entry((local_naive(c.opened_at) - Duration::hours(12)).date())
            .or_default() += 1.0;
        *per_home.entry(c.home.to_string()).or_default() += 1.0;
        let Ok(events) = store.events(c.id).await else {
            continue;
        };
        let paged = events
            .iter()
            .find(|e| matches!(e.event.kind, EventKind::PageRequested { .. }))
            .map(|e| e.event.at);
        let acked = events
            .iter()
            .find(|e| matches!(e.event.kind, EventKind::PageAcknowledged { .. }))
            .map(|e| e.event.at);
        if let (Some(p), Some(a)) = (paged, acked) {
            ack_minutes.push((a - p).num_seconds() as f64 / 60.0);
        }
        let last_decision = events.iter().rev().find_map(|e| match e.event.kind {
            EventKind::DispositionRecorded { disposition, .. } => Some(disposition.outcome()),
            _ => None,
        });
        *decided.entry(last_decision.unwrap_or("none")).or_default() += 1.0;
        for e in &events {
            let key = match e.event.kind {
                EventKind::Advised112 { .. } => "web-outcome-advised112",
                EventKind::No112ByTreatmentDecision { .. } => "web-outcome-no112",
                EventKind::EscalationExhausted => "web-outcome-exhausted",
                EventKind::PageAcknowledged { .. } => "web-outcome-acknowledged",
                _ => continue,
            };
            *outcomes.entry(key).or_default() += 1.0;
        }
    }
    ack_minutes.sort_by(|a, b| a.total_cmp(b));
    let nights: Vec<(String, f64)> = per_night
        .iter()
        .map(|(d, n)| (d.format("%d.%m.%Y").to_string(), *n))
        .collect();
    let homes: Vec<(String, f64)> = per_home.into_iter().collect();
    let outs: Vec<(String, f64)> = outcomes.iter().map(|(k, n)| (t(&s, lang, k), *n)).collect();
    let groups: Vec<(String, f64)> = ["home", "municipal", "gp", "admitted", "112", "none"]
        .iter()
        .map(|g| {
            (
                t(&s, lang, &format!("web-outcome-group-{g}")),
                decided.get(g).copied().unwrap_or(0.0),
            )
        })
        .collect();
    let fmt = |v: Option<f64>| v.map_or_else(|| "–".to_string(), |m| format!("{m:.1} min"));
    let body = html! {
        @if cases.is_empty() { p.muted { (t(&s, lang, "web-figures-no-data")) } }
        h2 { (t(&s, lang, "web-figures-per-night")) } (bar_chart(&nights, ""))
        h2 { (t(&s, lang, "web-figures-per-home")) }
        table { @for (h, n) in &homes { tr { td { (h) } td { (n) } } } }
        (bar_chart(&homes, ""))
        h2 { (t(&s, lang, "web-figures-ack")) }
        table #ack {
            tr { th { (t(&s, lang, "web-figures-median")) } th { (t(&s, lang, "web-figures-p90")) } th { (t(&s, lang, "web-figures-acked")) } }
            tr { td { (fmt(percentile(&ack_minutes, 0.5))) } td { (fmt(percentile(&ack_minutes, 0.9))) } td { (ack_minutes.len()) } }
        }
        h2 { (t(&s, lang, "web-figures-outcomes")) }
        table #outcomes { @for (k, n) in &groups { tr { td { (k) } td { (n) } } } }
        (bar_chart(&groups, ""))
        h2 { (t(&s, lang, "web-figures-course")) }
        table { @for (k, n) in &outs { tr { td { (k) } td { (n) } } } }
        (bar_chart(&outs, ""))
    };
    let user = WebUser { lang, ..user };
    (
        jar,
        layout(
            &s,
            lang,
            &t(&s, lang, "web-figures-title"),
            Some(&user),
            body,
        ),
    )
        .into_response()
}
