# Resident card, ISBAR and names of values.

urgency-red = RED
urgency-high = ORANGE (high)
urgency-medium = YELLOW (medium)
urgency-low = GREEN (low)
urgency-routine = BLUE (routine)

reason-red-flag = red danger sign: { $flags }
reason-news2 = NEWS2 { $total }
reason-single-three = one parameter scoring 3 ({ $param })
reason-caller-request = the staff asked for the physician at once ({ $reason })
reason-no-vitals = no measurements – urgency set without vital signs
reason-news2-partial = NEWS2 at least { $total } (incomplete: missing { $missing })

decision-full_treatment = Full treatment
decision-no_cpr = No resuscitation in cardiac arrest
decision-no_icu = No intensive care
decision-no_admission = No hospital admission
decision-palliative_only = Palliative care only
decision-behandlingstestamente = Advance directive (behandlingstestamente) exists
decision-livstestamente = Living will (livstestamente) exists
decision-own_wish = The resident's own wish
decision-source = { $by }, { $on }
treatment-none = No treatment level recorded – assume full treatment and ask the physician.

cognition-normal = no known cognitive impairment
cognition-mild = mild cognitive impairment
cognition-moderate = moderate dementia
cognition-severe = severe dementia
cognition-unknown = not recorded

param-resp_rate = RR
param-spo2 = SpO2
param-oxygen = O2
param-systolic = SBP
param-pulse = Pulse
param-consciousness = Consciousness
param-temp = Temp
param-name-resp_rate = The respiration rate
param-name-spo2 = The oxygen saturation
param-name-systolic = The blood pressure
param-name-pulse = The pulse

news2-band-low = low
news2-band-low_medium = low–medium
news2-band-medium = medium
news2-band-high = high
isbar-monitoring = NEWS2 recommends: { $monitoring }.
news2-monitoring-min_12_hourly = observe at least every 12 hours
news2-monitoring-min_4_6_hourly = observe at least every 4–6 hours
news2-monitoring-min_1_hourly = observe at least hourly
news2-monitoring-continuous = continuous monitoring
tobs-band-none = repeat at discretion
tobs-band-low = repeat 3 times over the next day
tobs-band-raised = contact the nurse

value-air = air
value-as-given = { $value }
value-oxygen = oxygen
value-oxygen-unknown = oxygen unknown
value-skipped = not measured
value-temp-site-oral = by mouth
value-temp-site-axillary = armpit
value-temp-site-ear = ear

card-frame-title = Resident card
card-title = Resident: { $name }, room { $room }
card-age = { $age } years
card-treatment = Treatment level and wishes:
card-cognition = Usual cognition: { $cognition }
card-diagnoses = Diagnoses: { $list }
card-allergies = Allergies: { $list }
card-contact = Contact person: { $contact }
card-spo2-scale2 = Prescribed SpO2 target 88–92 % (NEWS2 scale 2)
none = none recorded

isbar-title = ISBAR – acute case from { $home }
isbar-urgency = URGENCY { $urgency } – { $reason }
isbar-advised-112 = Staff were advised to call 112.
isbar-no-112 = 112 was NOT advised because of the treatment level – the physician must decide now.
isbar-news2 = NEWS2 { $total } ({ $band }): { $subscores }
isbar-news2-partial = NEWS2 at least { $total } – incomplete, missing { $missing }: { $subscores }
isbar-news2-none = NEWS2: no measurements
isbar-tobs = TOBS { $total }: { $subscores }
isbar-tobs-partial = TOBS at least { $total } – incomplete: { $subscores }
isbar-i = I – Identification: { $caller } ({ $role }), { $home }. Resident: { $resident }.
isbar-s = S – Situation: { $situation }
isbar-b = B – Background: { $background }
isbar-a = A – Assessment: { $vitals }. Staff's concern: { $concern }
isbar-r = R – Recommendation: Staff ask for the physician's assessment and advice.{ $monitoring }
isbar-no-resident = not identified
isbar-not-stated = not stated
role-staff = care staff
role-physician = physician
role-coordinator = coordinator
role-admin = administrator

