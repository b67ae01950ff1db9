"""Who may give which role (issue 17, item 4): every role x every role it tries
to give, in chat (`teamlid`), on the web (the contacts form) and by import.

Before, a team leader's `teamlid` and the contacts form accepted any role, so
a team leader could create a regionale contactpersoon or a directeur (who,
linked by e-mail, saw referrals beyond the leader's own view). The expected
table is written out here on its own, not read from handlers/contacts/grants.py,
so a change to that table has to change this test too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import Session, select
from starlette.applications import Starlette

from bot.app import KetenBot
from storage.db import session_scope
from storage.models import Person, Role, Team
from tests.conftest import import_file
from tests.test_web_contacts import bot, post, signed_in, web  # noqa: F401  (fixtures)

ROLES = [r.value for r in Role]
TEAM = "lt-ede"  # Sociaal Team Ede, Food Valley
BEHEERDER = "rcp@fv.example.org"  # contactbeheerder of Food Valley (tests/test_web_contacts.py)
OTHER_BEHEERDER = "rcp@ah.example.org"  # contactbeheerder of the Achterhoek
# What each kind of actor may give a new person in lt-ede.
TEAM_LEVEL = {"medewerker", "gedragswetenschapper", "backoffice"}
EXPECTED: dict[str, set[str]] = {role: set() for role in ROLES}
EXPECTED["teamleider"] = TEAM_LEVEL  # the team's own leader
EXPECTED[BEHEERDER] = set(ROLES)
EXPECTED[OTHER_BEHEERDER] = set()
EXPECTED["teamleider elders"] = set()  # a team leader of another team


def _actor_email(actor: str) -> str:
    return actor if "@" in actor else f"{actor.replace(' ', '-')}@actor.example.org"


def _add_actors(kb: KetenBot) -> None:
    """One person per role in lt-ede (none of them a contactbeheerder), and a
    team leader of Sociaal Team Barneveld."""
    with session_scope(kb.engine) as s:
        teams = {t.key: t.id for t in s.exec(select(Team))}
        for role in ROLES:
            s.add(Person(email=_actor_email(role), name=f"Actor {role}", role=role,
                         team_id=teams[TEAM] or 0))
        s.add(Person(email=_actor_email("teamleider elders"), name="Actor elders",
                     role="teamleider", team_id=teams["lt-barneveld"] or 0))


def _role_of(kb: KetenBot, email: str) -> str | None:
    with Session(kb.engine) as s:
        person = s.exec(select(Person).where(Person.email == email)).first()
        return person.role if person else None


def _new_email(actor: str, role: str, via: str) -> str:
    who = re.sub(r"[^a-z]+", "-", _actor_email(actor).split(".example.org")[0])
    return f"{via}-{who}-{role.replace('_', '-')}@ede.example.org"


def test_every_role_gives_only_what_the_table_allows_in_chat(bot: KetenBot) -> None:  # noqa: F811
    _add_actors(bot)
    for actor, allowed in EXPECTED.items():
        person = bot.person_by_email(_actor_email(actor))
        assert person is not None, actor
        for role in ROLES:
            email = _new_email(actor, role, "chat")
            reply = bot.registry.dispatch(bot.context("console", person),
                                          f"teamlid {TEAM} {email} {role} Nieuwe Collega")
            if role in allowed:
                assert reply.template == "contact_done", (actor, role, reply.data)
                assert _role_of(bot, email) == role
            else:
                assert reply.template == "contact_error", (actor, role, reply.data)
                expected_code = ("role_not_yours" if actor == "teamleider"
                                 else "not_your_team")
                assert reply.data["code"] == expected_code, (actor, role, reply.data)
                assert _role_of(bot, email) is None, (actor, role)


@pytest.mark.parametrize("lang, words", [
    ("nl", ["De rol regionale contactpersoon kunt u in Sociaal Team Ede niet geven",
            "u geeft: medewerker, gedragswetenschapper, backoffice", "Rianne Claes",
            "Er is niets veranderd."]),
    ("en", ["You cannot give the role regional contact person in Sociaal Team Ede",
            "Rianne Claes", "Nothing was changed."]),
])
def test_a_refused_role_says_who_gives_it(bot: KetenBot, lang: str, words: list[str]) -> None:  # noqa: F811
    from messages import Renderer

    leader = bot.person_by_email("tl@ede.example.org")
    reply = bot.registry.dispatch(bot.context("console", leader, lang),
                                  f"teamlid {TEAM} x@ede.example.org regionale_contactpersoon X")
    text = Renderer("text").render(reply, lang)
    for word in words:
        assert word in text


async def test_every_role_gives_only_what_the_table_allows_on_the_web(
        web: Starlette, bot: KetenBot) -> None:  # noqa: F811
    _add_actors(bot)
    on_page = set()
    for actor, allowed in EXPECTED.items():
        email = _actor_email(actor)
        person = bot.person_by_email(email)
        link = bot.registry.dispatch(bot.context("console", person), "overzicht")
        if link.template != "overview_link":
            # No web session at all (no view of referrals, no contactbeheer): the
            # form is out of reach, and the chat test covers their command.
            assert not allowed, actor
            continue
        async with signed_in(web, bot, email) as c:
            page = await c.get("/overzicht/contacten")
            if page.status_code == 200:
                on_page.add(actor)
                select_html = re.search(r'<select name="rol".*?</select>', page.text, re.S)
                offered = set(re.findall(r'<option value="(\w+)"',
                                         select_html.group(0) if select_html else ""))
                # The form offers what this actor gives somewhere (a team leader: their team).
                assert allowed <= offered and (actor != "teamleider" or offered == allowed)
            else:
                assert page.status_code == 403 and not allowed, actor
            for role in ROLES:
                new = _new_email(actor, role, "web")
                form = {"team": TEAM, "email": new, "rol": role, "naam": "Nieuwe Collega"}
                r = (await post(c, "toevoegen", **form) if page.status_code == 200 else
                     # No page, so no form token: the page refuses before it reads one.
                     await c.post("/overzicht/contacten/toevoegen", data={"csrf": "x"} | form))
                if role in allowed:
                    assert r.status_code == 200, (actor, role, r.text)
                    assert _role_of(bot, new) == role
                else:
                    assert r.status_code == 403, (actor, role, r.status_code)
                    assert _role_of(bot, new) is None, (actor, role)
    # The form was really tried by those who have it.
    assert {"teamleider", "teamleider elders", BEHEERDER, OTHER_BEHEERDER} <= on_page


def test_the_directory_import_gives_every_role(bot: KetenBot, tmp_path: Path) -> None:  # noqa: F811
    people = "\n".join(
        f"          - {{email: import-{r.replace('_', '-')}@ede.example.org, "
        f"name: Import {r}, role: {r}}}" for r in ROLES)
    path = tmp_path / "roles.yaml"
    path.write_text(f"""organisations:
  - key: lt-ede
    name: Sociaal Team Ede
    kind: lokaal_team
    region: food-valley
    teams:
      - key: lt-ede
        name: Sociaal Team Ede
        serves: [GM0228]
        people:
{people}
""", encoding="utf-8")
    import_file(bot.engine, path)
    for role in ROLES:
        assert _role_of(bot, f"import-{role.replace('_', '-')}@ede.example.org") == role
