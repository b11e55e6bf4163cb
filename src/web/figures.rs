//! The pilot's figures: cases per night and home, time to acknowledgement,
//! outcomes, as tables and SVG bar charts.

use akutlinje_core::figures::{Course, PilotFigures, OUTCOME_GROUPS};

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

pub(super) async fn figures_page(
    State(s): State<AppState>,
    user: WebUser,
    jar: CookieJar,
    Query(q): Query<LangQuery>,
) -> Response {
    let (jar, lang) = with_lang(jar, &q, user.lang);
    let home = if user.person.role.may_read_all_homes() {
        None
    } else {
        user.person.home.clone()
    };
    let since = Utc::now() - Duration::days(30);
    let cases = match s.store.cases_with_events(home.as_ref(), since).await {
        Ok(v) => v,
        Err(e) => return WebError::from(e).into_response(),
    };
    let f = PilotFigures::of(&cases);
    let nights: Vec<(String, f64)> = f
        .per_night
        .iter()
        .map(|(d, n)| (d.format("%d.%m.%Y").to_string(), f64::from(*n)))
        .collect();
    let homes: Vec<(String, f64)> = f
        .per_home
        .iter()
        .map(|(h, n)| (h.to_string(), f64::from(*n)))
        .collect();
    let outs: Vec<(String, f64)> = f
        .course
        .iter()
        .map(|(k, n)| (t(&s, lang, course_message(*k)), f64::from(*n)))
        .collect();
    let groups: Vec<(String, f64)> = OUTCOME_GROUPS
        .iter()
        .map(|g| {
            (
                t(&s, lang, &format!("web-outcome-group-{g}")),
                f.outcomes.get(g).copied().map_or(0.0, f64::from),
            )
        })
        .collect();
    let fmt = |v: Option<f64>| v.map_or_else(|| "–".to_string(), |m| format!("{m:.1} min"));
    let body = html! {
        @if f.cases == 0 { p.muted { (t(&s, lang, "web-figures-no-data")) } }
        h2 { (t(&s, lang, "web-figures-per-night")) } (bar_chart(&nights, ""))
        h2 { (t(&s, lang, "web-figures-per-home")) }
        table { @for (h, n) in &homes { tr { td { (h) } td { (n) } } } }
        (bar_chart(&homes, ""))
        h2 { (t(&s, lang, "web-figures-ack")) }
        table #ack {
            tr { th { (t(&s, lang, "web-figures-median")) } th { (t(&s, lang, "web-figures-p90")) } th { (t(&s, lang, "web-figures-acked")) } }
            tr { td { (fmt(f.ack_quantile(0.5))) } td { (fmt(f.ack_quantile(0.9))) } td { (f.ack_minutes.len()) } }
        }
        h2 { (t(&s, lang, "web-figures-outcomes")) }
        p #kept { (s.hotline.localizer().render(lang, &akutlinje_core::i18n::Msg::new("web-figures-kept").arg("kept", f.kept_against_admitted().0).arg("admitted", f.kept_against_admitted().1))) }
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

/// The message of a case's course on the figures page.
fn course_message(c: Course) -> &'static str {
    match c {
        Course::Acknowledged => "web-outcome-acknowledged",
        Course::Advised112 => "web-outcome-advised112",
        Course::Exhausted => "web-outcome-exhausted",
        Course::No112 => "web-outcome-no112",
    }
}
