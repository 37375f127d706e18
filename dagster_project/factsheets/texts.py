"""The fixed Dutch wording of the factsheets: titles, legend and the "Toelichting" page.

Kept apart from the view model so the wording can be reviewed in one place.
The explanations follow docs/contract/metrics.md; they are written for the municipality's
readers, not for statisticians.
"""

from __future__ import annotations

from dagster_project.domain import code_lists

KANAAL_TITEL = {
    "balie": "Dienstverlening aan de balie",
    "telefoon": "Telefonische dienstverlening",
    "digitaal": "Digitale dienstverlening",
}

PRODUCT_TITEL = {
    "balie": "Totaaloordeel per product",
    "telefoon": "Totaaloordeel per onderwerp",
    "digitaal": "Totaaloordeel per product",
}

TABEL_TITEL = {
    "balie": "Oordeel over de dienstverlening",
    "telefoon": "Oordeel over de dienstverlening",
    "digitaal": "Stellingen over het digitale loket",
}

TABEL_EENHEID = {
    "balie": "rapportcijfer",
    "telefoon": "rapportcijfer",
    "digitaal": "% eens",
}

# Display names of the code lists on a bar label: short enough to fit under a bar without
# breaking a word; they live with the product list (dagster_project/domain/code_lists.py). The full
# name stays in the HTML's title text. A product outside the list keeps its own name
# (wrapped at spaces only).
KORTE_NAAM = code_lists.short_names()


def korte_naam(naam: str) -> str:
    return KORTE_NAAM.get(naam, naam)


# docs/metrics.md, "Benchmark (BM)" and "Disclosure control": the gemeenten-BM counts every
# value resting on enough answers, also one withheld only to protect another (afgeschermd);
# the respondenten-BM pools every response, of suppressed municipalities too.
BM_METHODE = {
    "gemeenten": (
        "het gemiddelde van de deelnemende gemeenten, waarin elke gemeente met een "
        "cijfer op genoeg antwoorden één keer meetelt (de eigen gemeente ook), ook als "
        "dat cijfer op haar factsheet afgeschermd is"
    ),
    "respondenten": (
        "het cijfer over alle respondenten van alle deelnemende gemeenten samen, ook "
        "van gemeenten waarvan het cijfer niet getoond wordt, zodat grote gemeenten "
        "zwaarder wegen"
    ),
}


def legenda(drempel: int, verfijnd: bool = False, fdr: bool = False) -> list[str]:
    regels = [
        "▲ / ▼  significant hoger / lager dan de benchmark (BM): "
        "het 95%-betrouwbaarheidsinterval (BI) sluit de BM uit"
        # KTO_SIGNIFICANCE=fdr
        + (
            ", ook gecorrigeerd voor het aantal vergelijkingen over alle gemeenten "
            "(Benjamini-Hochberg, q < 0,05)"
            if fdr
            else ""
        ),
        f"–  niet getoond: n < {drempel} betekent te weinig antwoorden; afgeschermd: "
        "verborgen omdat een ander verborgen cijfer er anders uit terug te rekenen is",
    ]
    if verfijnd:
        regels.append(
            "Een cijfer en zijn BM met een decimaal extra zijn afgerond gelijk, "
            "maar verschillen significant"
        )
    return regels


def responspercentage(rate: int | None, respons_inviter: int | None) -> str:
    """What the response rate is a rate of, on the tile itself (not only in the Toelichting).

    People fill in a questionnaire; an invitation is not filled in."""
    if rate is None:
        return ""
    if respons_inviter is None:
        return f"responspercentage {rate}%: het deel van de genodigden dat de vragenlijst invulde"
    return (
        f"responspercentage {rate}%: {respons_inviter} genodigden vulden de vragenlijst "
        "in; de overige respons kwam via kaartje, zuil of afsprakensysteem"
    )


