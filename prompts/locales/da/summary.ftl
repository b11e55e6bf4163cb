# Beboerkort, ISBAR og navne på værdier.

urgency-red = RØD
urgency-high = ORANGE (høj)
urgency-medium = GUL (mellem)
urgency-low = GRØN (lav)
urgency-routine = BLÅ (rutine)

reason-red-flag = rødt faresignal: { $flags }
reason-news2 = NEWS2 { $total }
reason-single-three = én parameter med 3 point ({ $param })
reason-caller-request = personalet bad om at få lægen med det samme ({ $reason })
reason-no-vitals = ingen målinger – hastegraden er sat uden målinger
reason-news2-partial = NEWS2 mindst { $total } (ufuldstændig: mangler { $missing })

decision-full_treatment = Fuld behandling
decision-no_cpr = Ingen genoplivning ved hjertestop
decision-no_icu = Ikke intensiv behandling
decision-no_admission = Ingen indlæggelse
decision-palliative_only = Kun lindrende behandling
decision-behandlingstestamente = Behandlingstestamente findes
decision-livstestamente = Livstestamente findes
decision-own_wish = Beboerens eget ønske
decision-source = { $by }, { $on }
treatment-none = Behandlingsniveau er ikke registreret – antag fuld behandling, og spørg lægen.

cognition-normal = ingen kendt kognitiv svækkelse
cognition-mild = let kognitiv svækkelse
cognition-moderate = moderat demens
cognition-severe = svær demens
cognition-unknown = ikke registreret

param-resp_rate = RF
param-spo2 = SpO2
param-oxygen = Ilt
param-systolic = BT
param-pulse = Puls
param-consciousness = Bevidsthed
param-temp = Temp
param-name-resp_rate = Respirationsfrekvensen
param-name-spo2 = Iltmætningen
param-name-systolic = Blodtrykket
param-name-pulse = Pulsen

news2-band-low = lav
news2-band-low_medium = lav-mellem
news2-band-medium = mellem
news2-band-high = høj
isbar-monitoring = NEWS2 anbefaler: { $monitoring }.
news2-monitoring-min_12_hourly = mål mindst hver 12. time
news2-monitoring-min_4_6_hourly = mål mindst hver 4.–6. time
news2-monitoring-min_1_hourly = mål mindst hver time
news2-monitoring-continuous = kontinuerlig overvågning
tobs-band-none = gentag efter skøn
tobs-band-low = gentag 3 gange det næste døgn
tobs-band-raised = kontakt sygeplejerske

value-air = luft
value-as-given = { $value }
value-oxygen = ilt
value-oxygen-unknown = ilt ukendt
value-skipped = ikke målt
value-temp-site-oral = målt i munden
value-temp-site-axillary = målt i armhulen
value-temp-site-ear = målt i øret

card-frame-title = Beboerkort
card-title = Beboer: { $name }, værelse { $room }
card-age = { $age } år
card-treatment = Behandlingsniveau og ønsker:
card-cognition = Vanlig kognition: { $cognition }
card-diagnoses = Diagnoser: { $list }
card-allergies = Allergier: { $list }
card-contact = Kontaktperson: { $contact }
card-spo2-scale2 = Ordineret iltmætning 88–92 % (NEWS2 skala 2)
none = ingen registreret

isbar-title = ISBAR – akutsag fra { $home }
isbar-urgency = HASTEGRAD { $urgency } – { $reason }
isbar-advised-112 = Personalet er rådet til at ringe 112.
isbar-no-112 = 112 er IKKE rådet på grund af behandlingsniveau – lægen skal tage stilling nu.
isbar-news2 = NEWS2 { $total } ({ $band }): { $subscores }
isbar-news2-partial = NEWS2 mindst { $total } – ufuldstændig, mangler { $missing }: { $subscores }
isbar-news2-none = NEWS2: ingen målinger
isbar-tobs = TOBS { $total }: { $subscores }
isbar-tobs-partial = TOBS mindst { $total } – ufuldstændig: { $subscores }
isbar-i = I – Identifikation: { $caller } ({ $role }), { $home }. Beboer: { $resident }.
isbar-s = S – Situation: { $situation }
isbar-b = B – Baggrund: { $background }
isbar-a = A – Analyse: { $vitals }. Personalets vurdering: { $concern }
isbar-r = R – Råd: Personalet beder om lægens vurdering og råd.{ $monitoring }
isbar-no-resident = ikke identificeret
isbar-not-stated = ikke oplyst
role-staff = plejepersonale
role-physician = læge
role-coordinator = koordinator
role-admin = administrator

