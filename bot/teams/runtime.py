"""What a Teams message does: who is asking, run the command, the answer's text.

Synchronous (SQLAlchemy sessions): `app.py` calls these in a worker thread
(`asyncio.to_thread`). A Teams account is the user's Entra object id
(`from.aadObjectId`): the same person in every team, chat and tenant-wide
install. The Teams display name is never stored.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.app import KetenBot
from bot.teams.cards import card, root_card, text_blocks
from handlers.accounts.linking import announce, link, link_failed, redeem
from handlers.core import Refused, Reply, error
from handlers.incoming import clean_message
from handlers.referrals.membership import parties_of
from messages import Renderer
from messages.buttons import ACTIONS
from scheduling.outage import database_lost
from storage import events
from storage.db import session_scope
from storage.models import ChatIdentity, Person, is_active
from storage.privacy import contains_bsn
from storage.tables import Referral

REF_TEXT = re.compile(r"^(KB|JT|OV|ES)-\d{1,8}$")

log = logging.getLogger("ketenbot.teams")

PLATFORM = "teams"
LINK_WORDS = ("koppel", "link")
# Answers for the asker alone (a link code, a sign-in link, one's own cases):
# in a channel or group chat everyone would read them.
PERSONAL = frozenset({"mijn", "status", "ik", "koppelcode", "overzicht"})
HINT = {
    "nl": "Vraag een koppelcode aan (`koppelcode` in een ander gekoppeld account, of via de "
          "contactbeheerder) en typ `koppel CODE` in een persoonlijke chat met ketenbot.",
    "en": "Get a link code (`linkcode` in another linked account, or from the contact list "
          "keeper) and type `koppel CODE` in a personal chat with ketenbot.",
}
DB_AWAY = {"nl": "De database is even niet bereikbaar; er is niets veranderd. Probeer het over een "
                 "ogenblik opnieuw.",
           "en": "The database is briefly unavailable; nothing was changed. Please try again in "
                 "a moment."}
FAILED = {"nl": "Er ging iets mis; er is niets veranderd. Probeer het later opnieuw.",
          "en": "Something went wrong; nothing was changed. Please try again later."}


@dataclass
class Answer:
    text: str
    linked: str | None = None  # "this account was just linked" notice, when it was


class TeamsRuntime:
    def __init__(self, bot: KetenBot) -> None:
        self.bot = bot
        self.renderer = Renderer(PLATFORM)
        # Personal chats this process knows are recorded as they are: a message
        # from one needs no read to keep it. (Unlinking deletes the row with its
        # address; the message that links again comes from someone not linked
        # yet, so `remember_address` records the chat anew.)
        self._known: dict[str, dict[str, str]] = {}

    def lang(self, actor: Person | None, locale: str | None = None) -> str:
        """The person's language; for someone not linked yet, English when their
        Teams speaks English (`locale`), else the deployment's."""
        if actor is not None:
            return actor.language or self.bot.settings.language
        return "en" if (locale or "").lower().startswith("en") else self.bot.settings.language

    def person(self, user_id: str) -> Person | None:
        return self.bot.person_by_identity(PLATFORM, user_id)

    def begin(self, seen: str | None, user_id: str,
              address: dict[str, str] | None) -> tuple[bool, Person | None]:
        """What every message needs first, in one transaction: the activity
        recorded as seen (False: it was, nothing else done), the linked person,
        and their personal chat (`address`) kept when it changed."""
        with session_scope(self.bot.engine) as session:
            if seen and not events.first_time_in(session, PLATFORM, seen, self.bot.clock()):
                return False, None
            actor = self.bot.person_by_identity(PLATFORM, user_id, session)
            if actor is not None and address is not None and self._known.get(user_id) != address:
                self._keep_address(session, user_id, address)
        if actor is not None and address is not None:
            self._known[user_id] = address
        return True, actor

    def remember_address(self, user_id: str, address: dict[str, str]) -> bool:
        """Keep where this linked account's personal chat is (the sender writes
        there first: reminders, escalations, notices). Written only when it changed;
        False when the account is not linked (nothing is kept about strangers)."""
        with session_scope(self.bot.engine) as session:
            kept = self._keep_address(session, user_id, address)
        if kept:
            self._known[user_id] = address
        return kept

    def _keep_address(self, session: Session, user_id: str, address: dict[str, str]) -> bool:
        identity = session.exec(select(ChatIdentity).where(
            ChatIdentity.platform == PLATFORM, ChatIdentity.external_id == user_id)).first()
        if identity is None:
            return False
        if identity.address != address:
            identity.address = address
            session.add(identity)
            log.info("teams personal chat recorded", extra={"person": identity.person_id})
        return True

    def refused_first(self, text: str) -> Reply | None:
        """What is refused before anything else, unlinked or not: unreadable
        text and a BSN (nothing looked up, nothing stored)."""
        try:
            text = clean_message(text)
        except Refused as refused:
            return refused.reply
        return error("bsn") if contains_bsn(text) else None

    def link_by_email(self, user_id: str, email: str) -> Person | None:
        """Link the account to the active directory person with this e-mail
        address (the Teams profile's, from the tenant's own Entra ID)."""
        person = self.bot.person_by_email(email)
        if person is None or person.id is None:
            return None
        try:
            with session_scope(self.bot.engine) as session:
                if not is_active(session, person):  # removed: no way back in by e-mail
                    log.info("teams user not linked: person %s is not active", person.id)
                    return None
                link(session, PLATFORM, user_id, person.id)
                # The person's other platforms are told; this account hears it
                # in the answer to the message that linked it.
                announce(session, person.id, PLATFORM, None, self.bot.clock(), here=False)
        except IntegrityError:  # a concurrent first message linked it already
            pass
        log.info("teams user linked by e-mail", extra={"person": person.id})
        return self.person(user_id)

    def answer(self, actor: Person | None, user_id: str, text: str, personal: bool,
               linked_now: bool = False, locale: str | None = None) -> Answer:
        """The answer to one command text, rendered for Teams."""
        try:
            reply, lang = self.dispatch(actor, user_id, text, personal, locale)
        except Exception as exc:
            return Answer(self.failed(exc, actor))
        notice = None
        if linked_now and actor is not None:
            notice = self.renderer.render_name("account_linked", {"replaced": False},
                                               self.lang(actor))
        return Answer(self.renderer.render(reply, lang), notice)

    def press(self, actor: Person | None, user_id: str, verb: str, ref_text: str,
              locale: str | None = None) -> dict[str, Any]:
        """A card button: its command (`ontvangen KB-0001`) run for the presser,
        with the same checks as typing it; the card the presser sees next (the
        referral's status as it is now, with the answer under it). Teams shows an
        `Action.Execute` response only to the one who pressed, so a status is
        answered here too; everyone else's card follows from the thread line the
        command queued (the root is updated with it)."""
        if verb not in ACTIONS or not REF_TEXT.match(ref_text):  # not a card of ours
            reply: Reply = error("unknown_command", command=verb[:20])
            lang = self.lang(actor, locale)
        else:
            try:
                reply, lang = self.dispatch(actor, user_id, f"{verb} {ref_text}", True, locale)
            except Exception as exc:
                return card(text_blocks(self.failed(exc, actor), first_bold=False), [])
        answer = self.renderer.render(reply, lang)
        with Session(self.bot.engine) as session:
            ref = session.exec(select(Referral).where(Referral.ref == ref_text)).first()
            if ref is None or actor is None or not parties_of(session, ref, actor):
                # Someone no (longer a) party sees the answer, not the case.
                return card(text_blocks(answer, first_bold=False), [])
            today = self.bot.clock().astimezone(self.bot.calendar().tz).date()
            _text, content = root_card(session, ref, self.bot.routes, self.renderer, lang,
                                       today, answer=answer)
        return content

    def dispatch(self, actor: Person | None, user_id: str, text: str,
                 personal: bool, locale: str | None = None) -> tuple[Reply, str]:
        lang = self.lang(actor, locale)
        refused = self.refused_first(text)
        if refused is not None:
            return refused, lang
        text = clean_message(text)
        word, rest = (text.split(maxsplit=1) + ["", ""])[:2]
        command = self.bot.registry.find(word) if word else None
        private = word.casefold() in LINK_WORDS or (
            command is not None and command.name in PERSONAL)
        if private and not personal:
            return error("personal_chat_only"), lang
        if word.casefold() in LINK_WORDS:
            result = redeem(self.bot.engine, PLATFORM, user_id, rest.strip(), self.bot.clock())
            if result.person is None:
                return link_failed(result.reason or "invalid"), lang
            return (Reply("linked", {"name": result.person.name,
                                     "replaced": result.replaced is not None}),
                    self.lang(result.person))
        if actor is None and word and (command is None or command.name != "help"):
            return error("not_linked", hint=HINT.get(lang, HINT["nl"])), lang
        ctx = self.bot.context(PLATFORM, actor, lang)
        return self.bot.registry.dispatch(ctx, text), lang

    def failed(self, exc: BaseException, actor: Person | None = None) -> str:
        """A failed command as a sentence: one log line, never a traceback to the user."""
        lang = self.lang(actor)
        if database_lost(exc):
            log.warning("teams command not handled: database unreachable")
            return DB_AWAY.get(lang, DB_AWAY["nl"])
        log.error("teams command failed", exc_info=exc)
        return FAILED.get(lang, FAILED["nl"])