def toelichting(kanaal: str, drempel: int, bm_methode: str) -> list[dict[str, object]]:
    """Sections of the explanation page: a heading and its paragraphs."""
    bm_tekst = BM_METHODE.get(bm_methode, bm_methode)
    secties: list[tuple[str, list[str]]] = [
        (
            "Over deze factsheet",
            [
                "Deze factsheet vat de uitkomsten samen van het continue klantonderzoek "
                "(KTO) van één kanaal van de gemeente: de balie, de telefoon of het digitale "
                "loket. Klanten vullen na hun contact met de gemeente een korte vragenlijst "
                "in. Alleen volledig ingevulde vragenlijsten tellen mee. Een jaar- of "
                "kwartaalcijfer gaat over de vragenlijsten die in dat jaar of kwartaal zijn "
                "afgerond (Nederlandse tijd).",
            ],
        ),
        (
            "Respons en uitnodigingen",
            [
                "Respons is het aantal ingevulde vragenlijsten. Uitnodigingen is het aantal "
                "uitnodigingen dat via de Inviter met succes is verstuurd (balie en "
                "telefoon); uitnodigingen via een kaartje, een zuil of een "
                "afsprakensysteem zijn daarin niet zichtbaar. Het responspercentage is "
                "daarom het aantal ingevulde vragenlijsten van klanten die via de Inviter "
                "zijn uitgenodigd, gedeeld door dat aantal uitnodigingen. Voor het digitale kanaal "
                "krijgt iedere aanvrager automatisch een uitnodiging; dat aantal is niet "
                "bekend en wordt dus niet getoond.",
            ],
        ),
        (
            "Reviews en verbetertips",
            [
                "Reviews telt de klanten die hun rapportcijfer in eigen woorden hebben "
                "toegelicht. Verbetertips telt de klanten die op de vraag of zij een tip "
                "voor de gemeente hebben ‘ja’ antwoordden. De factsheet toont hooguit vier "
                "tips, steeds volgens dezelfde vaste keuze. Burgerservicenummers, "
                "e-mailadressen, telefoonnummers, rekeningnummers en adressen (postcode met "
                "huisnummer) in een tip zijn vervangen door een aanduiding zoals [BSN].",
            ],
        ),
        (
            "Totaaloordeel",
            [
                "Het totaaloordeel is het gemiddelde van de rapportcijfers (1 tot en met 10) "
                "die klanten gaven voor de manier waarop zij in het algemeen zijn geholpen. "
                "Het is een eigen vraag en dus geen gemiddelde van de aspecten: klanten "
                "wegen ook dingen mee waar niet apart naar gevraagd is. Per product of "
                "onderwerp staat hetzelfde gemiddelde voor de klanten met dat product; "
                "N onder een staaf is het aantal ingevulde vragenlijsten voor dat product. "
                "Het trendblok toont het totaaloordeel van dezelfde periode in eerdere jaren. "
                "Een jaarfactsheet toont ook het totaaloordeel en de CES van elk kwartaal "
                "van dat jaar.",
            ],
        ),
        (
            "CES (Customer Effort Score)",
            [
                "De CES meet hoeveel moeite het de klant kostte om geholpen te worden. Het "
                "is het percentage klanten dat weinig of geen moeite had, min het "
                "percentage dat veel of heel veel moeite had; ‘neutraal’ telt mee in het "
                "totaal, ‘weet niet’ niet. De score loopt van -100 tot 100: hoe hoger, hoe "
                "makkelijker het de klant werd gemaakt.",
            ],
        ),
    ]
    if kanaal == "digitaal":
        secties.append(
            (
                "Stellingen (% eens)",
                [
                    "Bij elke stelling staat het percentage klanten dat het er eens of "
                    "helemaal eens mee is, van alle klanten die een mening gaven "
                    "(‘weet niet’ telt niet mee).",
                ],
            )
        )
    else:
        alineas = [
            "De aspecten zijn gemiddelde rapportcijfers per onderdeel van de "
            "dienstverlening. Hostmanship gaat over het gevoel welkom te zijn en serieus "
            "genomen te worden. Klanten beoordelen zes kanten van de medewerker: de "
            "bereidheid om te helpen, de deskundigheid, het inlevingsvermogen, de "
            "verantwoordelijkheid voor een oplossing, het aandragen van oplossingen en het "
            "vertegenwoordigen van de hele gemeente. Per klant die ten minste drie daarvan "
            "beoordeelde, telt het gemiddelde van die cijfers; de score is het gemiddelde "
            "daarvan over de klanten.",
        ]
        if kanaal == "telefoon":
            alineas.append(
                "‘In één keer geholpen’ is het percentage bellers dat ‘ja’ antwoordde, "
                "van alle bellers die ‘ja’ of ‘nee’ antwoordden."
            )
        secties.append(("Aspecten en hostmanship", alineas))
    secties += [
        (
            "Benchmark (BM)",
            [
                f"De BM is per kanaal, periode en cijfer {bm_tekst}. De BM wordt op dezelfde "
                "manier afgerond als het cijfer zelf. Zou de BM een verborgen cijfer "
                "verraden, dan staat er een streepje.",
            ],
        ),
        (
            "Minimaal aantal respondenten",
            [
                f"Een cijfer dat op minder dan {drempel} antwoorden rust, is te onzeker en "
                f"wordt niet getoond: er staat een streepje met ‘n < {drempel}’. Een kanaal "
                f"met minder dan {drempel} ingevulde vragenlijsten in een periode krijgt "
                "geen factsheet. Een cijfer dat niet getoond mag worden, zou soms uit andere "
                "cijfers terug te rekenen zijn: een kwartaal uit het jaarcijfer en de andere "
                "kwartalen, een product uit het totaaloordeel en de andere producten. Dan "
                "wordt ook van die andere cijfers het cijfer met de minste antwoorden niet "
                "getoond, al rust het op genoeg antwoorden (‘afgeschermd’).",
            ],
        ),
        (
            "Betrouwbaarheidsinterval en significantie",
            [
                # Not "the true figure lies in the interval in 95 of 100 cases": the figure
                # of all customers is fixed, it is the intervals that vary between samples.
                "De klanten die de vragenlijst invullen, zijn een steekproef: met andere "
                "klanten was het cijfer iets anders uitgekomen. Het "
                "95%-betrouwbaarheidsinterval (BI) laat zien hoe groot die onzekerheid is. "
                "Het is zo berekend dat bij heel vaak herhalen van het onderzoek, steeds met "
                "andere klanten, 95 van elke 100 zo berekende intervallen het cijfer van alle "
                "klanten bevatten. Of dit ene interval dat doet, weten we niet; hoe smaller "
                "het interval, hoe nauwkeuriger het cijfer. Voor rapportcijfers is het "
                "interval berekend met de t-verdeling op de antwoorden, voor de CES met de "
                "normale benadering van het verschil van twee percentages en voor "
                "percentages met de methode van Wilson. Valt de BM buiten het interval, dan "
                "is het verschil met de BM te groot om goed door toeval te verklaren "
                "(significant); dat is gemarkeerd met ▲ (hoger) of ▼ (lager). Zonder "
                "markering kan een verschil met de BM op toeval berusten. De grenzen staan "
                "met één decimaal meer dan het cijfer zelf, en de vergelijking gebruikt de niet "
                "afgeronde BM: zo is te zien waarom een klein verschil toch telt. Zijn een "
                "gemarkeerd cijfer en zijn BM afgerond gelijk, dan staan beide met een "
                "decimaal extra, zodat het verschil zichtbaar is.",
                "Onder ‘Grootste verschillen met de BM’ staan de cijfers uit de tabel die "
                "significant van de BM verschillen, het grootste verschil eerst (een punt op "
                "het rapportcijfer telt daarbij als tien procentpunten). Het verschil is het "
                "getoonde cijfer min de getoonde BM; tussen twee percentages is het een "
                "aantal procentpunten (pp): 54% tegenover 60% is −6 pp.",
            ],
        ),
    ]
    return [{"kop": kop, "alineas": alineas} for kop, alineas in secties]


