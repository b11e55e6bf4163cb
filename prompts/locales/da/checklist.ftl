# Det, akutlinjen siger til nattevagten under tjeklisten. Korte sætninger:
# de læses kl. 3 om natten af en, der står ved en syg beboer.

case-opened = Akutlinjen – ny sag for { $home }.
ask-caller-name = Hvad er dit navn?
ask-resident = Hvilken beboer drejer det sig om? Skriv værelsesnummer eller navn.
resident-not-found = Jeg kan ikke finde nogen beboer med «{ $query }» på { $home }. Skriv værelsesnummer eller navn igen.
resident-ambiguous = Flere beboere passer. Svar med tallet:
resident-choice = Værelse { $room } – { $name }
resident-wrong-hint = Er det ikke den rigtige beboer, så skriv «forkert».
resident-rejected = Godt, så prøver vi igen.

ask-red-flags = Er der lige nu et af disse faresignaler? Svar med tallet (eller tallene), eller «nej».
flag-not_breathing = Trækker ikke vejret normalt
flag-unresponsive = Reagerer ikke / kan ikke vækkes
flag-chest_pain = Brystsmerter
flag-stroke = Tegn på blodprop i hjernen (skæv mund, lammelse, talebesvær)
flag-bleeding = Kraftig blødning
flag-seizure = Krampeanfald, der ikke stopper
choice-none = nej, ingen af dem

advise-112 =
    🚨 RING 112 NU 🚨
    Faresignal: { $flags }.
    Beboerens behandlingsniveau udelukker ikke indlæggelse. Ring 112 nu, og bliv hos beboeren.
    Vagtlægen kaldes samtidig.
advise-112-no-cpr = Bemærk: Genoplivning ved hjertestop er fravalgt ({ $source }).
no-112-by-decision =
    ⚠ Faresignal: { $flags }.
    Beboeren har fravalgt indlæggelse ({ $source }). Ring derfor ikke 112 uden videre.
    Vagtlægen kaldes nu med højeste hast. Bliv hos beboeren.
    Er du i tvivl om beslutningen, så ring 112.

say-vitals-intro =
    Nu kommer målingerne, én ad gangen. Har du ikke en måling, så skriv «ved ikke».
    Du kan også skrive flere på én gang, fx «puls 105, BT 110/70, temp 38,9».
say-vitals-intro-red = Hvis du kan, mens I venter: giv lægen målingerne. Skriv «ved ikke» for at springe en over.
ask-resp-rate = Respirationsfrekvens – vejrtrækninger pr. minut?
ask-spo2 = Iltmætning (SpO2) i %?
ask-oxygen = Får beboeren ilt lige nu? (ja/nej)
ask-systolic = Blodtryk (fx 120/80)?
ask-pulse = Puls – slag pr. minut?
ask-consciousness = Bevidsthed sammenlignet med det vanlige for beboeren ({ $baseline }). Svar med tallet:
ask-temp = Temperatur (fx 38,9)? Skriv gerne, hvis den er målt i munden eller armhulen, fx «37,8 armhule».
cons-habitual = Som vanligt
cons-new_confusion = Ny eller værre forvirring
cons-agitated = Urolig eller agiteret (nyt)
cons-voice = Reagerer kun på tiltale
cons-pain = Reagerer kun på smerte
cons-unresponsive = Reagerer ikke
noted-value = { $param } { $value }
noted = Noteret: { $values }.

ask-situation = Beskriv kort med dine egne ord, hvad der er sket, og hvornår det startede.
ask-concern = Hvad er du mest bekymret for? (eller «spring over»)

hint-number = Det forstod jeg ikke. { $what } skal være et tal fra { $min } til { $max }{ $unit }. Skriv «ved ikke» for at springe over.
hint-temp = Det forstod jeg ikke. Temperaturen skal være fra 25,0 til 45,0 °C med højst én decimal, fx 38,9. Skriv «ved ikke» for at springe over.
hint-choice = Svar med et tal fra 1 til { $max }.
hint-yes-no = Svar «ja» eller «nej» – eller «ved ikke».
hint-red-flags = Svar med tallet for hvert faresignal, der er til stede (fx «1» eller «2 3»), eller «nej».
hint-text-required = Skriv et par ord om, hvad der er sket – lægen har brug for det.
hint-resident = Skriv værelsesnummeret (fx 12) eller beboerens navn.
help = Svar på spørgsmålet ovenfor. «ved ikke» springer en måling over, «gentag» viser spørgsmålet igen, «læge nu» kalder vagtlægen med det samme, «afbryd» afbryder sagen.

say-summary-intro = Tak. Her er opsummeringen, som vagtlægen får:
say-paged = Vagtlægen er kaldt med hastegrad { $urgency }. Du får besked her, når lægen svarer. Bliver beboeren dårligere, så skriv det her. Ved livsfare: ring 112.
say-paged-limited = Vagtlægen er kaldt med hastegrad { $urgency }. Du får besked her, når lægen svarer. Bliver beboeren dårligere, så skriv det her. Er du i tvivl om beslutningen, så ring 112.
say-page-updated = Lægen har fået den fulde opsummering.
say-note-recorded = Noteret i sagen.
say-cancelled = Sagen er afbrudt. Skriv «akut» for at starte en ny.
say-case-finished = Sagen er afsluttet.