escalation-page-title = 📟 Acute hotline – page, urgency { $urgency }. Case { $case }.
escalation-page-answer = Acknowledge with «ok», decline with «no».
escalation-page-trend = WORSE AT THE NEW MEASUREMENT: { $trend }
escalation-alert = ALERT: The acute case from { $home } (urgency { $urgency }) has not been acknowledged by any physician after every step. Case { $case }. Find a physician for it now.
escalation-exhausted =
    No physician has acknowledged the page yet. The coordinator has been alerted and is finding one.
    Now: stay with the resident and measure again. If life is in danger, or it gets worse: call 112. Otherwise contact the out-of-hours GP service (lægevagten).
escalation-exhausted-limited =
    No physician has acknowledged the page yet. The coordinator has been alerted and is finding one.
    The resident has declined hospital admission. Now: stay with the resident, give relief as the care plan says, and contact the out-of-hours GP service (lægevagten). If in doubt, call 112.

# The physician's decision (DSAM's categories plus the municipal acute team).
disposition-call112 = 112 – ambulance with siren
disposition-acute_admission = Acute admission (without siren)
disposition-seen_now = Seen now
disposition-seen_within_24h = Seen within 24 hours
disposition-regular_consultation = Regular consultation
disposition-watch_at_home = Watchful waiting / treated at the nursing home
disposition-municipal_acute_team = Municipal acute team

# What the physician hears when the hotline rings them (a page by phone):
# no names, only where from, how urgent and why. Read by a speech synthesiser.
page-spoken = Acute call from { $home }{ $room }. Urgency { $urgency }. { $reason }.
page-spoken-news = NEWS { $total }
page-spoken-news-partial = NEWS at least { $total }, not every measurement taken
page-spoken-room = , room { $room }

# The record in words (core::sentences): one sentence per event.
event-case_opened = Case opened from { $home }
event-input_received = Answer ({ $step }): { $text }
event-caller_named = Caller: { $name }
event-resident_identified = Resident found: { $resident }
event-resident_not_found = The resident was not found
event-resident_rejected = Not this resident: { $resident }
event-red_flags_answered = Danger signs: { $flags }
event-red_flags_none = No danger signs
event-advised112 = Advised to call 112: { $flags }
event-no112_by_treatment_decision = Danger sign, but 112 is ruled out by a treatment decision: { $flags }
event-vital_recorded = { $param } { $value }
event-situation_recorded = Situation: { $text }
event-concern_recorded = Concern: { $text }
event-concern_none = No further concern
event-urgency_assessed = Urgency assessed: { $urgency }
event-isbar_composed = ISBAR summary composed
event-page_requested = Physician paged, urgency { $urgency }
event-page_updated = Page updated, urgency { $urgency }
event-note = Note: { $text }
event-correction = Correction: { $text }
event-checklist_completed = Checklist completed
event-case_cancelled = Case cancelled
event-case_closed = Case closed { $reason }
event-page_sent = Page sent to { $person } ({ $channels })
event-nobody_on_call = Nobody on call in { $tier }; next step
event-disposition_recorded = Physician's decision: { $disposition }. { $advice }
event-page_acknowledged = { $person } took the call
event-page_declined = { $person } declined the call
event-escalation_exhausted = No physician has answered the pages
event-coordinator_alerted = Coordinator alerted { $person }
event-staff_advised = Staff informed { $person }
event-notification_delivered = Delivered by { $channel }
event-notification_failed = Could not be delivered by { $channel }: { $error }
event-audio_attached = Voice note of { $seconds } seconds stored
event-physician_requested = Staff asked for the physician now
event-telephony_status = Phone ({ $leg }): { $status }
event-transcribed = Machine transcription of the voice note: { $text }
event-transcription_failed = The voice note could not be transcribed: { $reason }
event-resident_data_withheld = Resident data withheld: { $reason }
notify-matrix = Matrix
notify-sms = SMS
notify-voice = phone call
notify-log = the record
event-advice_confirmed = Physician's advice confirmed ("understood")
event-advice_unconfirmed = { $stage ->
    [0] Advice not confirmed after 5 minutes: sent again, the physician told
   *[other] Advice still not confirmed: the coordinator alerted
}
event-remeasure_ordered = New measurement ordered in { $minutes } minutes (at { $due })
event-remeasure_reminded = { $stage ->
    [0] Staff reminded of the new measurement
    [1] Staff reminded of the new measurement again
   *[other] New measurement not done 30 minutes after the reminder: coordinator and physician told
}
event-remeasure_started = New measurement started
event-remeasure_assessed = { $worse ->
    [yes] New measurement – worse: { $trend }
   *[no] New measurement – not worse: { $trend }
}
event-trend_reported = Trend sent to { $person }