# The priority matrix (kto_prioriteit, docs/metrics.md "Drivers"): the quadrants by the
# mart's code, as (short name in the chart's corner, what it means).
KWADRANT = {
    "belangrijk_onder_bm": ("Aanpakken", "belangrijk, onder de BM"),
    "belangrijk_niet_onder_bm": ("Vasthouden", "belangrijk, op of boven de BM"),
    "minder_belangrijk_onder_bm": ("Volgen", "minder belangrijk, onder de BM"),
    "minder_belangrijk_niet_onder_bm": ("Minder urgent", "minder belangrijk, op of boven de BM"),
}
# The corners of the chart, top left first (as Prioriteiten.kwadranten lists them).
KWADRANT_VOLGORDE = (
    "belangrijk_onder_bm",
    "belangrijk_niet_onder_bm",
    "minder_belangrijk_onder_bm",
    "minder_belangrijk_niet_onder_bm",
)
NIET_GEPLAATST = {
    "niet_getoond": "cijfer niet getoond",
    "bm_niet_getoond": "BM niet getoond",
    "geen_belang": "te weinig antwoorden voor een gewicht",
}
PRIORITEITEN_TITEL = "Wat aanpakken: belang en score per aspect"


def prioriteiten_inleiding(gemeente: str, jaar: int) -> str:
    return (
        "Hoe zwaar elk aspect weegt voor het totaaloordeel (verticaal), gemeten over alle "
        f"respondenten van dit kanaal in {jaar} bij alle deelnemende gemeenten, tegen het "
        f"verschil tussen {gemeente} en de BM (horizontaal). Linksboven staan de aspecten "
        "die zwaar wegen en waarop de gemeente onder de BM scoort: daar valt het meeste te "
        "winnen."
    )


