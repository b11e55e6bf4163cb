# Voice notes: the transcript as it is sent on to the case's conversation.
voice-transcript =
    Talebesked i sag { $case }, skrevet ud af talegenkendelse (maskinskrevet, kan indeholde fejl — lyt til optagelsen ved tvivl):
    «{ $text }»
voice-failed = Talebeskeden i sag { $case } kunne ikke skrives ud: { $reason }. Optagelsen er gemt i sagen.
voice-reason-empty = optagelsen er tom
voice-reason-too_short = optagelsen er for kort
voice-reason-too_long = optagelsen er længere end de { $minutes } minutter, der er plads til
voice-reason-unsupported = lydformatet kan ikke læses
voice-reason-broken = lydfilen er beskadiget
voice-reason-silent = der er ingen lyd på optagelsen
voice-reason-no_speech = der blev ikke hørt nogen tale
voice-reason-gave_up = talegenkendelsen lykkedes ikke efter flere forsøg
