"""The 301/315 routes as data (`routes.yaml`), validated when the bot starts."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from scheduling.calendar import Term, parse_term

ROUTES_FILE = Path(__file__).with_name("routes.yaml")

Party = Literal[
    "jeugdbeschermer", "lokaal_team", "koppelgenoot", "lt_teamleider", "gi_teamleider",
    "gi_gedragswetenschapper", "regionale_contactpersoon", "backoffice", "zorgaanbieder", "ret",
]
Action = Literal["ontvangen", "volgende", "301", "315", "gestart"]


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
    bestuurlijk: bool = False

    _after = field_validator("after", mode="before")(lambda v: None if v is None else _term(v))


class DoneBy(_Strict):
    action: Action
    who: list[Party]


class Step(_Strict):
    key: str
    number: str
    title: Text
    term: Term
    actor: Party
    done_by: DoneBy
    next: str | None = None
    on_afwijzing: str | None = None
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
    steps: list[Step]
    spans: list[Span] = []

    @model_validator(mode="after")
    def _links(self) -> Route:
        keys = [s.key for s in self.steps]
        if len(set(keys)) != len(keys):
            raise ValueError(f"step keys must be unique: {keys}")
        for s in self.steps:
            for link in (s.next, s.on_afwijzing):
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
        if following is not None and following.key in ("alternatief", "escalatie"):
            return None
        return following


class ModelTier(_Strict):
    name: Text
    to: list[Party]
    term: Term

    _term = field_validator("term", mode="before")(_term)


class EscalationModel(_Strict):
    tiers: list[ModelTier]
    start_tier: dict[Literal["dilemma", "samenwerking", "zorgelijk"], int]


class Routes(_Strict):
    routes: dict[Literal["301", "315"], Route]
    escalation_model: EscalationModel

    def route(self, name: str) -> Route:
        return self.routes[name]  # type: ignore[index]


def load_routes(path: Path = ROUTES_FILE) -> Routes:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
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