def prioriteiten_voetnoot(r2: str) -> str:
    return (
        f"Samen verklaren de aspecten {r2} van de verschillen in het totaaloordeel tussen "
        "respondenten (R²). Belang: het deel daarvan dat een aspect draagt, gemiddeld over "
        "elke volgorde waarin de aspecten het model in gaan (relatief belang, LMG); samen "
        "100%. De horizontale lijn is het gemiddelde belang, de verticale de BM. "
        + "; ".join(f"{naam}: {tekst}" for naam, tekst in KWADRANT.values())
        + ". Een aspect zonder getoond cijfer of BM staat niet in de matrix."
    )


def geen_prioriteit(gemeente: str) -> str:
    return f"{gemeente} scoort op geen aspect met een gewicht onder de BM."


def themas_uitleg(drempel: int) -> str:
    """The note under "Waar gaan de opmerkingen over" (docs/themes.md)."""
    return (
        "Een reactie is een ingevulde vragenlijst met een toelichting bij het totaaloordeel, "
        "een verbetertip met tekst, of beide; ze telt per thema één keer. Een reactie kan over "
        "meer thema's gaan, dus de aandelen tellen niet op tot 100%. De thema's worden "
        "automatisch in de teksten herkend aan hun woorden (ook verbogen, samengesteld of met "
        "een tikfout); de teksten zelf verlaten de verwerking niet. Getoond worden de thema's "
        "met het grootste aandeel; een aandeel dat op minder dan "
        f"{drempel} reacties rust of dat andere verborgen cijfers zou verraden, staat er niet "
        "bij. BM: het aandeel in alle gemeenten samen (zie Benchmark). De verandering is "
        "ten opzichte van dezelfde periode een jaar eerder, in procentpunten (pp)."
    )
