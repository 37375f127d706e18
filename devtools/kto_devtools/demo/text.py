"""Free text as people type it: reviews, tips, and now and then personal data.

Every character is in Windows-1252, so any text fits any export encoding.
Some texts carry ``;``, quotes, a euro sign or a line break, the things that
make CSV quoting and encoding detection matter.
"""

from __future__ import annotations

import random

# The tips printed on the seed factsheet (balie, digitaal), verbatim.
SEED_TIPS_BALIE = (
    "betere tijdsplanning, zorg ervoor dat de klanten op tijd geholpen worden. Plan voldoende "
    "tijd voor de afspraken die gemaakt zijn. En begin op tijd, 9 uur is 9 uur en niet 5 "
    "minuten later.",
    "Dat de afspraak is altijd op het tijdstip dat ingepland was",
    "Iets vriendelijker personeel.",
    "backoffice goed organiseren en afspraak voorbereiden. Ik had een e-mail kunnen krijgen, "
    "dat het gevraagde dossier (nog) niet beschikbaar was.",
)
SEED_TIPS_DIGITAAL = (
    "De digitale dienstverlening is op zich wel goed, alleen het wordt niet binnen de termijn "
    "afgehandeld soms ook negeert.",
    "Een kopie van de aanvraag naar het naar mijn email sturen, zodat ik kan terugvinden wat "
    "ik heb gestuurd. Het toevoegen van bijlagen",
    "Neem de aanvrager(lees bewoner van Zoetermeer) serieus en behandel hem/haar met het "
    "nodige respect.",
    "afspraak nakomen",
)

_REVIEW_GOOD = (
    "Snel en vriendelijk geholpen.",
    "Alles was goed geregeld.",
    "De medewerker nam de tijd om alles uit te leggen.",
    "Prima service, binnen tien minuten weer buiten.",
    "Keurig op tijd geholpen door een fijne medewerker.",
    "Heel prettig contact en duidelijke uitleg.",
    "Goed georganiseerd, ik hoefde niet te wachten.",
    "Vriendelijke en deskundige medewerker.",
    "Zeer tevreden, complimenten!",
    "Efficiënt en correct.",
)
_REVIEW_MIXED = (
    "Het ging zoals verwacht.",
    "Redelijk, maar het kan sneller.",
    "Prima, al moest ik wel even wachten.",
    "De afspraak liep iets uit, verder goed.",
    "Medewerker was aardig; de wachtruimte was wel erg vol.",
    "Goed geholpen, maar de leges van €73,20 vind ik fors.",
    "Op zich goed. Alleen de parkeergarage is duur.",
)
_REVIEW_BAD = (
    "Lang moeten wachten ondanks mijn afspraak.",
    "De medewerker was kortaf.",
    "Ik moest twee keer terugkomen omdat er een formulier ontbrak.",
    "De informatie op de website klopte niet met wat aan de balie werd gezegd.",
    "Niemand wist het antwoord op mijn vraag.",
    'Ik kreeg te horen dat het "zo geregeld" was, maar er gebeurde niets.',
)
_REVIEW_DIGITAAL = (
    "Het formulier was duidelijk en snel ingevuld.",
    "Inloggen met DigiD ging soepel.",
    "Ik kon de juiste pagina niet vinden.",
    "Na het versturen kreeg ik geen bevestigingsmail.",
    "Betalen met iDEAL ging mis; twee keer geprobeerd.",
    'De knop "Volgende" deed het niet op mijn telefoon.',
    "Het uploaden van een bijlage lukte pas de derde keer.",
    "Binnen een paar minuten geregeld, top.",
)
_REVIEW_TELEFOON = (
    "Ik werd snel doorverbonden.",
    "Lang in de wacht gestaan.",
    "Mijn vraag werd meteen beantwoord.",
    "Ik moest zelf terugbellen omdat niemand het wist.",
    "Vriendelijke stem, duidelijk antwoord.",
)

