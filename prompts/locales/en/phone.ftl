# What the hotline says on the phone (Twilio), read out by speech synthesis:
# short sentences, no «» or emoji. «ivr-<id>» replaces checklist text <id>
# on the phone; without one the checklist's own text is used.

ivr-pin-ask = The hotline. Key your personal code, then the hash key. Press zero to be put straight through to the physician.
ivr-pin-wrong = That code was wrong. Key your code again, then the hash key.
ivr-pin-failed = The code was wrong three times, so I cannot give any information about residents. You will now be put through to the physician. If life is in danger: hang up and call 112.
ivr-pin-none = No code is set up for your number, so I cannot give any information about residents. You will now be put through to the physician. If life is in danger: hang up and call 112.
ivr-case-opened = Acute hotline. You are calling from { $home }. Press zero at any time to be put straight through to the physician.
ivr-ask-resident = Key in the resident's room number, then press hash.
ivr-resident-not-found = I cannot find room { $query } at { $home }.
ivr-resident-ambiguous = Several residents match.
ivr-resident-wrong-hint = If this is not the right resident, press 9.
ivr-ask-red-flags = Is any of these danger signs present right now?
ivr-choice-none = no, none of these
ivr-advise-112 = Call 112 now. Danger sign: { $flags }. The resident's treatment level does not rule out admission. Hang up, call 112, and stay with the resident. The physician is paged at the same time.
ivr-advise-112-no-cpr = Note: resuscitation is declined.
ivr-no-112-by-decision = Danger sign: { $flags }. The resident has declined admission, so do not call 112 without thinking. The physician is paged now with top urgency. If in doubt about the decision, call 112.
ivr-say-vitals-intro = Now the measurements. Press star if you do not have one.
ivr-ask-resp-rate = Respiratory rate. Key in breaths per minute, then press hash.
ivr-ask-spo2 = Oxygen saturation. Key in the percentage, then press hash.
ivr-ask-oxygen = Is the resident on oxygen right now? Press 1 for yes, 2 for no.
ivr-ask-systolic = Blood pressure. Key in the upper number, then press hash.
ivr-ask-pulse = Pulse. Key in beats per minute, then press hash.
ivr-ask-consciousness = Consciousness compared with the resident's usual.
ivr-ask-temp = Temperature. Key in degrees, star for the decimal point, then press hash. For example 3 8 star 9 hash.
ivr-ask-situation = After the tone, tell briefly what happened and when it started. Press hash when done.
ivr-ask-concern = What worries you most? Say it after the tone, then press hash. Press star to skip.
ivr-hint-number = I did not understand. { $what } must be a number from { $min } to { $max }.
ivr-hint-temp = I did not understand. The temperature must be from 25 to 45 degrees.
ivr-hint-choice = Press a number from 1 to { $max }.
ivr-hint-yes-no = Press 1 for yes, 2 for no.
ivr-hint-red-flags = Press the number of each danger sign present, then hash.
ivr-hint-text-required = The physician needs a few words about what happened.
ivr-noted = Noted.
ivr-say-summary-intro = Thank you.
ivr-say-cancelled = The case is cancelled. Goodbye.
ivr-say-note-recorded = Noted in the case.
ivr-help = Press star to skip a measurement. Press hash alone to hear the question again. Press zero to be put through to the physician.

ivr-choice = Press { $n } for { $label }.
ivr-choices-multiple = Press the number of each danger sign present, then press hash.
ivr-keys-skip = Press star if you do not have the measurement.
ivr-card-treatment = Treatment level:
ivr-voice-note = Voice note of { $seconds } seconds, recorded on the phone. The audio is in the case.
ivr-no-recording = I did not hear anything.
ivr-silence = I did not hear anything.
ivr-silence-transfer = I still hear nothing. You are now put through to the physician.
ivr-conference-intro = The physician is being paged. Stay on the line; you will be connected as soon as the physician answers. If life is in danger: hang up and call 112.
ivr-conference-intro-limited = The physician is being paged. Stay on the line; you will be connected as soon as the physician answers. If you are in doubt about the decision, call 112.
ivr-wait-calling = The physician is still being paged. Stay on the line. If life is in danger: hang up and call 112.
ivr-wait-calling-limited = The physician is still being paged. Stay on the line. If you are in doubt about the decision, call 112.
ivr-wait-acknowledged = The physician has taken the case and will join shortly.
ivr-wait-exhausted = No physician has answered yet. The coordinator has been alerted. If life is in danger: hang up and call 112.
ivr-wait-exhausted-limited = No physician has answered yet. The coordinator has been alerted. Stay with the resident, give relief as the care plan says, and contact the out-of-hours doctor. If you are in doubt about the decision, call 112.
ivr-goodbye = Goodbye.
ivr-error = The hotline has a fault. If life is in danger: hang up and call 112. You will be put through to the physician if possible.
ivr-error-limited = The hotline has a fault. You will be put through to the physician if possible. If you are in doubt about the decision, call 112.

ivr-unknown-caller = You have called the acute hotline for nursing homes. Your number is not registered with us. If life is in danger: hang up and call 112. Press zero to be put through to the physician.
ivr-unknown-connecting = Putting you through to the physician.
ivr-unknown-nobody = No physician could be reached. If life is in danger: hang up and call 112. Otherwise call the out-of-hours service.

ivr-page-keys = Press 1 to take the call. Press 2 to decline.
ivr-page-connecting = Connecting you to the nursing home now.
ivr-page-call-home = Acknowledged. Connecting you to the staff.
ivr-page-acknowledged = Acknowledged. The staff are no longer on the line; the case is in the hotline.
ivr-page-taken = Another physician has already taken the call. Thank you.
ivr-page-declined = Declined. The next physician is paged now. Goodbye.
ivr-page-no-answer = No answer. Goodbye.

sms-page = Acute hotline: call with urgency { $urgency } from { $home }. Case { $code }. Reply «OK { $code }» to acknowledge or «NO { $code }» to decline. The case is in Element and on the hotline's web page.
sms-alert = Acute hotline ALERT: case { $code } from { $home } has not been acknowledged by any physician. Find a physician for it now.
sms-acknowledged = Acknowledged case { $code }. Write your advice in Element or call in.
sms-declined = Declined case { $code }. The next physician is paged now.
sms-unknown-code = I do not know case { $code } among your pages. Reply «OK» and the case number.
sms-code-needed = Add the case number to your reply, e.g. «OK 4821» or «NEJ 4821». The number is in the text message with the page.
sms-help = Reply «OK» and the case number to acknowledge, «NO» and the number to decline.
sms-not-physician = The hotline does not take cases by SMS. Call the hotline. If life is in danger: call 112.
sms-unknown-sender = Your number is not registered with the hotline. If life is in danger: call 112.
ivr-remeasure-offer = The physician has ordered a new measurement for room { $room }. Press 1 to give the new values now, or 2 for a new case.
sms-readback-confirmed = Thank you – your confirmation of the physician's advice in case { $code } is recorded.
sms-readback-code-needed = Several cases wait for your confirmation: reply UNDERSTOOD and the case number, e.g. UNDERSTOOD 4821.
sms-readback-nothing = No case waits for your confirmation with that number.
ivr-readback-offer = The physician's advice: { $advice } Press 1 if you have understood it. Press 2 to continue.
ivr-readback-confirmed = Thank you. Your confirmation is recorded.
ivr-page-after = To order a new measurement, press 3, the minutes and hash, e.g. 3 6 0 hash for an hour. Otherwise hang up.
ivr-page-remeasure-ordered = A new measurement is ordered in { $minutes } minutes. Staff will be reminded of it. Goodbye.
