# What the hotline says to night staff during the checklist.

case-opened = Acute hotline – new case for { $home }.
ask-caller-name = What is your name?
ask-resident = Which resident is it about? Type the room number or the name.
resident-not-found = I cannot find a resident matching «{ $query }» at { $home }. Type the room number or the name again.
resident-ambiguous = Several residents match. Answer with the number:
resident-choice = Room { $room } – { $name }
resident-wrong-hint = If this is not the right resident, type «wrong».
resident-rejected = All right, let us try again.

ask-red-flags = Is any of these danger signs present right now? Answer with the number (or numbers), or «no».
flag-not_breathing = Not breathing normally
flag-unresponsive = Unresponsive / cannot be woken
flag-chest_pain = Chest pain
flag-stroke = Signs of stroke (face droop, paralysis, slurred speech)
flag-bleeding = Major bleeding
flag-seizure = A seizure that does not stop
choice-none = no, none of these

advise-112 =
    🚨 CALL 112 NOW 🚨
    Danger sign: { $flags }.
    The resident's treatment level does not rule out admission. Call 112 now and stay with the resident.
    The on-call physician is paged at the same time.
advise-112-no-cpr = Note: resuscitation in cardiac arrest has been declined ({ $source }).
no-112-by-decision =
    ⚠ Danger sign: { $flags }.
    The resident has declined hospital admission ({ $source }). So do not call 112 without further thought.
    The on-call physician is paged now at the highest urgency. Stay with the resident.
    If you are in doubt about the decision, call 112.

say-vitals-intro =
    Now the measurements, one at a time. If you do not have one, type «don't know».
    You can also type several at once, e.g. «pulse 105, BP 110/70, temp 38.9».
say-vitals-intro-red = If you can, while you wait: give the physician the measurements. Type «skip» to skip one.
ask-resp-rate = Respiration rate – breaths per minute?
ask-spo2 = Oxygen saturation (SpO2) in %?
ask-oxygen = Is the resident on oxygen right now? (yes/no)
ask-systolic = Blood pressure (e.g. 120/80)?
ask-pulse = Pulse – beats per minute?
ask-consciousness = Consciousness compared with the resident's usual state ({ $baseline }). Answer with the number:
ask-temp = Temperature (e.g. 38.9)? Say if it was taken by mouth or in the armpit, e.g. «37.8 armpit».
cons-habitual = As usual
cons-new_confusion = New or worse confusion
cons-agitated = Restless or agitated (new)
cons-voice = Responds to voice only
cons-pain = Responds to pain only
cons-unresponsive = Unresponsive
noted-value = { $param } { $value }
noted = Noted: { $values }.

ask-situation = Briefly, in your own words: what has happened, and when did it start?
ask-concern = What worries you most? (or «skip»)

hint-number = I did not understand that. { $what } must be a number from { $min } to { $max }{ $unit }. Type «don't know» to skip.
hint-temp = I did not understand that. The temperature must be 25.0 to 45.0 °C with at most one decimal, e.g. 38.9. Type «don't know» to skip.
hint-choice = Answer with a number from 1 to { $max }.
hint-yes-no = Answer «yes» or «no» – or «don't know».
hint-red-flags = Answer with the number of each danger sign present (e.g. «1» or «2 3»), or «no».
hint-text-required = Write a few words about what happened – the physician needs them.
hint-resident = Type the room number (e.g. 12) or the resident's name.
help = Answer the question above. «don't know» skips a measurement, «repeat» shows the question again, «doctor now» pages the physician at once, «cancel» cancels the case.

say-summary-intro = Thank you. Here is the summary the on-call physician gets:
say-paged = The on-call physician has been paged with urgency { $urgency }. You will be told here when the physician answers. If the resident gets worse, write it here. If life is in danger: call 112.
say-paged-limited = The on-call physician has been paged with urgency { $urgency }. You will be told here when the physician answers. If the resident gets worse, write it here. If you are in doubt about the decision, call 112.
say-page-updated = The physician has the full summary.
say-note-recorded = Added to the case.
say-cancelled = The case is cancelled. Type «akut» to start a new one.
say-case-finished = The case is finished.