_TIPS = (
    "Zorg dat je sneller een afspraak kunt maken.",
    "Meer avondopeningen, ik werk overdag.",
    "Meer parkeerplaatsen bij het stadhuis.",
    "Stuur een dag van tevoren een herinnering voor de afspraak.",
    "Maak de website overzichtelijker.",
    "Zet de openingstijden duidelijker op de website.",
    "Stuur een bevestigingsmail na het indienen van een aanvraag.",
    "Laat weten hoe lang het nog duurt voor je aan de beurt bent.",
    "Bied de mogelijkheid om vooraf online te betalen.",
    "Een scherm met volgnummers in de wachtruimte.",
    "Minder lang in de wacht aan de telefoon.",
    "Maak een terugbelverzoek mogelijk.",
    "Uitleg in eenvoudiger taal graag.",
    "Bied de formulieren ook in het Engels aan.",
    "Meer stopcontacten in de wachtruimte.",
    "Een hoekje voor kinderen in de wachtruimte.",
    "Meer personeel; nu is het te druk.",
    "Laat je paspoort thuisbezorgen, dat scheelt een keer komen.",
    "Zorg dat de medewerkers dezelfde informatie geven als de website.",
    "Stuur een sms als het paspoort klaar is.",
    "Een koffieautomaat zou fijn zijn.",
    "Houd de afspraaktijden beter aan.",
    "De bewegwijzering in het stadhuis kan beter.",
    "Maak het formulier geschikt voor de telefoon.",
    "Laat zien welke documenten je mee moet nemen.",
    "Noem de knop ‘Versturen’ in plaats van ‘Afronden’.",
    "Sla ingevulde gegevens tussendoor op.",
    "Geef een ontvangstbevestiging met een zaaknummer.",
    "Maak het mogelijk om bijlagen later toe te voegen.",
    "Één loket voor alles zou handig zijn.",
)
_TIP_LISTS = (
    "Twee dingen:\n1. eerder openen\n2. meer balies open bij drukte",
    "Graag:\n- duidelijkere uitleg\n- een bevestiging per mail",
)
# Which tips a customer of each channel can give: no web-form tips on a balie factsheet, no
# waiting-room tips on a digitaal one. The tips above that fit every channel are in all three.
_ALLE = {
    "Maak de website overzichtelijker.",
    "Zet de openingstijden duidelijker op de website.",
    "Uitleg in eenvoudiger taal graag.",
    "Zorg dat de medewerkers dezelfde informatie geven als de website.",
    "Stuur een sms als het paspoort klaar is.",
    "Laat zien welke documenten je mee moet nemen.",
    "Laat je paspoort thuisbezorgen, dat scheelt een keer komen.",
}
_PER_KANAAL = {
    "balie": _ALLE
    | {
        "Zorg dat je sneller een afspraak kunt maken.",
        "Meer avondopeningen, ik werk overdag.",
        "Meer parkeerplaatsen bij het stadhuis.",
        "Stuur een dag van tevoren een herinnering voor de afspraak.",
        "Laat weten hoe lang het nog duurt voor je aan de beurt bent.",
        "Bied de mogelijkheid om vooraf online te betalen.",
        "Een scherm met volgnummers in de wachtruimte.",
        "Meer stopcontacten in de wachtruimte.",
        "Een hoekje voor kinderen in de wachtruimte.",
        "Meer personeel; nu is het te druk.",
        "Een koffieautomaat zou fijn zijn.",
        "Houd de afspraaktijden beter aan.",
        "De bewegwijzering in het stadhuis kan beter.",
        "Één loket voor alles zou handig zijn.",
    },
    "telefoon": _ALLE
    | {
        "Zorg dat je sneller een afspraak kunt maken.",
        "Meer avondopeningen, ik werk overdag.",
        "Laat weten hoe lang het nog duurt voor je aan de beurt bent.",
        "Minder lang in de wacht aan de telefoon.",
        "Maak een terugbelverzoek mogelijk.",
        "Meer personeel; nu is het te druk.",
        "Één loket voor alles zou handig zijn.",
    },
    "digitaal": _ALLE
    | {
        "Stuur een bevestigingsmail na het indienen van een aanvraag.",
        "Bied de mogelijkheid om vooraf online te betalen.",
        "Bied de formulieren ook in het Engels aan.",
        "Maak het formulier geschikt voor de telefoon.",
        "Noem de knop ‘Versturen’ in plaats van ‘Afronden’.",
        "Sla ingevulde gegevens tussendoor op.",
        "Geef een ontvangstbevestiging met een zaaknummer.",
        "Maak het mogelijk om bijlagen later toe te voegen.",
    },
}
# per channel its tips in _TIPS order, so the mapping below does not depend on set order
_KANAAL_TIPS = {k: tuple(t for t in _TIPS if t in tips) for k, tips in _PER_KANAAL.items()}
FIRST_NAMES = (
    "jan",
    "anna",
    "mohamed",
    "sanne",
    "pieter",
    "fatima",
    "daan",
    "lisa",
    "kees",
    "emma",
)
LAST_NAMES = (
    "jansen",
    "devries",
    "bakker",
    "visser",
    "smit",
    "meijer",
    "bos",
    "mulder",
    "dijkstra",
)
_BANKS = ("ABNA", "INGB", "RABO", "TRIO", "SNSB", "ASNB")
_PC_LETTERS = "ABCEGHJKLMNPRSTVWXZ"


