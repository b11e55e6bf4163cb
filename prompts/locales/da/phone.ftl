# Det, akutlinjen siger i telefonen (Twilio). Læses op af en talesyntese:
# korte sætninger, ingen tegn som «» eller emoji, tal skrevet, som de siges.
# «ivr-<id>» erstatter tjeklistens tekst <id> i telefonen; findes den ikke,
# bruges tjeklistens egen tekst.

ivr-pin-ask = Akutlinjen. Tast din personlige kode, og afslut med firkant. Tast nul for at blive stillet direkte om til vagtlægen.
ivr-pin-wrong = Koden var forkert. Tast din kode igen, og afslut med firkant.
ivr-pin-failed = Koden var forkert tre gange, så jeg kan ikke give oplysninger om beboere. Du stilles nu om til vagtlægen. Ved livsfare: læg på, og ring 112.
ivr-pin-none = Der er ikke sat en kode op for dit nummer, så jeg kan ikke give oplysninger om beboere. Du stilles nu om til vagtlægen. Ved livsfare: læg på, og ring 112.
ivr-case-opened = Akutlinjen. Du ringer fra { $home }. Du kan altid taste nul for at blive stillet direkte om til vagtlægen.
ivr-ask-resident = Tast beboerens værelsesnummer, og afslut med firkant.
ivr-resident-not-found = Jeg kan ikke finde værelse { $query } på { $home }.
ivr-resident-ambiguous = Flere beboere passer.
ivr-resident-wrong-hint = Er det ikke den rigtige beboer, så tast 9.
ivr-ask-red-flags = Er der lige nu et af disse faresignaler?
ivr-choice-none = nej, ingen af dem
ivr-advise-112 = Ring 112 nu. Faresignal: { $flags }. Beboerens behandlingsniveau udelukker ikke indlæggelse. Læg på, ring 112, og bliv hos beboeren. Vagtlægen kaldes samtidig.
ivr-advise-112-no-cpr = Bemærk: Genoplivning ved hjertestop er fravalgt.
ivr-no-112-by-decision = Faresignal: { $flags }. Beboeren har fravalgt indlæggelse. Ring derfor ikke 112 uden videre. Vagtlægen kaldes nu med højeste hast. Er du i tvivl om beslutningen, så ring 112.
ivr-say-vitals-intro = Nu kommer målingerne. Tast stjerne, hvis du ikke har en måling.
ivr-ask-resp-rate = Respirationsfrekvens. Tast antal vejrtrækninger pr. minut, og afslut med firkant.
ivr-ask-spo2 = Iltmætning. Tast procent, og afslut med firkant.
ivr-ask-oxygen = Får beboeren ilt lige nu? Tast 1 for ja, 2 for nej.
ivr-ask-systolic = Blodtryk. Tast det øverste tal, og afslut med firkant.
ivr-ask-pulse = Puls. Tast slag pr. minut, og afslut med firkant.
ivr-ask-consciousness = Bevidsthed sammenlignet med det vanlige for beboeren.
ivr-ask-temp = Temperatur. Tast graderne, stjerne for komma, og afslut med firkant. For eksempel 3 8 stjerne 9 firkant.
ivr-ask-situation = Fortæl efter tonen kort, hvad der er sket, og hvornår det startede. Tast firkant, når du er færdig.
ivr-ask-concern = Hvad er du mest bekymret for? Fortæl det efter tonen, og tast firkant. Tast stjerne for at springe over.
ivr-hint-number = Det forstod jeg ikke. { $what } skal være et tal fra { $min } til { $max }.
ivr-hint-temp = Det forstod jeg ikke. Temperaturen skal være fra 25 til 45 grader.
ivr-hint-choice = Tast et tal fra 1 til { $max }.
ivr-hint-yes-no = Tast 1 for ja, 2 for nej.
ivr-hint-red-flags = Tast tallet for hvert faresignal, der er til stede, og afslut med firkant.
ivr-hint-text-required = Lægen har brug for et par ord om, hvad der er sket.
ivr-noted = Noteret.
ivr-say-summary-intro = Tak.
ivr-say-cancelled = Sagen er afbrudt. Farvel.
ivr-say-note-recorded = Noteret i sagen.
ivr-help = Tast stjerne for at springe en måling over. Tast firkant alene for at høre spørgsmålet igen. Tast nul for at blive stillet om til vagtlægen.