escalation-page-title = 📟 Akutlinjen – kald, hastegrad { $urgency }. Sag { $case }.
escalation-page-answer = Kvittér med «ok», afvis med «nej».
escalation-page-trend = DÅRLIGERE VED NY MÅLING: { $trend }
escalation-alert = ALARM: Akutsag fra { $home } (hastegrad { $urgency }) er ikke kvitteret af nogen læge efter alle trin. Sag { $case }. Find en læge til sagen nu.
escalation-exhausted =
    Ingen læge har kvitteret for kaldet endnu. Koordinatoren er alarmeret og finder en læge.
    Gør nu: Bliv hos beboeren og mål værdierne igen. Er beboeren i livsfare, eller bliver det værre: ring 112. Ellers kontakt lægevagten.
escalation-exhausted-limited =
    Ingen læge har kvitteret for kaldet endnu. Koordinatoren er alarmeret og finder en læge.
    Beboeren har fravalgt indlæggelse. Gør nu: Bliv hos beboeren, giv lindring efter plejeplanen, og kontakt lægevagten. Er du i tvivl, så ring 112.

# The physician's decision (DSAM's categories plus the municipal acute team).
disposition-call112 = 112 – ambulance med udrykning
disposition-acute_admission = Akut indlæggelse (uden udrykning)
disposition-seen_now = Ses nu
disposition-seen_within_24h = Ses inden for 24 timer
disposition-regular_consultation = Almindelig konsultation
disposition-watch_at_home = Ses an / behandles på plejecentret
disposition-municipal_acute_team = Kommunalt akuttilbud

# Det, lægen hører, når akutlinjen ringer op (en side i telefonen): uden
# navne, kun hvorfra, hvor hastende og hvorfor. Læses op af en talesyntese.
page-spoken = Akut opkald fra { $home }{ $room }. Hastegrad { $urgency }. { $reason }.
page-spoken-news = NEWS { $total }
page-spoken-news-partial = NEWS mindst { $total }, ikke alle målinger er taget
page-spoken-room = , værelse { $room }

# The record in words (core::sentences): one sentence per event.
event-case_opened = Sag oprettet fra { $home }
event-input_received = Svar ({ $step }): { $text }
event-caller_named = Opkalder: { $name }
event-resident_identified = Beboer fundet: { $resident }
event-resident_not_found = Beboeren blev ikke fundet
event-resident_rejected = Ikke denne beboer: { $resident }
event-red_flags_answered = Faresignaler: { $flags }
event-red_flags_none = Ingen faresignaler
event-advised112 = Rådet til at ringe 112: { $flags }
event-no112_by_treatment_decision = Faresignal, men 112 er fravalgt efter behandlingsbeslutning: { $flags }
event-vital_recorded = { $param } { $value }
event-situation_recorded = Situation: { $text }
event-concern_recorded = Bekymring: { $text }
event-concern_none = Ingen yderligere bekymring
event-urgency_assessed = Hastegrad vurderet: { $urgency }
event-isbar_composed = ISBAR-resumé udarbejdet
event-page_requested = Vagtlæge kaldt, hastegrad { $urgency }
event-page_updated = Kaldet opdateret, hastegrad { $urgency }
event-note = Note: { $text }
event-correction = Rettelse: { $text }
event-checklist_completed = Tjeklisten er gennemført
event-case_cancelled = Sagen er annulleret
event-case_closed = Sagen er lukket { $reason }
event-page_sent = Kald sendt til { $person } ({ $channels })
event-nobody_on_call = Ingen på vagt i { $tier }; næste trin
event-disposition_recorded = Lægens beslutning: { $disposition }. { $advice }
event-page_acknowledged = { $person } har taget opkaldet
event-page_declined = { $person } har afvist opkaldet
event-escalation_exhausted = Ingen læge har svaret på kaldene
event-coordinator_alerted = Koordinator alarmeret { $person }
event-staff_advised = Personalet er orienteret { $person }
event-notification_delivered = Leveret via { $channel }
event-notification_failed = Kunne ikke leveres via { $channel }: { $error }
event-audio_attached = Talebesked på { $seconds } sekunder gemt
event-physician_requested = Personalet bad om lægen nu
event-telephony_status = Telefon ({ $leg }): { $status }
event-transcribed = Maskinel transskription af talebeskeden: { $text }
event-transcription_failed = Talebeskeden kunne ikke transskriberes: { $reason }
event-resident_data_withheld = Beboeroplysninger tilbageholdt: { $reason }
notify-matrix = Matrix
notify-sms = SMS
notify-voice = telefonopkald
notify-log = journalen
event-advice_confirmed = Lægens råd bekræftet («forstået»)
event-advice_unconfirmed = { $stage ->
    [0] Rådet er ikke bekræftet efter 5 minutter: sendt igen, lægen er underrettet
   *[other] Rådet er stadig ikke bekræftet: koordinatoren er alarmeret
}
event-remeasure_ordered = Ny måling bestilt om { $minutes } minutter (kl. { $due })
event-remeasure_reminded = { $stage ->
    [0] Personalet er mindet om den nye måling
    [1] Personalet er mindet om den nye måling igen
   *[other] Ny måling ikke udført 30 minutter efter påmindelsen: koordinator og læge underrettet
}
event-remeasure_started = Ny måling påbegyndt
event-remeasure_assessed = { $worse ->
    [yes] Ny måling – dårligere: { $trend }
   *[no] Ny måling – ikke dårligere: { $trend }
}
event-trend_reported = Udviklingen sendt til { $person }