def punctuation_only(rng: random.Random) -> str:
    """An explanation box filled with nothing but punctuation: not a review."""
    return rng.choice((".", "-", "...", "?", " - ", "-.-", "."))


def review(rng: random.Random, grade: int | None, kanaal: str) -> str:
    if kanaal == "digitaal" and rng.random() < 0.6:
        return rng.choice(_REVIEW_DIGITAAL)
    if kanaal == "telefoon" and rng.random() < 0.5:
        return rng.choice(_REVIEW_TELEFOON)
    g = grade if isinstance(grade, int) else 7
    pool = _REVIEW_GOOD if g >= 8 else _REVIEW_MIXED if g >= 6 else _REVIEW_BAD
    text = rng.choice(pool)
    if rng.random() < 0.2:
        text += " " + rng.choice(_REVIEW_MIXED if pool is not _REVIEW_MIXED else _REVIEW_GOOD)
    return text


def _for_channel(tip: str, kanaal: str) -> str:
    """``tip`` when a customer of ``kanaal`` can give it, else a tip of that channel picked
    by its place in _TIPS: no extra draw, so the random stream, and with it every other
    value of the demo (tests/fixtures/zoetermeer_2020.json), stays as it was."""
    tips = _KANAAL_TIPS.get(kanaal)
    if tips is None or tip in tips:
        return tip
    return tips[_TIPS.index(tip) % len(tips)]


def tip(rng: random.Random, kanaal: str | None = None) -> str:
    """A tip a customer of ``kanaal`` could give (any channel's when None)."""
    if rng.random() < 0.04:
        lijst = rng.choice(_TIP_LISTS)
        # "meer balies open" only at the balie
        return lijst if kanaal in (None, "balie") else _TIP_LISTS[1]
    text = _for_channel(rng.choice(_TIPS), kanaal) if kanaal else rng.choice(_TIPS)
    if rng.random() < 0.25:
        extra = rng.choice(_TIPS)
        text += " " + (_for_channel(extra, kanaal) if kanaal else extra)
    if rng.random() < 0.1:
        text = text[0].lower() + text[1:]
    return text


def bsn(rng: random.Random) -> str:
    """Nine digits that pass the 11-proof (sum d_i x (9..2) - d_9 divisible by 11)."""
    while True:
        digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
        if last < 10:
            return "".join(map(str, digits)) + str(last)


def iban(rng: random.Random, grouped: bool = False) -> str:
    bank = rng.choice(_BANKS)
    account = f"{rng.randint(10**8, 10**10 - 1):010d}"
    digits = "".join(str(int(c, 36)) for c in bank + account + "NL00")
    check = 98 - int(digits) % 97
    compact = f"NL{check:02d}{bank}{account}"
    if grouped:
        return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
    return compact


def phone(rng: random.Random) -> str:
    number = f"{rng.randint(10**7, 10**8 - 1):08d}"
    return rng.choice((f"06-{number}", f"06{number}", f"06 {number}", f"+31 6 {number}"))


def email(rng: random.Random, domain: str = "example.net") -> str:
    return f"{rng.choice(FIRST_NAMES)}.{rng.choice(LAST_NAMES)}{rng.randint(1, 999)}@{domain}"


def postcode_huisnummer(rng: random.Random) -> str:
    letters = rng.choice(_PC_LETTERS) + rng.choice(_PC_LETTERS)
    return f"{rng.randint(1000, 9999)} {letters} {rng.randint(1, 250)}"


def with_personal_data(rng: random.Random, text: str, kind: str | None = None) -> tuple[str, str]:
    """The text with one piece of personal data added, and that piece."""
    kind = kind or rng.choice(("bsn", "email", "phone", "iban", "postcode"))
    if kind == "bsn":
        value = bsn(rng)
        extra = rng.choice((f"Mijn BSN is {value}.", f"BSN {value}, graag terugkoppeling."))
    elif kind == "email":
        value = email(rng)
        extra = f"Mail mij op {value}"
    elif kind == "phone":
        value = phone(rng)
        extra = f"Bel mij gerust op {value}."
    elif kind == "iban":
        value = iban(rng, grouped=rng.random() < 0.3)
        extra = f"Graag de leges terugstorten op {value}."
    else:
        value = postcode_huisnummer(rng)
        extra = f"Mijn postcode en huisnummer: {value}."
    return f"{text} {extra}", value
