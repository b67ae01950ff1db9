"""The 301/315 routes of Bouwsteen 5 as data (`routes.yaml`), validated when the bot starts,
and beside them the other processes between the same parties (Bouwsteen 4's
Jeugdbeschermingstafel, the warm handover after a measure ends): steps, terms,
reminders and whom a lapse is told, in the same model.

Both the chat handlers and the sweep read it, so it lives here in scheduling/
(the lower layer), not in handlers/.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from scheduling.calendar import Term, parse_term

ROUTES_FILE = Path(__file__).with_name("routes.yaml")

Party = Literal[
    "jeugdbeschermer", "lokaal_team", "koppelgenoot", "lt_teamleider", "gi_teamleider",
    "gi_gedragswetenschapper", "regionale_contactpersoon", "backoffice", "zorgaanbieder", "ret",
    # The processes: who registered (a JT) or hands over (an OV), whom it is
    # handed to, and the tafel's people.
    "aanmelder", "ontvanger", "jbt_voorzitter", "jbt_aanspreekpersoon", "raad",
]
Action = Literal["ontvangen", "volgende", "301", "315", "acceptatie", "gestart", "gevonden",
                 "gepland", "uitkomst", "verslag", "gesprek", "afspraken"]
Kind = Literal["verwijzing", "tafel", "overdracht"]
RouteName = Literal["301", "315"]
ProcessName = Literal["jbt", "ov"]
# The referral routes' names: figures about referrals count these rows only.
REFERRAL_ROUTES: tuple[str, ...] = get_args(RouteName)
Consult = Literal["lt", "za"]  # step 1: consulted the lokaal team / a zorgaanbieder

# Steps the code knows by key: step 5 (network and/or RET) and step 6 (escalation).
ALTERNATIVE, ESCALATION = "alternatief", "escalatie"


class RoutesError(ValueError):
    """routes.yaml is broken; the message says where."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    nl: str
    en: str

    def __call__(self, lang: str) -> str:
        return self.en if lang == "en" else self.nl


def _term(value: object) -> Term:
    try:
        return parse_term(str(value))
    except ValueError as exc:
        raise ValueError(str(exc)) from None


class Tier(_Strict):
    to: list[Party]
    after: Term | None = None  # counted from the lapse; None: at the lapse
    # What the people told are asked to do, in their message (e.g. the regional
    # contact person arranges the contact and takes over no tasks).
    note: Text | None = None
    # Step 1: this tier only while that consultation is still missing (the
    # regional contact person is only about the JB–lokaal team contact).
    when_missing: Consult | None = None
    # Told that `to` was told (the JB hears the contact person was asked).
    tell: list[Party] = []
    tell_note: Text | None = None

    _after = field_validator("after", mode="before")(lambda v: None if v is None else _term(v))


class DoneBy(_Strict):
    action: Action
    who: list[Party]


class Step(_Strict):
    key: str
    number: str
    title: Text
    term: Term | None = None  # None: the step has no term of its own
    actor: Party
    done_by: DoneBy
    # Step 1: whom the JB must have consulted before the step is done (315: both).
    needs: list[Consult] = []
    next: str | None = None
    on_afwijzing: str | None = None
    afwijzing_inform: list[Party] = []  # told of an afwijzing (besides the one recording it)
    on_onjuist: str | None = None  # an incorrect 315 (JW319) goes back to this step
    inform: list[Party] = []  # told when the referral enters the step (besides the actor)
    remind: list[Party] = []
    escalate: list[Tier] = []
    # Told at once when the date a step sets lies past its term (the tafel
    # planned later than two weeks out: the gemeente's aanspreekpersoon).
    late_inform: list[Party] = []
    late_note: Text | None = None

    _term = field_validator("term", mode="before")(lambda v: None if v is None else _term(v))


class Moment(_Strict):
    """A date people set within a process (the tafel's evaluation): reminded that
    day, never escalated."""

    remind: list[Party]
    title: Text


class RetTerm(_Strict):
    """Step 5B: the RET discusses the case within its term of being put to it."""

    term: Term
    remind: list[Party] = []
    escalate: list[Tier] = []

    _term = field_validator("term", mode="before")(_term)


class Span(_Strict):
    """A term over several steps ("steps 2-4 together within 3 weeks")."""

    key: str
    from_: str
    until: str
    term: Term
    escalate: list[Tier]

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    _term = field_validator("term", mode="before")(_term)

    @model_validator(mode="before")
    @classmethod
    def _from(cls, data: dict[str, object]) -> dict[str, object]:
        if isinstance(data, dict) and "from" in data:
            data = {**data, "from_": data["from"]}
            data.pop("from")
        return data