trend-news2 = NEWS2 { $before } → { $now }
trend-change = { $param } { $before } → { $now }
trend-line = { $parts }

# Follow-up messages (read-back, re-measurement), sent by the scheduler.
followup-readback-resend = Påmindelse, sag { $code }: bekræft venligst lægens råd ved at skrive «forstået» i sagens tråd.
    { $advice }
followup-readback-physician = Sag { $code }: personalet har endnu ikke bekræftet dit råd (sendt for { $minutes } minutter siden). Det er sendt igen.
followup-readback-coordinator = Sag { $code } ({ $home }): lægens råd er ikke bekræftet af personalet efter { $minutes } minutter. Kontakt plejehjemmet.
followup-remeasure-due = Sag { $code }: tid til ny måling, som lægen har bestilt. Skriv «ny måling» i sagens tråd og svar på spørgsmålene.
    Seneste værdier: { $values }
followup-remeasure-again = Påmindelse, sag { $code }: den nye måling mangler stadig. Skriv «ny måling» i sagens tråd.
    Seneste værdier: { $values }
followup-remeasure-coordinator = Sag { $code } ({ $home }): den nye måling, som lægen bestilte, er ikke udført 30 minutter efter påmindelsen. Kontakt plejehjemmet.
followup-remeasure-physician = Sag { $code }: den nye måling, du bestilte, er ikke udført 30 minutter efter påmindelsen. Koordinatoren er alarmeret.
followup-trend-note = Sag { $code }, ny måling – ikke dårligere: { $trend }

# The FHIR export (docs/fhir.md).
fhir-partial-score = Delvis score: ikke alle parametre er målt.
fhir-voice-note = Talebesked ({ $seconds } s)
fhir-voice-note-type = Talebesked fra plejepersonalet
fhir-machine-transcript = Maskinel transskription ({ $model }) – kan indeholde fejl; lydfilen er kilden
fhir-transcript-warning = Lydoptagelse med maskinel transskription ved siden af. Transskriptionen er lavet af talegenkendelse og kan indeholde fejl; lyden er kilden.
fhir-treatment-decision = Behandlingsniveau / beslutning om behandling
fhir-encounter-type = Akut rådgivning fra vagtlæge til plejecenter (akutlinjen)

# Municipal alternatives to admission (issue 16 § 3).
alternative-acute_team = akutteam
alternative-acute_places = akutpladser
alternative-line = { $name } ({ $kind }), tlf. { $phone }, { $hours }: { $services }
alternatives-title = Kommunale alternativer til indlæggelse:
alternatives-call-now = Ring nu til { $name }: { $phone } ({ $hours }).
event-alternative_advised = Personalet er bedt om at ringe til { $name }: { $phone }
event-video_offered = Videoopkald tilbudt { $person }: { $url }
event-video_opened = Videoopkaldet åbnet af { $person }
video-page-line = Video (hvis ord ikke er nok): { $link }
video-staff-line = Videoopkald til sagen: { $link } – lægen får samme rum.
video-not-configured = Video er ikke sat op for akutlinjen her.
followup-remeasure-due-phone = Sag { $code }: tid til ny måling, som lægen har bestilt. Ring til akutlinjen, tast din kode og derefter 1.
    Seneste værdier: { $values }
followup-remeasure-again-phone = Påmindelse, sag { $code }: den nye måling mangler stadig. Ring til akutlinjen, tast din kode og derefter 1.
    Seneste værdier: { $values }

# The checklist steps, as the record names the question an answer was given to.
step-caller = opkalder
step-resident = beboer
step-red_flags = faresignaler
step-resp_rate = respirationsfrekvens
step-spo2 = iltmætning
step-oxygen = ilt
step-systolic = blodtryk
step-pulse = puls
step-consciousness = bevidsthed
step-temp = temperatur
step-situation = situation
step-concern = bekymring
step-summary = efter kaldet
step-vitals_intro = målinger
step-vitals_intro_red = målinger
followup-advice-phone = Råd fra vagtlægen, sag { $code }: { $advice }
    Bekræft, at du har forstået det: svar FORSTÅET { $code } på denne SMS, eller ring til akutlinjen og tast 1 efter din kode.
followup-readback-resend-phone = Påmindelse, sag { $code }: bekræft lægens råd – svar FORSTÅET { $code } på denne SMS, eller ring til akutlinjen og tast 1 efter din kode.
    { $advice }