trend-news2 = NEWS2 { $before } → { $now }
trend-change = { $param } { $before } → { $now }
trend-line = { $parts }

# Follow-up messages (read-back, re-measurement), sent by the scheduler.
followup-readback-resend = Reminder, case { $code }: please confirm the physician's advice by writing "understood" in the case thread.
    { $advice }
followup-readback-physician = Case { $code }: staff have not yet confirmed your advice (sent { $minutes } minutes ago). It has been sent again.
followup-readback-coordinator = Case { $code } ({ $home }): the physician's advice has not been confirmed by staff after { $minutes } minutes. Contact the home.
followup-remeasure-due = Case { $code }: time for the new measurement the physician ordered. Write "new measurement" in the case thread and answer the questions.
    Last values: { $values }
followup-remeasure-again = Reminder, case { $code }: the new measurement is still missing. Write "new measurement" in the case thread.
    Last values: { $values }
followup-remeasure-coordinator = Case { $code } ({ $home }): the new measurement the physician ordered was not done 30 minutes after the reminder. Contact the home.
followup-remeasure-physician = Case { $code }: the new measurement you ordered was not done 30 minutes after the reminder. The coordinator has been alerted.
followup-trend-note = Case { $code }, new measurement – not worse: { $trend }

# The FHIR export (docs/fhir.md).
fhir-partial-score = Partial score: not every parameter was measured.
fhir-voice-note = Voice note ({ $seconds } s)
fhir-voice-note-type = Voice note from the care staff
fhir-machine-transcript = Machine transcription ({ $model }) – may contain errors; the audio is the source
fhir-transcript-warning = Audio recording with a machine transcription next to it. The transcription is made by speech recognition and may contain errors; the audio is the source.
fhir-treatment-decision = Treatment level / treatment decision
fhir-encounter-type = Acute advice from the on-call physician to a nursing home (the hotline)

# Municipal alternatives to admission (issue 16 § 3).
alternative-acute_team = acute team
alternative-acute_places = acute places
alternative-line = { $name } ({ $kind }), tel. { $phone }, { $hours }: { $services }
alternatives-title = Municipal alternatives to admission:
alternatives-call-now = Call { $name } now: { $phone } ({ $hours }).
event-alternative_advised = Staff were asked to call { $name }: { $phone }
event-video_offered = Video call offered { $person }: { $url }
event-video_opened = Video call opened by { $person }
video-page-line = Video (when words are not enough): { $link }
video-staff-line = Video call for the case: { $link } – the physician gets the same room.
video-not-configured = Video is not set up for this hotline.
followup-remeasure-due-phone = Case { $code }: time for the new measurement the physician ordered. Call the hotline, key your PIN and then 1.
    Last values: { $values }
followup-remeasure-again-phone = Reminder, case { $code }: the new measurement is still missing. Call the hotline, key your PIN and then 1.
    Last values: { $values }

# The checklist steps, as the record names the question an answer was given to.
step-caller = caller
step-resident = resident
step-red_flags = danger signs
step-resp_rate = respiratory rate
step-spo2 = oxygen saturation
step-oxygen = oxygen
step-systolic = blood pressure
step-pulse = pulse
step-consciousness = consciousness
step-temp = temperature
step-situation = situation
step-concern = concern
step-summary = after the page
step-vitals_intro = measurements
step-vitals_intro_red = measurements
followup-advice-phone = Advice from the on-call physician, case { $code }: { $advice }
    Confirm you have understood it: reply UNDERSTOOD { $code } to this SMS, or call the hotline and press 1 after your PIN.
followup-readback-resend-phone = Reminder, case { $code }: confirm the physician's advice – reply UNDERSTOOD { $code } to this SMS, or call the hotline and press 1 after your PIN.
    { $advice }
