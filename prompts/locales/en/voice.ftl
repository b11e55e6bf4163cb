# Voice notes: the transcript as it is sent on to the case's conversation.
voice-transcript =
    Voice note in case { $case }, written out by speech recognition (machine-made, may contain errors — listen to the recording when in doubt):
    «{ $text }»
voice-failed = The voice note in case { $case } could not be written out: { $reason }. The recording is kept with the case.
voice-reason-empty = the recording is empty
voice-reason-too_short = the recording is too short
voice-reason-too_long = the recording is longer than the { $minutes } minutes allowed
voice-reason-unsupported = the audio format cannot be read
voice-reason-broken = the audio file is damaged
voice-reason-silent = there is no sound in the recording
voice-reason-no_speech = no speech was heard
voice-reason-gave_up = speech recognition failed after several attempts