# The Matrix bot.
bot-refusal = I do not know you, so I cannot help here. Ask the coordinator for access. If life is in danger: call 112.
bot-room-unbound = This room is not bound to a nursing home, so I open no cases and show no resident data here. A coordinator can bind it on the web page under «Homes» or with «akutlinje homes room <home> { $room }». If it is urgent: call the hotline.
bot-room-other-home = This room belongs to { $other }, so cases for { $home } are not run here. Use your own home's room, or call the hotline.
bot-room-not-encrypted = This room is not encrypted, so I show no resident data here. Use the home's encrypted room, or call the hotline.
bot-room-outsider = { $member } may not read { $home }'s residents, so I show no resident data here while { $member } is in the room. The case is saved: continue here once only the home's people are in the room (write «gentag»), or call the hotline. If in doubt, call 112.
bot-room-check-failed = I cannot see who is in the room right now, so I show no resident data. Try again shortly, or call the hotline. If in doubt, call 112.
bot-physician-dm-only = I take acknowledgements, advice and decisions only in your direct conversation with me (just you and me). Write them there.
bot-advice-not-shown = Your advice is saved in the case, but I cannot show it in the home's room right now ({ $why }). Call the home.
bot-not-staff = Cases are opened by the nursing home's care staff.
bot-no-page = There is no page for you right now.
bot-acknowledged = Acknowledged. Write your advice here – it is sent to the staff word for word. When you have decided, write «!beslutning» and the number (e.g. «!beslutning 6»).
bot-paging = 📟 The on-call physician is paged · urgency { $urgency }
bot-page-howto = You can also react to this message with ✅ (acknowledge) or ❌ (decline). Write your advice here; it is sent to the staff word for word. Your decision: «!beslutning» and the number – «!beslutning» alone shows the list.
bot-disposition-list = What is your decision? Write «!beslutning» and the number, optionally followed by your advice (e.g. «!beslutning 6 Give paracetamol 1 g, measure again at 6»):
bot-disposition-unknown = I do not know the decision «{ $text }».
bot-disposition-recorded = Decision recorded: { $disposition }.
bot-staff-disposition = On-call physician { $name } has decided: { $disposition }.
bot-oncall-title = On call now – { $service }:
bot-oncall-line = { $tier }: { $name } (until { $until })
bot-oncall-nobody = { $tier }: nobody on call – contact the coordinator
bot-oncall-unavailable = The rota cannot be read right now. If life is in danger: call 112.
bot-greeting-staff = Hello, this is the acute hotline. Write «akut» here to start a new case; I ask the questions in a thread under your message. «!vagt» shows who is on call. If life is in danger: call 112 first.
bot-greeting-physician = Hello, this is the acute hotline. Pages reach you here when you are on call. Answer with ✅ or «ok» to acknowledge, ❌ or «nej» to decline; your advice is sent to the staff word for word. «!vagt» shows who is on call.
bot-greeting-other = Hello, this is the acute hotline. «!vagt» shows who is on call.
bot-voice-attached = The voice message is stored with the case.
bot-voice-failed = The voice message could not be fetched. Try again, or write the essentials.
bot-voice-too-large = The voice message is too large (over 20 MB). Send a shorter one, or write the essentials.
bot-voice-outside-case = Voice messages are stored with a case: write «akut» first, then send it in the case's thread.
bot-physician-note = Noted in the case.
bot-declined = Declined – the next physician is paged now.
bot-staff-acknowledged = On-call physician { $name } has acknowledged and is looking at the case.
bot-staff-advice = Advice from on-call physician { $name }: { $advice }

# After the advice: read-back and re-measurement (issue 16).
say-advice-confirmed = Thank you – your confirmation of the physician's advice is recorded.
say-remeasure-intro = New measurement. Answer the questions again; the new values are compared with the first.
say-remeasure-trend = Trend: { $trend }
say-remeasure-worse = The resident is worse. The physician is paged again with the trend first. If life is in danger: call 112.
say-remeasure-not-worse = Not worse. The physician gets the trend as a message.
bot-staff-readback-ask = Write "understood" once you have read the advice – then the physician knows it arrived.
bot-remeasure-ordered = On-call physician { $name } has ordered a new measurement in { $minutes } minutes (at { $due }). Write "new measurement" here in the thread when you measure.
bot-record-not-allowed = You do not have access to this case's record.