# The Matrix bot.
bot-refusal = Jeg kender dig ikke, så jeg kan ikke hjælpe her. Kontakt koordinatoren for at få adgang. Ved livsfare: ring 112.
bot-room-unbound = Dette rum er ikke knyttet til et plejecenter, så jeg åbner ingen sager og viser ingen beboeroplysninger her. En koordinator kan knytte det på websiden under «Plejecentre» eller med «akutlinje homes room <plejecenter> { $room }». Haster det: ring til akutlinjen.
bot-room-other-home = Dette rum hører til { $other }, så sager for { $home } køres ikke her. Brug jeres eget plejecenters rum, eller ring til akutlinjen.
bot-room-not-encrypted = Dette rum er ikke krypteret, så jeg viser ingen beboeroplysninger her. Brug plejecentrets krypterede rum, eller ring til akutlinjen.
bot-room-outsider = { $member } har ikke adgang til { $home }s beboere, så jeg viser ingen beboeroplysninger her, så længe { $member } er med i rummet. Sagen er gemt: fortsæt her, når kun plejecentrets folk er med (skriv «gentag»), eller ring til akutlinjen. Er du i tvivl, så ring 112.
bot-room-check-failed = Jeg kan ikke se, hvem der er i rummet lige nu, så jeg viser ingen beboeroplysninger. Prøv igen om lidt, eller ring til akutlinjen. Er du i tvivl, så ring 112.
bot-physician-dm-only = Kvitteringer, råd og beslutninger tager jeg kun imod i din direkte samtale med mig (kun dig og mig). Skriv dem der.
bot-advice-not-shown = Dit råd er gemt i sagen, men jeg kan ikke vise det i plejecentrets rum lige nu ({ $why }). Ring til plejecentret.
bot-not-staff = Sager åbnes af plejepersonalet på plejecentret.
bot-no-page = Der er ingen kald til dig lige nu.
bot-acknowledged = Kvitteret. Skriv dit råd her – det sendes ordret til personalet. Når du har besluttet, så skriv «!beslutning» og tallet (fx «!beslutning 6»).
bot-paging = 📟 Vagtlægen kaldes · hastegrad { $urgency }
bot-page-howto = Du kan også reagere på beskeden med ✅ (kvittér) eller ❌ (afvis). Dit råd skriver du her; det sendes ordret til personalet. Beslutningen: «!beslutning» og tallet – «!beslutning» alene viser listen.
bot-disposition-list = Hvad er din beslutning? Skriv «!beslutning» og tallet, evt. efterfulgt af dit råd (fx «!beslutning 6 Giv paracetamol 1 g, mål igen kl. 6»):
bot-disposition-unknown = Jeg kender ikke beslutningen «{ $text }».
bot-disposition-recorded = Beslutning registreret: { $disposition }.
bot-staff-disposition = Vagtlæge { $name } har besluttet: { $disposition }.
bot-oncall-title = Vagt nu – { $service }:
bot-oncall-line = { $tier }: { $name } (til { $until })
bot-oncall-nobody = { $tier }: ingen på vagt – kontakt koordinatoren
bot-oncall-unavailable = Vagtplanen kan ikke læses lige nu. Ved livsfare: ring 112.
bot-greeting-staff = Hej, det er akutlinjen. Skriv «akut» her for at starte en ny sag; jeg stiller spørgsmålene i en tråd under din besked. «!vagt» viser, hvem der har vagt. Ved livsfare: ring 112 først.
bot-greeting-physician = Hej, det er akutlinjen. Her får du kald, når du har vagt. Svar med ✅ eller «ok» for at kvittere, ❌ eller «nej» for at afvise; dit råd sendes ordret til personalet. «!vagt» viser, hvem der har vagt.
bot-greeting-other = Hej, det er akutlinjen. «!vagt» viser, hvem der har vagt.
bot-voice-attached = Lydbeskeden er gemt i sagen.
bot-voice-failed = Lydbeskeden kunne ikke hentes. Prøv igen, eller skriv det vigtigste.
bot-voice-too-large = Lydbeskeden er for stor (over 20 MB). Send en kortere, eller skriv det vigtigste.
bot-voice-outside-case = Lydbeskeder gemmes i en sag: skriv «akut» først, og send den så i sagens tråd.
bot-physician-note = Noteret i sagen.
bot-declined = Afvist – den næste læge kaldes nu.
bot-staff-acknowledged = Vagtlæge { $name } har kvitteret og ser på sagen.
bot-staff-advice = Råd fra vagtlæge { $name }: { $advice }

# After the advice: read-back and re-measurement (issue 16).
say-advice-confirmed = Tak – din bekræftelse af lægens råd er noteret.
say-remeasure-intro = Ny måling. Svar på spørgsmålene igen; de nye værdier sammenlignes med de første.
say-remeasure-trend = Udvikling: { $trend }
say-remeasure-worse = Beboeren er blevet dårligere. Vagtlægen kaldes igen med udviklingen øverst. Ved livsfare: ring 112.
say-remeasure-not-worse = Ikke dårligere. Lægen får udviklingen som en besked.
bot-staff-readback-ask = Skriv «forstået», når du har læst rådet – så ved lægen, at det er modtaget.
bot-remeasure-ordered = Vagtlæge { $name } har bestilt en ny måling om { $minutes } minutter (kl. { $due }). Skriv «ny måling» her i tråden, når I måler.
bot-record-not-allowed = Du har ikke adgang til denne sags journal.
