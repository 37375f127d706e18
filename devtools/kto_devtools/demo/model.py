"""Ground truth: what each person answered, before any export formats it.

These dataclasses hold every answer as the person gave it, in the vocabulary
of the survey tool that asked it (One2Ten labels for balie and telefoon, Open
Formulieren codes for digitaal). How an answer is spelled in a file (``8`` or
``8,0``, ``Weet niet`` or ``weet niet``) is the writers' business, not the
ground truth's. Tests compute the expected figures from these objects alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# A grade answer: 1..10, or the person said they don't know / it doesn't
# apply, or left it empty (None).
WEET_NIET = "Weet niet"
NVT = "N.v.t."
Grade = int | str | None

BALIE_ASPECTS = (
    "Openingstijden",
    "Wachtruimte",
    "Wachttijd",
    "Privacy aan de balie",
    "Vriendelijkheid",
    "Deskundigheid",
    "Prijs van het product",
    "Doorlooptijd",
)
TELEFOON_ASPECTS = (
    "Bereikbaarheid",
    "Wachttijd",
    "Vriendelijkheid",
    "Deskundigheid",
    "Duidelijkheid van de informatie",
    "Doorlooptijd",
)
HOSTMANSHIP_ITEMS = (
    "Hostmanship - bereidheid om te helpen",
    "Hostmanship - deskundigheid",
    "Hostmanship - inleving",
    "Hostmanship - verantwoordelijkheid",
    "Hostmanship - oplossingen aandragen",
    "Hostmanship - vertegenwoordigt de gemeente",
)
MOEITE = ("Heel veel moeite", "Veel moeite", "Neutraal", "Weinig moeite", "Geen moeite")
UITNODIGING = ("Inviter", "Qmatic", "Timeblockr", "JCC", "Kaartje", "Enquêtezuil")

BALIE_PRODUCTS = (
    "Paspoort en ID-kaart",
    "Rijbewijs",
    "Uittreksel BRP",
    "Huwelijk en partnerschap",
    "Geboorteaangifte",
    "Verhuizing",
    "Overige producten",
)
TELEFOON_SUBJECTS = (
    "Reisdocumenten",
    "Rijbewijs",
    "Verhuizing",
    "Uittreksel BRP",
    "Afspraak",
    "Overige vragen",
)
DIGITAAL_PRODUCTS = (
    "Eerste inschrijving",
    "Uittreksel BRP",
    "Emigratie",
    "Verklaring omtrent het gedrag",
    "Naamgebruik",
    "Afspraak maken",
    "Verhuizing doorgeven",
)

# Open Formulieren field codes (docs/contract/formats.md section 2), statements in factsheet order.
OF_MOEITE = ("heelVeelMoeite", "veelMoeite", "neutraal", "weinigMoeite", "geenMoeite")
OF_WEET_NIET = "weetNiet"
OF_STATEMENTS = (
    "aanvraagEenvoudig",
    "loketGebruiksvriendelijk",
    "loketVindbaar",
    "infoDuidelijk",
    "infoVindbaar",
    "formulierMakkelijk",
    "taalDuidelijk",
)
OF_AGREEMENT = ("helemaalOneens", "oneens", "neutraal", "eens", "helemaalEens")
FORM_NAME = "KTO digitale dienstverlening"

SURVEY_NAME = {"Balie": "KTO Balie", "Telefoon": "KTO Telefoon"}


@dataclass
class One2TenResponse:
    """One questionnaire of the balie or telefoon survey (One2Ten)."""

    respondentnummer: int
    kanaal: str  # "Balie" | "Telefoon"
    gemeentecode: str
    gemeente: str
    startdatum: datetime  # naive, Europe/Amsterdam local time
    einddatum: datetime | None  # None while not finished
    status: str  # "Voltooid" | "Onvolledig"
    uitnodiging: str | None = None
    product: str | None = None
    totaaloordeel: Grade = None
    toelichting: str | None = None  # explanation of the grade ("review")
    moeite: str | None = None  # one of MOEITE, WEET_NIET, or None
    aspecten: dict[str, Grade] = field(default_factory=dict)  # aspect column -> answer
    hostmanship: dict[str, Grade] = field(default_factory=dict)  # item column -> answer
    in_een_keer_geholpen: str | None = None  # telefoon: "Ja", "Nee", WEET_NIET
    verbetertip: str | None = None  # "Ja" | "Nee"
    verbetertip_toelichting: str | None = None
    email: str | None = None

    @property
    def survey(self) -> str:
        return SURVEY_NAME[self.kanaal]


@dataclass
class OpenFormsSubmission:
    """One submission of the digital survey form (always complete)."""

    respondent_id: str  # UUID, lower case
    gemeentecode: str
    inzendingdatum: datetime  # naive local time
    product: str | None = None
    totaaloordeel: int | None = None
    toelichting: str | None = None
    moeite: str | None = None  # one of OF_MOEITE, OF_WEET_NIET, or None
    stellingen: dict[str, str | None] = field(default_factory=dict)  # OF_STATEMENTS -> code
    verbetertip: str | None = None  # "ja" | "nee"
    verbetertip_toelichting: str | None = None
    email: str | None = None


@dataclass
class Invitation:
    """One row of the Inviter log."""

    gemeentecode: str
    kanaal: str  # "Balie" | "Telefoon"
    verzonden_op: datetime
    email: str
    status: str  # "Verzonden" | "Bounce"


@dataclass
class Dataset:
    """Everything that happened: the ground truth behind a landing folder."""

    gemeenten: dict[str, str]  # Gemeentecode -> name
    responses: list[One2TenResponse] = field(default_factory=list)
    submissions: list[OpenFormsSubmission] = field(default_factory=list)
    invitations: list[Invitation] = field(default_factory=list)
    # Personal data the people typed into free text (BSN, e-mail, phone,
    # IBAN, postcode with house number), exactly as it appears there.
    pii_in_text: set[str] = field(default_factory=set)

    def pii(self) -> list[str]:
        """Every string that must never leave the raw layer."""
        found = set(self.pii_in_text)
        found.update(r.email for r in self.responses if r.email)
        found.update(s.email for s in self.submissions if s.email)
        found.update(i.email for i in self.invitations)
        return sorted(found)
