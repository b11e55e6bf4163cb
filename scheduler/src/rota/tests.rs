//! Rota resolution: layers, overrides, swaps, both daylight-saving changes of
//! 2026 and 2027, a rotation of one, an empty tier — and properties over
//! random rotations.

use super::*;
use akutlinje_core::rota::ServiceId;
use proptest::prelude::*;

fn p(id: &str) -> PersonId {
    id.parse().expect("person id")
}

fn t(s: &str) -> DateTime<Utc> {
    // Copenhagen wall-clock "YYYY-MM-DD HH:MM".
    instant(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time"))
}

fn rotation(
    id: &str,
    tier: &str,
    layer: u16,
    members: &[&str],
    cron: &str,
    minutes: u32,
    anchor: &str,
) -> RotationSpec {
    RotationSpec {
        id: id.parse().expect("id"),
        service: "akut".parse::<ServiceId>().expect("service"),
        tier: tier.parse().expect("tier"),
        layer,
        members: members.iter().map(|m| p(m)).collect(),
        shift_start: cron.into(),
        shift_minutes: minutes,
        anchor: t(anchor),
        until: None,
    }
}

fn tier(s: &str) -> TierId {
    s.parse().expect("tier")
}

fn rota(rotations: Vec<RotationSpec>, overrides: Vec<OverrideSpec>, swaps: Vec<SwapSpec>) -> Rota {
    Rota::parse(RotaSpec {
        rotations,
        overrides,
        swaps,
    })
    .expect("valid rota")
}

fn nights() -> Rota {
    rota(
        vec![rotation(
            "nights",
            "primary",
            0,
            &["a", "b"],
            "0 0 22 * * *",
            600,
            "2026-01-01 00:00",
        )],
        vec![],
        vec![],
    )
}

fn night_of(r: &Rota, start: &str) -> Shift {
    let s = t(start);
    r.rotations()[0]
        .shifts(s, s + Duration::minutes(1))
        .into_iter()
        .find(|x| x.start == s)
        .expect("a shift starts then")
}

#[test]
fn night_shift_is_nine_hours_when_clocks_go_forward_2026() {
    let s = night_of(&nights(), "2026-03-28 22:00");
    assert_eq!(s.start.to_rfc3339(), "2026-03-28T21:00:00+00:00");
    assert_eq!(s.end.to_rfc3339(), "2026-03-29T06:00:00+00:00");
    assert_eq!(s.end - s.start, Duration::hours(9));
}

#[test]
fn night_shift_is_eleven_hours_when_clocks_go_back_2026() {
    let s = night_of(&nights(), "2026-10-24 22:00");
    assert_eq!(s.start.to_rfc3339(), "2026-10-24T20:00:00+00:00");
    assert_eq!(s.end.to_rfc3339(), "2026-10-25T07:00:00+00:00");
    assert_eq!(s.end - s.start, Duration::hours(11));
}

#[test]
fn both_changes_of_2027() {
    let r = nights();
    assert_eq!(
        night_of(&r, "2027-03-27 22:00").end - night_of(&r, "2027-03-27 22:00").start,
        Duration::hours(9)
    );
    assert_eq!(
        night_of(&r, "2027-10-30 22:00").end - night_of(&r, "2027-10-30 22:00").start,
        Duration::hours(11)
    );
    // An ordinary night is ten.
    assert_eq!(
        night_of(&r, "2027-06-01 22:00").end - night_of(&r, "2027-06-01 22:00").start,
        Duration::hours(10)
    );
}

#[test]
fn daily_shifts_meet_exactly_across_both_changes() {
    // 24 h on the wall clock from 08:00: 23 h on the spring day, 25 h on the autumn day.
    let r = rota(
        vec![rotation(
            "days",
            "primary",
            0,
            &["a", "b", "c"],
            "0 0 8 * * *",
            24 * 60,
            "2026-01-01 00:00",
        )],
        vec![],
        vec![],
    );
    for (from, short_or_long) in [
        ("2026-03-27 00:00", 23),
        ("2026-10-23 00:00", 25),
        ("2027-03-26 00:00", 23),
        ("2027-10-29 00:00", 25),
    ] {
        let shifts = r.rotations()[0].shifts(t(from), t(from) + Duration::days(4));
        assert!(
            shifts.windows(2).all(|w| w[0].end == w[1].start),
            "{from}: shifts must meet"
        );
        assert!(
            shifts
                .iter()
                .any(|s| s.end - s.start == Duration::hours(short_or_long)),
            "{from}"
        );
        let segs = r.resolve(&tier("primary"), t(from), t(from) + Duration::days(3));
        assert!(
            r.gaps(&tier("primary"), t(from), t(from) + Duration::days(3))
                .is_empty(),
            "{from}: no gap"
        );
        assert_eq!(
            segs.iter().map(|s| s.end - s.start).sum::<Duration>(),
            t(from) + Duration::days(3) - t(from)
        );
    }
}

#[test]
fn a_shift_starting_in_the_spring_gap_starts_when_the_clock_jumps() {
    // 02:30 does not exist on 2026-03-29: the shift starts when the clocks
    // jump, 03:00 CEST = 01:00 UTC, and ends at 03:30 as the wall clock says.
    let r = rota(
        vec![rotation(
            "odd",
            "primary",
            0,
            &["a"],
            "0 30 2 * * *",
            60,
            "2026-03-01 00:00",
        )],
        vec![],
        vec![],
    );
    let shifts = r.rotations()[0].shifts(t("2026-03-29 00:00"), t("2026-03-29 12:00"));
    assert_eq!(shifts.len(), 1);
    assert_eq!(shifts[0].start.to_rfc3339(), "2026-03-29T01:00:00+00:00");
    assert_eq!(shifts[0].end.to_rfc3339(), "2026-03-29T01:30:00+00:00");
    // The day before and after are whole hours.
    let before = r.rotations()[0].shifts(t("2026-03-28 00:00"), t("2026-03-28 12:00"));
    assert_eq!(before[0].end - before[0].start, Duration::hours(1));
}

#[test]
fn members_take_turns_from_the_anchor() {
    let r = nights();
    assert_eq!(night_of(&r, "2026-01-01 22:00").person, p("a"));
    assert_eq!(night_of(&r, "2026-01-02 22:00").person, p("b"));
    assert_eq!(night_of(&r, "2026-01-03 22:00").person, p("a"));
    // 2026-03-28 is day 87 of the year: index 86 → a.
    assert_eq!(night_of(&r, "2026-03-28 22:00").person, p("a"));
}

#[test]
fn weekend_layer_wins_over_weeknights() {
    // The issue's example: weeknights from 16:00 for 16 h, weekends as another layer.
    let r = rota(
        vec![
            rotation(
                "weeknights",
                "primary",
                0,
                &["a", "b"],
                "0 0 16 * * Mon-Fri",
                16 * 60,
                "2026-11-02 00:00",
            ),
            rotation(
                "weekends",
                "primary",
                1,
                &["w"],
                "0 0 16 * * Fri",
                64 * 60,
                "2026-11-02 00:00",
            ),
        ],
        vec![],
        vec![],
    );
    // Friday night belongs to the weekend layer, though the weeknight rotation also covers it.
    let fri = r
        .on_call(&tier("primary"), t("2026-11-06 23:00"))
        .expect("covered");
    assert_eq!(fri.person, p("w"));
    assert_eq!(
        (fri.start, fri.end),
        (t("2026-11-06 16:00"), t("2026-11-09 08:00"))
    );
    let tue = r
        .on_call(&tier("primary"), t("2026-11-03 20:00"))
        .expect("covered");
    assert_eq!(tue.person, p("b"));
    assert_eq!(
        (tue.start, tue.end),
        (t("2026-11-03 16:00"), t("2026-11-04 08:00"))
    );
    // Weekdays 08–16 are not covered: five gaps of 8 h in the week.
    let gaps = r.gaps(
        &tier("primary"),
        t("2026-11-02 08:00"),
        t("2026-11-09 08:00"),
    );
    assert_eq!(gaps.len(), 5);
    assert!(gaps.iter().all(|g| g.minutes() == 8 * 60));
}

#[test]
fn an_override_covers_and_closes_a_gap() {
    let base = rotation(
        "nights",
        "primary",
        0,
        &["a", "b"],
        "0 0 22 * * *",
        600,
        "2026-01-01 00:00",
    );
    let r = rota(vec![base.clone()], vec![], vec![]);
    let day = (t("2026-11-10 08:00"), t("2026-11-10 22:00"));
    assert_eq!(r.gaps(&tier("primary"), day.0, day.1).len(), 1);
    let o = OverrideSpec {
        id: 1,
        service: base.service.clone(),
        tier: tier("primary"),
        person: p("x"),
        replaces: None,
        from: day.0,
        to: day.1,
    };
    let r = rota(vec![base.clone()], vec![o.clone()], vec![]);
    assert!(r.gaps(&tier("primary"), day.0, day.1).is_empty());
    // X covers Y for part of a night: X, then Y again.
    let cover = OverrideSpec {
        id: 2,
        from: t("2026-11-10 23:00"),
        to: t("2026-11-11 02:00"),
        replaces: Some(p("b")),
        ..o
    };
    let r = rota(vec![base], vec![cover], vec![]);
    let segs = r.resolve(
        &tier("primary"),
        t("2026-11-10 22:00"),
        t("2026-11-11 08:00"),
    );
    let who: Vec<(String, String)> = segs
        .iter()
        .map(|s| {
            (
                s.person.to_string(),
                local_naive(s.start).format("%H:%M").to_string(),
            )
        })
        .collect();
    let night_person = night_of(&nights(), "2026-11-10 22:00").person.to_string();
    assert_eq!(
        who,
        vec![
            (night_person.clone(), "22:00".into()),
            ("x".into(), "23:00".into()),
            (night_person, "02:00".into())
        ]
    );
}

#[test]
fn a_swap_trades_two_shifts() {
    let base = rotation(
        "nights",
        "primary",
        0,
        &["a", "b"],
        "0 0 22 * * *",
        600,
        "2026-01-01 00:00",
    );
    let r0 = rota(vec![base.clone()], vec![], vec![]);
    let (d1, d2) = ("2026-11-10 22:00", "2026-11-11 22:00");
    let (p1, p2) = (night_of(&r0, d1).person, night_of(&r0, d2).person);
    assert_ne!(p1, p2);
    let swap = SwapSpec {
        id: 7,
        rotation: base.id.clone(),
        a: p1.clone(),
        a_shift: t(d1),
        b: p2.clone(),
        b_shift: t(d2),
    };
    let r = rota(vec![base], vec![], vec![swap]);
    let s1 = r
        .on_call(&tier("primary"), t(d1) + Duration::hours(1))
        .expect("covered");
    let s2 = r
        .on_call(&tier("primary"), t(d2) + Duration::hours(1))
        .expect("covered");
    assert_eq!((s1.person, s2.person), (p2, p1));
    assert!(matches!(s1.source, Source::Swap { swap: 7, .. }));
}

#[test]
fn a_rotation_of_one_keeps_shift_boundaries() {
    let r = rota(
        vec![rotation(
            "solo",
            "backup",
            0,
            &["solo"],
            "0 0 8 * * *",
            24 * 60,
            "2026-01-01 00:00",
        )],
        vec![],
        vec![],
    );
    let s = r
        .on_call(&tier("backup"), t("2026-11-23 03:00"))
        .expect("covered");
    assert_eq!(s.person, p("solo"));
    assert_eq!(
        (s.start, s.end),
        (t("2026-11-22 08:00"), t("2026-11-23 08:00"))
    );
}

#[test]
fn an_empty_tier_is_one_gap() {
    let r = nights();
    assert!(r
        .on_call(&tier("coordinator"), t("2026-11-23 03:00"))
        .is_none());
    let gaps = r.gaps(
        &tier("coordinator"),
        t("2026-11-23 00:00"),
        t("2026-11-24 00:00"),
    );
    assert_eq!(
        gaps,
        vec![Gap {
            start: t("2026-11-23 00:00"),
            end: t("2026-11-24 00:00")
        }]
    );
}

#[test]
fn until_stops_a_rotation() {
    let mut spec = rotation(
        "nights",
        "primary",
        0,
        &["a"],
        "0 0 22 * * *",
        600,
        "2026-01-01 00:00",
    );
    spec.until = Some(t("2026-11-15 00:00"));
    let r = rota(vec![spec], vec![], vec![]);
    assert!(r.on_call(&tier("primary"), t("2026-11-14 23:00")).is_some());
    assert!(r.on_call(&tier("primary"), t("2026-11-15 23:00")).is_none());
}

#[test]
fn bad_definitions_say_what_is_wrong() {
    let bad_cron = rotation(
        "r",
        "primary",
        0,
        &["a"],
        "every night",
        600,
        "2026-01-01 00:00",
    );
    let e = Rotation::parse(bad_cron).expect_err("bad cron");
    assert!(e.to_string().contains("is not a cron expression"), "{e}");
    let none = rotation(
        "r",
        "primary",
        0,
        &[],
        "0 0 22 * * *",
        600,
        "2026-01-01 00:00",
    );
    assert_eq!(
        Rotation::parse(none).expect_err("no members"),
        RotaError::NoMembers("r".into())
    );
    let zero = rotation(
        "r",
        "primary",
        0,
        &["a"],
        "0 0 22 * * *",
        0,
        "2026-01-01 00:00",
    );
    assert_eq!(
        Rotation::parse(zero).expect_err("zero length"),
        RotaError::BadLength("r".into())
    );
    let o = OverrideSpec {
        id: 1,
        service: "akut".parse().expect("id"),
        tier: tier("primary"),
        person: p("x"),
        replaces: None,
        from: t("2026-11-10 10:00"),
        to: t("2026-11-10 09:00"),
    };
    assert_eq!(
        Rota::parse(RotaSpec {
            rotations: vec![],
            overrides: vec![o],
            swaps: vec![]
        })
        .expect_err("order"),
        RotaError::EndBeforeStart
    );
}

proptest! {
    /// Any daily rotation whose shifts last a whole day tiles time: each shift
    /// ends exactly where the next starts, across every DST change of 2026–2027.
    #[test]
    fn daily_rotations_tile_time(hour in 0u32..24, minute in 0u32..60, day in 0i64..700, members in 1usize..5) {
        let names = ["a", "b", "c", "d"];
        let spec = rotation("r", "primary", 0, &names[..members.min(4)], &format!("0 {minute} {hour} * * *"), 24 * 60, "2026-01-01 00:00");
        let r = rota(vec![spec], vec![], vec![]);
        let from = t("2026-01-05 00:00") + Duration::days(day);
        let to = from + Duration::days(7);
        let shifts = r.rotations()[0].shifts(from, to);
        prop_assert!(shifts.len() >= 7);
        for w in shifts.windows(2) {
            prop_assert_eq!(w[0].end, w[1].start);
            prop_assert_eq!(w[1].index, w[0].index + 1);
        }
        prop_assert!(r.gaps(&tier("primary"), from, to).is_empty());
    }

    /// Whatever the layers and overrides, the resolved week is ordered, never
    /// overlaps, and together with the gaps covers the week exactly.
    #[test]
    fn resolved_segments_never_overlap(
        h1 in 0u32..24, len1 in 60u32..2000, h2 in 0u32..24, len2 in 60u32..3000, weekday in 0usize..7,
        o_start in 0i64..(7 * 24), o_len in 1i64..48, day in 0i64..700,
    ) {
        let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let from = t("2026-01-05 00:00") + Duration::days(day);
        let to = from + Duration::days(7);
        let r = rota(
            vec![
                rotation("base", "primary", 0, &["a", "b"], &format!("0 0 {h1} * * *"), len1, "2026-01-01 00:00"),
                rotation("top", "primary", 1, &["c"], &format!("0 0 {h2} * * {}", days[weekday]), len2, "2026-01-01 00:00"),
            ],
            vec![OverrideSpec {
                id: 1,
                service: "akut".parse().expect("id"),
                tier: tier("primary"),
                person: p("x"),
                replaces: None,
                from: from + Duration::hours(o_start),
                to: from + Duration::hours(o_start + o_len),
            }],
            vec![],
        );
        let segs = r.resolve(&tier("primary"), from, to);
        for w in segs.windows(2) {
            prop_assert!(w[0].end <= w[1].start);
        }
        prop_assert!(segs.iter().all(|s| s.start < s.end && s.start >= from && s.end <= to));
        let covered: Duration = segs.iter().map(|s| s.end - s.start).sum();
        let uncovered: Duration = r.gaps(&tier("primary"), from, to).iter().map(|g| g.end - g.start).sum();
        prop_assert_eq!(covered + uncovered, to - from);
        // The override always wins inside its window.
        let mid = from + Duration::hours(o_start) + Duration::minutes(30);
        if mid < to {
            let at = segs.iter().find(|s| s.start <= mid && mid < s.end).map(|s| s.person.to_string());
            prop_assert_eq!(at.as_deref(), Some("x"));
        }
    }
}
