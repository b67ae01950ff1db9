"""What the Slack listeners do: who is asking, run the command, answer privately.

Handlers are synchronous (SQLAlchemy sessions), so every database step runs
in a worker thread (`asyncio.to_thread`) and the event loop stays free for
other requests. Who a Slack user is (user id -> person) is remembered for a
minute, with the directory version it was read at: a command from a known user
costs one thread hop and a read of that one-row counter, no identity query.
Whatever changes a person or a link (`verwijder`, a role change, an import,
`ontkoppel`, `ketenbot unlink`, in any process) moves the version, so the next
command looks the user up afresh: removal and role changes take effect at once.
Referral changes make no Slack Web API call here: the handlers queue thread
lines and notices in the outbox, and `SlackSender` posts them.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import logging
import threading
import time
from collections.abc import Coroutine
from functools import partial
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.app import KetenBot
from bot.slack.blocks import root_message
from bot.slack.contact_blocks import answer as contact_answer
from handlers.accounts.linking import announce, link, link_failed, redeem
from handlers.contacts.directory_cache import current_version
from handlers.core import Refused, Reply, error
from handlers.incoming import clean_message
from handlers.threads import remember_root, root_digest
from messages import Renderer
from scheduling.outage import database_lost
from storage import events
from storage.db import session_scope
from storage.models import Person, is_active
from storage.privacy import contains_bsn
from storage.tables import Referral, ReferralThread

log = logging.getLogger("ketenbot.slack")

PLATFORM = "slack"
LINK_WORDS = ("koppel", "link")
# Commands whose answer is a credential: a replayed signed request gets none.
CREDENTIALS = ("overzicht", "koppelcode")
HINT = {
    "nl": "Vraag een koppelcode aan (`koppelcode` in een ander gekoppeld account, of via de "
          "contactbeheerder) en typ `/keten koppel CODE`.",
    "en": "Get a link code (`linkcode` in another linked account, or from the contact list "
          "keeper) and type `/keten koppel CODE`.",
}
PERSON_TTL = 60.0  # seconds a Slack user id -> person answer is reused
PERSON_CACHE_MAX = 10_000  # users remembered at most; beyond it, start afresh
DB_AWAY = {"nl": "De database is even niet bereikbaar; er is niets veranderd. Probeer het over een "
              "ogenblik opnieuw.",
        "en": "The database is briefly unavailable; nothing was changed. Please try again in a "
              "moment."}
FAILED = {"nl": "Er ging iets mis; er is niets veranderd. Probeer het later opnieuw.",
          "en": "Something went wrong; nothing was changed. Please try again later."}


class SlackRuntime:
    def __init__(self, bot: KetenBot) -> None:
        self.bot = bot
        self.renderer = Renderer("slack")
        self.tasks: set[asyncio.Task[Any]] = set()
        # user id -> (expires at, monotonic clock; the linked person, detached;
        # the directory version it was read at)
        self._people: dict[str, tuple[float, Person, int]] = {}
        self._people_lock = threading.Lock()
        self._people_gen = 0  # bumped by forget(): a lookup under way may not store

    # -- background work, after the HTTP acknowledgement ---------------------

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("slack background task failed", exc_info=task.exception())

    async def idle(self) -> None:
        """Wait until every background task has finished (shutdown, tests)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    # -- who is asking --------------------------------------------------------

    def lang(self, actor: Person | None) -> str:
        return (actor.language if actor and actor.language else None) or self.bot.settings.language

    def cached_person(self, user_id: str) -> Person | None:
        """The remembered linked person, if not expired; no database (event loop
        safe), so the directory may have changed since: only a hint of which
        path to take, or for `help`. Acting as someone goes through `person`."""
        hit = self._people.get(user_id)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        return None

    def person(self, user_id: str) -> Person | None:
        """The linked person as the directory has it now (worker thread: reads
        the directory version, and looks the user up when it moved)."""
        version = current_version(self.bot.engine)
        hit = self._people.get(user_id)
        if hit is not None and hit[0] > time.monotonic() and hit[2] == version:
            return hit[1]
        gen = self._people_gen
        # Read after the version: a change in between leaves an entry that is
        # older than the version, looked up again next time.
        person = self.bot.person_by_identity(PLATFORM, user_id)
        with self._people_lock:
            if person is None:
                self._people.pop(user_id, None)
            elif gen == self._people_gen:  # no link changed while we looked
                if len(self._people) >= PERSON_CACHE_MAX:
                    self._people.clear()
                self._people[user_id] = (time.monotonic() + PERSON_TTL, person, version)
        return person

    def forget(self, user_id: str) -> None:
        """The user's link changed: look it up afresh next time."""
        with self._people_lock:
            self._people_gen += 1
            self._people.pop(user_id, None)

    async def actor(self, client: AsyncWebClient, user_id: str) -> Person | None:
        """The linked person; on first contact, the directory person with the
        e-mail address of the Slack profile (users.info, scope users:read.email)."""
        person = await asyncio.to_thread(self.person, user_id)
        if person is not None:
            return person
        try:
            info = await client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("slack users.info failed", extra={"error": exc.response.get("error")})
            return None
        profile = (info.get("user") or {}).get("profile") or {}
        email = profile.get("email")
        if not email or (info.get("user") or {}).get("is_bot"):
            return None
        return await asyncio.to_thread(self._link_by_email, user_id, str(email))

    def _link_by_email(self, user_id: str, email: str) -> Person | None:
        person = self.bot.person_by_email(email)
        if person is None or person.id is None:
            return None
        now = self.bot.clock()
        try:
            with session_scope(self.bot.engine) as session:
                if not is_active(session, person):  # removed: no way back in by e-mail
                    log.info("slack user not linked: person %s is not active", person.id)
                    return None
                before = link(session, PLATFORM, user_id, person.id)
                if before != user_id:
                    # Told on their other platforms and by DM here: a workspace
                    # admin can give anyone's e-mail address to an account.
                    announce(session, person.id, PLATFORM, before, now, here=True)
        except IntegrityError:  # a concurrent first command linked it already
            pass
        finally:
            self.forget(user_id)
        log.info("slack user linked by e-mail", extra={"person": person.id})
        return self.person(user_id)

    # -- commands -------------------------------------------------------------

    def dispatch(self, actor: Person | None, user_id: str, text: str,
                 signature: str | None = None) -> tuple[Reply, str]:
        """Run one command text; the reply and the language to render it in.
        `signature`: the slash command request's, so a replay is recognised."""
        lang = self.lang(actor)
        try:  # the same normalisation as the registry's, before linking sees it
            text = clean_message(text)
        except Refused as refused:
            return refused.reply, lang
        if contains_bsn(text):
            return error("bsn"), lang
        word, rest = (text.split(maxsplit=1) + ["", ""])[:2]
        if word.casefold() in LINK_WORDS:
            try:
                # The answer is ephemeral: the new account also gets a DM saying so.
                result = redeem(self.bot.engine, PLATFORM, user_id, rest.strip(),
                                self.bot.clock(), announce_here=True)
            finally:
                self.forget(user_id)
            if result.person is None:
                return link_failed(result.reason or "invalid"), lang
            return (Reply("linked", {"name": result.person.name,
                                     "replaced": result.replaced is not None}),
                    self.lang(result.person))
        command = self.bot.registry.find(word) if word else None
        if actor is None and word and (command is None or command.name != "help"):
            return error("not_linked", hint=HINT.get(lang, HINT["nl"])), lang
        if (command is not None and command.name in CREDENTIALS and signature is not None
                and not events.first_time(self.bot.engine, "slack-request",
                                          hashlib.sha256(signature.encode()).hexdigest(),
                                          self.bot.clock())):
            # The same signed request again (a replay within Slack's five minutes):
            # no second credential.
            log.warning("slack: replayed %s request refused", command.name)
            return error("already_answered"), lang
        ctx = self.bot.context(PLATFORM, actor, lang)
        try:
            return self.bot.registry.dispatch(ctx, text), lang
        finally:
            if command is not None and command.name == "ontkoppel":
                self.forget(user_id)

    def _dispatch_text(self, actor: Person | None, user_id: str, text: str,
                       signature: str | None = None) -> str:
        reply, lang = self.dispatch(actor, user_id, text, signature)
        # `ik` answers carry their buttons along (contact_blocks.Answer).
        return contact_answer(self.renderer.render(reply, lang), reply.template, reply.data,
                              lang)

    def _if_linked(self, user_id: str, text: str, signature: str | None = None) -> str | None:
        """The answer for a linked user, or None: one thread hop for the usual case."""
        person = self.person(user_id)
        return None if person is None else self._dispatch_text(person, user_id, text, signature)

    def _is_help(self, text: str) -> bool:
        """`help` (or nothing): static text from the command table, no database."""
        word = text.strip().partition(" ")[0]
        if not word:
            return True
        command = self.bot.registry.find(word)
        return command is not None and command.handler == self.bot.registry.help

    def quick_answer(self, user_id: str, text: str) -> str | None:
        """The answer without leaving the event loop, when it needs no database:
        `help` from a user whose link is remembered. None: use run_text."""
        known = self.cached_person(user_id)
        if known is None or not self._is_help(text):
            return None
        return self._answer_known(known, user_id, text)

    def start_text(self, client: AsyncWebClient, user_id: str, text: str,
                   signature: str | None = None) -> asyncio.Future[str]:
        """The answer to a command text, under way. From a remembered user it is
        one call in a worker thread (no task around it); else `run_text`, and
        also when the remembered user turns out no longer linked."""
        if self.cached_person(user_id) is None:
            return self.spawn(self.run_text(client, user_id, text, signature))
        loop = asyncio.get_running_loop()
        call = partial(contextvars.copy_context().run, self._answer_linked, user_id, text,
                       signature)
        work = loop.run_in_executor(None, call)
        answer: asyncio.Future[str] = loop.create_future()

        def settle(done: asyncio.Future[Any]) -> None:
            if answer.done():
                return
            if done.cancelled():
                answer.cancel()
            elif done.exception() is not None:
                answer.set_exception(done.exception())  # type: ignore[arg-type]
            elif done.result() is not None:
                answer.set_result(done.result())
            else:  # removed or unlinked since: the first-contact way (users.info)
                self.spawn(self.run_text(client, user_id, text, signature)
                           ).add_done_callback(settle)

        work.add_done_callback(settle)
        return answer

    def _answer_linked(self, user_id: str, text: str, signature: str | None = None
                       ) -> str | None:
        """`_if_linked`, with a failure answered (the executor's future never raises)."""
        try:
            return self._if_linked(user_id, text, signature)
        except Exception as exc:
            return self.failed(exc, self.cached_person(user_id))

    def _answer_known(self, actor: Person, user_id: str, text: str,
                      signature: str | None = None) -> str:
        try:
            return self._dispatch_text(actor, user_id, text, signature)
        except Exception as exc:
            return self.failed(exc, actor)

    def failed(self, exc: BaseException, actor: Person | None = None) -> str:
        """What the user reads when a command failed: "try again in a moment" while
        the database is away (one log line, no traceback), else a plain sorry."""
        lang = self.lang(actor)
        if database_lost(exc):
            log.warning("slack command not handled: database unreachable")
            return DB_AWAY.get(lang, DB_AWAY["nl"])
        log.error("slack command failed", exc_info=exc)
        return FAILED.get(lang, FAILED["nl"])

    async def run_text(self, client: AsyncWebClient, user_id: str, text: str,
                       signature: str | None = None) -> str:
        actor: Person | None = None
        try:
            answer = await asyncio.to_thread(self._if_linked, user_id, text, signature)
            if answer is not None:
                return answer
            actor = await self.actor(client, user_id)  # first contact: users.info
            return await asyncio.to_thread(self._dispatch_text, actor, user_id, text, signature)
        except Exception as exc:
            return self.failed(exc, actor)

    # -- buttons --------------------------------------------------------------

    async def press(self, client: AsyncWebClient, user_id: str, word: str, ref: str,
                    message_ts: str | None) -> dict[str, Any]:
        """Run a button's command; what to send to the response_url."""
        actor = await self.actor(client, user_id)
        reply, lang = await asyncio.to_thread(self.dispatch, actor, user_id, f"{word} {ref}")
        text = self.renderer.render(reply, lang)
        if not reply.ok or word == "status":  # private: the presser alone sees it
            return {"response_type": "ephemeral", "replace_original": False, "text": text}
        root = await asyncio.to_thread(self._root_if, ref, message_ts)
        if root is not None:  # the thread's root message: show the new state to everyone
            root_text, blocks = root
            return {"replace_original": True, "text": root_text, "blocks": blocks}
        # A reminder or notice in a DM: replace its buttons by what was done.
        return {"replace_original": True, "text": text}

    def _root_if(self, ref_text: str, message_ts: str | None) -> tuple[str, list[Any]] | None:
        with Session(self.bot.engine) as session:
            ref = session.exec(select(Referral).where(Referral.ref == ref_text)).first()
            if ref is None or message_ts is None:
                return None
            thread = session.exec(select(ReferralThread).where(
                ReferralThread.referral_id == ref.id, ReferralThread.platform == PLATFORM)).first()
            if thread is None or thread.root_id != message_ts:
                return None
            today = self.bot.clock().astimezone(self.bot.calendar().tz).date()
            root = root_message(session, ref, self.bot.routes, self.renderer,
                                self.bot.settings.language, today)
        # The press replaces the root with this: the thread line the press
        # queued then finds it current and makes no second edit.
        with session_scope(self.bot.engine) as session:
            remember_root(session, thread.referral_id, PLATFORM, root_digest(*root))
        return root

    # -- events ---------------------------------------------------------------

    def first_time(self, event_id: str) -> bool:
        """Record the event; False when it was seen before (a retry or a replay)."""
        return events.first_time(self.bot.engine, PLATFORM, event_id, self.bot.clock())

    async def direct_message(self, client: AsyncWebClient, event_id: str, user_id: str,
                             channel: str, text: str, retry: str | None) -> None:
        if not await asyncio.to_thread(self.first_time, event_id):
            log.info("slack event seen before, skipped", extra={"event": event_id, "retry": retry})
            return
        answer = await self.run_text(client, user_id, text)
        await client.chat_postMessage(channel=channel, text=answer,
                                      blocks=getattr(answer, "blocks", None))

    async def press_entry(self, client: AsyncWebClient, user_id: str,
                          command: str) -> dict[str, Any]:
        """A button under `ik`: run its command for the presser; the response."""
        text = await self.run_text(client, user_id, command)
        blocks = getattr(text, "blocks", None)
        if blocks:  # a fresh view of the entry replaces the old one
            return {"replace_original": True, "text": str(text), "blocks": blocks}
        return {"response_type": "ephemeral", "replace_original": False, "text": str(text)}