ivr-choice = Tast { $n } for { $label }.
ivr-choices-multiple = Tast tallet for hvert faresignal, der er til stede, og afslut med firkant.
ivr-keys-skip = Tast stjerne, hvis du ikke har målingen.
ivr-card-treatment = Behandlingsniveau:
ivr-voice-note = Talebesked på { $seconds } sekunder, optaget i telefonen. Lydfilen ligger i sagen.
ivr-no-recording = Jeg hørte ikke noget.
ivr-silence = Jeg hørte ikke noget.
ivr-silence-transfer = Jeg hører stadig ikke noget. Du stilles nu om til vagtlægen.
ivr-conference-intro = Vagtlægen kaldes nu. Bliv i røret. Du stilles ind til lægen, så snart lægen tager telefonen. Ved livsfare: læg på, og ring 112.
# Efter «beboeren har fravalgt indlæggelse»: ingen opfordring til 112, som
# modsiger beslutningen, men tvivlen må altid føre til 112.
ivr-conference-intro-limited = Vagtlægen kaldes nu. Bliv i røret. Du stilles ind til lægen, så snart lægen tager telefonen. Er du i tvivl om beslutningen, så ring 112.
ivr-wait-calling = Vagtlægen kaldes stadig. Bliv i røret. Ved livsfare: læg på, og ring 112.
ivr-wait-calling-limited = Vagtlægen kaldes stadig. Bliv i røret. Er du i tvivl om beslutningen, så ring 112.
ivr-wait-acknowledged = Vagtlægen har taget sagen og kommer ind i samtalen om lidt.
ivr-wait-exhausted = Ingen læge har svaret endnu. Koordinatoren er alarmeret. Ved livsfare: læg på, og ring 112.
ivr-wait-exhausted-limited = Ingen læge har svaret endnu. Koordinatoren er alarmeret. Bliv hos beboeren, giv lindring efter plejeplanen, og kontakt lægevagten. Er du i tvivl om beslutningen, så ring 112.
ivr-goodbye = Farvel.
ivr-error = Der opstod en fejl i akutlinjen. Ved livsfare: læg på, og ring 112. Du stilles nu om til vagtlægen, hvis det er muligt.
ivr-error-limited = Der opstod en fejl i akutlinjen. Du stilles nu om til vagtlægen, hvis det er muligt. Er du i tvivl om beslutningen, så ring 112.

ivr-unknown-caller = Du har ringet til akutlinjen for plejecentre. Dit nummer er ikke registreret hos os. Ved livsfare: læg på, og ring 112. Tast nul for at blive stillet om til vagtlægen.
ivr-unknown-connecting = Du stilles om til vagtlægen.
ivr-unknown-nobody = Ingen vagtlæge kunne nås. Ved livsfare: læg på, og ring 112. Ellers ring til lægevagten.

ivr-page-keys = Tryk 1 for at tage opkaldet. Tryk 2 for at afvise.
ivr-page-connecting = Du stilles nu ind til plejecentret.
ivr-page-call-home = Kvitteret. Du stilles igennem til plejepersonalet.
ivr-page-acknowledged = Kvitteret. Personalet er ikke længere i telefonen; sagen ligger i akutlinjen.
ivr-page-taken = En anden læge har allerede taget opkaldet. Tak.
ivr-page-declined = Afvist. Den næste læge kaldes nu. Farvel.
ivr-page-no-answer = Intet svar. Farvel.

sms-page = Akutlinjen: kald med hastegrad { $urgency } fra { $home }. Sag { $code }. Svar «OK { $code }» for at kvittere eller «NEJ { $code }» for at afvise. Sagen står i Element og på akutlinjens webside.
sms-alert = Akutlinjen ALARM: sag { $code } fra { $home } er ikke kvitteret af nogen læge. Find en læge til sagen nu.
sms-acknowledged = Kvitteret for sag { $code }. Dit råd kan du skrive i Element eller ringe ind.
sms-declined = Afvist: sag { $code }. Den næste læge kaldes nu.
sms-unknown-code = Jeg kender ikke sag { $code } blandt dine kald. Svar «OK» og sagens nummer.
sms-code-needed = Skriv sagens nummer efter svaret, fx «OK 4821» eller «NEJ 4821». Nummeret står i SMS’en med kaldet.
sms-help = Svar «OK» og sagens nummer for at kvittere, «NEJ» og nummeret for at afvise.
sms-not-physician = Akutlinjen modtager ikke sager over SMS. Ring til akutlinjen. Ved livsfare: ring 112.
sms-unknown-sender = Dit nummer er ikke registreret hos akutlinjen. Ved livsfare: ring 112.
ivr-remeasure-offer = Lægen har bestilt en ny måling for værelse { $room }. Tast 1 for at give de nye målinger nu, eller 2 for en ny sag.
sms-readback-confirmed = Tak – din bekræftelse af lægens råd i sag { $code } er noteret.
sms-readback-code-needed = Flere sager venter på din bekræftelse: svar FORSTÅET og sagens nummer, fx FORSTÅET 4821.
sms-readback-nothing = Ingen sag venter på din bekræftelse med det nummer.
ivr-readback-offer = Lægens råd: { $advice } Tast 1, hvis du har forstået rådet. Tast 2 for at fortsætte.
ivr-readback-confirmed = Tak. Din bekræftelse er noteret.
ivr-page-after = Vil du bestille en ny måling, så tast 3, antal minutter og firkant, fx 3 6 0 firkant for om en time. Ellers læg på.
ivr-page-remeasure-ordered = Ny måling er bestilt om { $minutes } minutter. Personalet bliver mindet om den. Farvel.
ivr-remeasure-call-intro = Dette er akutlinjen. Lægen har bestilt en ny måling, som endnu ikke er givet.
ivr-remeasure-call-pin = Dette er akutlinjen. Lægen har bestilt en ny måling, som endnu ikke er givet. Tast din personlige kode, og afslut med firkant.
