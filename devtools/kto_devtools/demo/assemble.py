"""Cell plans in, one consistent :class:`Dataset` out."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from .cells import CellPlan, People, build_invitations, build_one2ten, build_openforms
from .model import Dataset

# Respondent numbers of each One2Ten survey start here (unique within a survey).
FIRST_RESPONDENTNUMMER = {"Balie": 1_000_001, "Telefoon": 5_000_001}


def assemble(
    plans: Sequence[CellPlan],
    gemeenten: Mapping[str, str],
    inviter_rates: Mapping[tuple[str, str], float],
    seed: int | str,
) -> Dataset:
    """Build every cell, number the respondents, and write the Inviter logs.

    ``inviter_rates`` maps (gemeentecode, kanaal) of municipalities that use
    the Inviter to the share of invitees who respond. Each cell draws from its
    own random stream, so one cell's plan does not reshuffle the others.
    """
    data = Dataset(gemeenten=dict(gemeenten))
    people = People(random.Random(f"{seed}:people"))
    invitations_for = []
    for plan in plans:
        rng = random.Random(f"{seed}:{plan.gemeentecode}:{plan.kanaal}:{plan.jaar}")
        if plan.kanaal == "digitaal":
            data.submissions.extend(build_openforms(plan, rng, people, data.pii_in_text))
            continue
        responses = build_one2ten(plan, rng, people, data.pii_in_text)
        data.responses.extend(responses)
        kanaal = plan.kanaal.capitalize()
        rate = inviter_rates.get((plan.gemeentecode, kanaal))
        if rate is not None:
            invitations_for.append((plan, kanaal, rate, responses, rng))
    for kanaal, first in FIRST_RESPONDENTNUMMER.items():
        survey = [r for r in data.responses if r.kanaal == kanaal]
        survey.sort(key=lambda r: (r.startdatum, r.gemeentecode, r.email or ""))
        for number, response in enumerate(survey, start=first):
            response.respondentnummer = number
    for plan, kanaal, rate, responses, rng in invitations_for:
        data.invitations.extend(
            build_invitations(responses, plan.gemeentecode, kanaal, plan.jaar, rate, rng, people)
        )
    data.responses.sort(key=lambda r: (r.kanaal, r.respondentnummer))
    data.submissions.sort(key=lambda s: (s.inzendingdatum, s.respondent_id))
    data.invitations.sort(key=lambda i: (i.verzonden_op, i.gemeentecode, i.kanaal, i.email))
    return data
