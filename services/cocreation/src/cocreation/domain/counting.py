"""The three counting methods of a prioritisation: Borda, approval and dot voting.

Pure functions of the candidates and the ballots: the result does not depend on the
order ballots arrived in, and equal scores are broken by the documented ``TIE_BREAK``,
which every ``prioritisation.opened`` and ``prioritisation.made`` event carries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cocreation.domain.checks import duplicates
from cocreation.domain.errors import InvalidBallot
from cocreation.domain.vocabulary import PrioritisationMethod


@dataclass(frozen=True)
class Ballot:
    """One participant's vote. Exactly one of the three fields is used, by method:
    ``ranking`` (Borda: every candidate, best first), ``approvals`` (approval:
    the candidates approved), ``dots`` (dot voting: candidate -> dots placed)."""

    ranking: tuple[str, ...] = ()
    approvals: tuple[str, ...] = ()
    dots: Mapping[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The ballot as ``ballot_cast`` events store it."""
        return {"ranking": list(self.ranking), "approvals": list(self.approvals), "dots": dict(self.dots)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Ballot:
        return cls(
            ranking=tuple(data.get("ranking") or ()),
            approvals=tuple(data.get("approvals") or ()),
            dots={str(k): int(v) for k, v in (data.get("dots") or {}).items()},
        )


@dataclass(frozen=True)
class Ranked:
    """A candidate's place in a result: rank (1 first), score, and support (what breaks equal scores)."""

    need_id: str
    rank: int
    score: int
    support: int

    def as_dict(self) -> dict[str, Any]:
        """The entry as ``prioritisation_made`` events store it."""
        return {"need_id": self.need_id, "rank": self.rank, "score": self.score, "support": self.support}


TIE_BREAK = (
    "Highest score first. Equal scores: more support first (Borda: first places; dot: participants "
    "placing a dot; approval: approvals). Still equal: the order the candidates were listed in when "
    "the prioritisation was opened, fixed before any ballot."
)
"""The documented tie-break; ``count`` implements it and the events carry it."""


def check_ballot(
    method: PrioritisationMethod, candidates: Sequence[str], ballot: Ballot, dots_per_participant: int | None
) -> None:
    """A ballot fits its method: a complete ranking, approvals, or at most N dots (rule ``ballot.valid``)."""
    if method is PrioritisationMethod.BORDA:
        _check_ranking(candidates, ballot)
    elif method is PrioritisationMethod.APPROVAL:
        _check_approvals(candidates, ballot)
    else:
        _check_dots(candidates, ballot, dots_per_participant or 0)


def _refuse(message: str) -> InvalidBallot:
    return InvalidBallot("ballot.valid", message)


def _check_ranking(candidates: Sequence[str], ballot: Ballot) -> None:
    if ballot.approvals or ballot.dots:
        raise _refuse("a Borda ballot carries only a ranking")
    twice = duplicates(ballot.ranking)
    if twice:
        raise _refuse("a candidate is ranked twice: " + ", ".join(twice))
    allowed = set(candidates)
    if set(ballot.ranking) != allowed:
        unknown = sorted(set(ballot.ranking) - allowed)
        missing = sorted(allowed - set(ballot.ranking))
        raise _refuse(
            "a Borda ranking lists every candidate once"
            + (f"; not candidates: {', '.join(unknown)}" if unknown else "")
            + (f"; missing: {', '.join(missing)}" if missing else "")
        )


def _check_approvals(candidates: Sequence[str], ballot: Ballot) -> None:
    if ballot.ranking or ballot.dots:
        raise _refuse("an approval ballot carries only approvals")
    if not ballot.approvals:
        raise _refuse("approve at least one candidate")
    if duplicates(ballot.approvals):
        raise _refuse("a candidate is approved twice")
    unknown = sorted(set(ballot.approvals) - set(candidates))
    if unknown:
        raise _refuse("not candidates: " + ", ".join(unknown))


def _check_dots(candidates: Sequence[str], ballot: Ballot, dots_per_participant: int) -> None:
    if ballot.ranking or ballot.approvals:
        raise _refuse("a dot-voting ballot carries only dots")
    unknown = sorted(set(ballot.dots) - set(candidates))
    if unknown:
        raise _refuse("not candidates: " + ", ".join(unknown))
    if any(v < 0 for v in ballot.dots.values()):
        raise _refuse("dots cannot be negative")
    total = sum(ballot.dots.values())
    if total < 1 or total > dots_per_participant:
        raise _refuse(f"place between 1 and {dots_per_participant} dots (placed {total})")


def count(method: PrioritisationMethod, candidates: Sequence[str], ballots: Iterable[Ballot]) -> list[Ranked]:
    """Count ballots into a ranked result; see ``TIE_BREAK`` for equal scores.

    Borda: with n candidates, a ballot gives n-1 points to its first, n-2 to its
    second, ... 0 to its last. Approval: one point per approval. Dots: the dots.
    """
    n = len(candidates)
    score = dict.fromkeys(candidates, 0)
    support = dict.fromkeys(candidates, 0)
    for ballot in ballots:
        if method is PrioritisationMethod.BORDA:
            for position, c in enumerate(ballot.ranking):
                score[c] += n - 1 - position
            if ballot.ranking:
                support[ballot.ranking[0]] += 1
        elif method is PrioritisationMethod.APPROVAL:
            for c in ballot.approvals:
                score[c] += 1
                support[c] += 1
        else:
            for c, dots in ballot.dots.items():
                score[c] += dots
                if dots > 0:
                    support[c] += 1
    order = {c: i for i, c in enumerate(candidates)}
    ranked = sorted(candidates, key=lambda c: (-score[c], -support[c], order[c]))
    return [Ranked(need_id=c, rank=i + 1, score=score[c], support=support[c]) for i, c in enumerate(ranked)]