class Route(_Strict):
    name: Text
    kind: Kind = "verwijzing"
    prefix: str = "KB"  # its references: KB-0001, JT-0002, OV-0003
    steps: list[Step]
    spans: list[Span] = []
    ret: RetTerm | None = None  # a referral route's step 5B
    moments: dict[str, Moment] = {}

    @model_validator(mode="after")
    def _links(self) -> Route:
        keys = [s.key for s in self.steps]
        if len(set(keys)) != len(keys):
            raise ValueError(f"step keys must be unique: {keys}")
        if self.kind == "verwijzing":
            for needed in (ALTERNATIVE, ESCALATION):
                if needed not in keys:
                    raise ValueError(f"the route needs a step with key {needed!r}")
            if self.ret is None:
                raise ValueError("a referral route needs its RET term (`ret`)")
        for s in self.steps:
            for link in (s.next, s.on_afwijzing, s.on_onjuist):
                if link is not None and link not in keys:
                    raise ValueError(f"step {s.key!r} points at unknown step {link!r}")
        for sp in self.spans:
            for link in (sp.from_, sp.until):
                if link not in keys:
                    raise ValueError(f"span {sp.key!r} points at unknown step {link!r}")
        return self

    def step(self, key: str) -> Step:
        return next(s for s in self.steps if s.key == key)

    def after(self, step: Step) -> Step | None:
        """The step that follows when `step` is done."""
        if step.next:
            return self.step(step.next)
        i = self.steps.index(step)
        following = self.steps[i + 1] if i + 1 < len(self.steps) else None
        # Steps 5 and 6 are only entered by afwijzing or escalation, never by
        # running off the end of the happy path.
        if (self.kind == "verwijzing" and following is not None
                and following.key in (ALTERNATIVE, ESCALATION)):
            return None
        return following


class Routes(_Strict):
    routes: dict[RouteName, Route]
    # The other processes, by the name their rows carry (`Referral.route`).
    processes: dict[ProcessName, Route] = {}

    @model_validator(mode="after")
    def _kinds(self) -> Routes:
        for name, r in self.routes.items():
            if r.kind != "verwijzing" or r.prefix != "KB":
                raise ValueError(f"route {name!r}: a referral route (kind verwijzing, prefix KB)")
        prefixes = ["KB", *(p.prefix for p in self.processes.values())]
        if len(set(prefixes)) != len(prefixes):
            raise ValueError(f"every process needs a prefix of its own: {prefixes}")
        for pname, p in self.processes.items():
            if p.kind == "verwijzing":
                raise ValueError(f"process {pname!r}: kind tafel or overdracht")
        return self

    def route(self, name: str) -> Route:
        if name in self.processes:
            return self.processes[name]  # type: ignore[index]
        return self.routes[name]  # type: ignore[index]

    def process(self, kind: Kind) -> tuple[str, Route]:
        """The process of this kind: its name and its definition."""
        return next((n, p) for n, p in self.processes.items() if p.kind == kind)

    def by_prefix(self, prefix: str) -> list[str]:
        """The route names whose references start with `prefix` ("KB" -> 301, 315)."""
        every: list[tuple[str, Route]] = [*self.routes.items(), *self.processes.items()]
        return [n for n, r in every if r.prefix == prefix.upper()]


def load_routes(path: Path = ROUTES_FILE) -> Routes:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            # Top-level keys starting with "_" only hold YAML anchors shared by both routes.
            data = {k: v for k, v in data.items() if not str(k).startswith("_")}
            if "processes" not in data and path != ROUTES_FILE:
                # A region's copy from before the tafel and the handover: it
                # keeps its routes and gets the shipped processes.
                data["processes"] = yaml.safe_load(
                    ROUTES_FILE.read_text(encoding="utf-8"))["processes"]
        return Routes.model_validate(data)
    except FileNotFoundError:
        raise RoutesError(f"{path}: bestand bestaat niet") from None
    except yaml.YAMLError as exc:
        raise RoutesError(f"{path}: geen geldige YAML: {exc}") from None
    except ValidationError as exc:
        lines = [
            f"  {'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        ]
        raise RoutesError(f"{path}: {len(lines)} fout(en):\n" + "\n".join(lines)) from None


@cache
def default_routes() -> Routes:
    return load_routes()
