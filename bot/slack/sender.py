"""The outbox's Slack side: direct messages and referral threads.

A message to a person is a DM (conversations.open, chat.postMessage). A thread
line goes under the referral's root message in its team channel; the first
line posts that root message (the referral's status with buttons) and
remembers it (ReferralThread), and every line edits the root to the current
status, unless the root shows that already (its digest is kept; a new root,
or a button press that replaced it, needs no edit). When the root was just
posted for a step line that says nothing the root does not, the line is left
out.

Rate limits pause that Web API method in the workspace for Retry-After, in
the fleet's gate (`scheduling.delivery.ratelimit`, in the database: no process
calls it inside the window), and every chat.postMessage first takes its
channel's slot there (Slack's published 1 per second per channel), or is
deferred to the slot's end without a call. Server and network
errors become `TemporaryFailure` (the dispatcher backs off); errors that no
retry can fix (channel gone, bot not in it, account deactivated) become
`PermanentFailure`. The thread line and the root update are recorded as
separate parts, so a retry after the update failed does not post the line again.

slack_sdk's own retry handlers are not used: they sleep in the calling thread
(a 429 could hold a dispatcher, and shutdown, for a minute) and would repost a
message whose answer was lost on a reset connection.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date, datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlmodel import Session, select

from bot.app import KetenBot
from bot.slack.blocks import (
    actions_block,
    buttons_for,
    escalation_blocks,
    root_message,
    section,
)
from bot.slack.contact_blocks import entry_blocks
from handlers.contacts.selfservice import FRESHNESS_BUTTONS
from handlers.threads import (
    remember_root,
    root_digest,
    said_by_root,
    thread_or_home,
)
from messages import Renderer
from messages.buttons import DM_BUTTONS
from scheduling.delivery.contract import Deferred, Outgoing, PermanentFailure, TemporaryFailure
from scheduling.delivery.ratelimit import SLACK_CHANNEL, Key, Limit, RateGate
from storage.db import session_scope
from storage.models import ChatIdentity
from storage.tables import Referral, ReferralThread

log = logging.getLogger("ketenbot.slack.sender")

# Errors no retry can fix: the recipient or the channel is out of reach.
PERMANENT = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "account_inactive", "user_not_found",
    "user_disabled", "cannot_dm_bot", "user_is_bot", "messages_tab_disabled", "is_inactive",
    "restricted_action", "team_access_not_granted", "thread_not_found",
})
# chat.update of a root that was deleted or may no longer be edited: the line is there.
ROOT_GONE = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})
HTTP_TIMEOUT = 5  # seconds: a hung call must not hold shutdown up


class SlackSender:
    platform = "slack"

    def __init__(self, bot: KetenBot, client: WebClient | None = None,
                 gate: RateGate | None = None) -> None:
        self.bot = bot
        settings = bot.settings
        # No built-in retries: the dispatcher owns retrying (and the order).
        self.client = client or WebClient(token=settings.reveal("slack_bot_token"),
                                          base_url=settings.slack_api_url,
                                          timeout=HTTP_TIMEOUT, retry_handlers=[])
        self.renderer = Renderer("slack")
        self.gate = gate or RateGate(bot.engine)
        # One token is one workspace: its pauses are keyed by the token's digest.
        token = (settings.reveal("slack_bot_token") or "").encode()
        self.account = hashlib.sha256(token).hexdigest()[:12]

    def _key(self, api: str) -> Key:
        # Slack limits each Web API method per workspace on its own tier
        # (chat.postMessage, chat.update and conversations.open differ), and a
        # 429's Retry-After is that method's: only that method waits.
        return Key(self.platform, self.account, api)

    def _slots(self, api: str, kwargs: dict[str, Any]) -> list[tuple[Key, Limit]]:
        if api == "chat.postMessage" and kwargs.get("channel"):
            return [(Key(self.platform, self.account, f"channel:{kwargs['channel']}"),
                     SLACK_CHANNEL)]
        return []

    def paused_until(self, now: datetime) -> datetime | None:
        """Every delivery posts a message: while chat.postMessage waits, the
        dispatcher defers them all without a call (and without an attempt)."""
        return self.gate.until(self._key("chat.postMessage"), now)

    def deliver(self, message: Outgoing) -> None:
        if message.person is not None:
            self._direct(message)
        elif message.referral_id is not None:
            self._thread_line(message)

    # -- a person -------------------------------------------------------------

    def _direct(self, message: Outgoing) -> None:
        person = message.person
        assert person is not None
        lang = person.language or self.bot.settings.language
        text = self.renderer.render_name(message.template, message.payload, lang)
        with Session(self.bot.engine) as session:
            user = session.exec(select(ChatIdentity.external_id).where(
                ChatIdentity.person_id == person.id,
                ChatIdentity.platform == self.platform)).first()
            ref = session.get(Referral, message.referral_id) if message.referral_id else None
            only = DM_BUTTONS.get(message.kind)
            buttons = buttons_for(ref, self.bot.routes, lang, only) if ref and only else []
        if user is None:  # unlinked meanwhile: try again later
            raise TemporaryFailure(None, "person has no Slack account linked")
        opened = self._call("conversations_open", users=user)
        channel = opened["channel"]["id"]
        blocks = [section(text)] + ([actions_block(ref.ref or "", buttons)]
                                    if ref and buttons else [])
        blocks += escalation_blocks(message.template, message.payload, lang)
        if message.template == "freshness_ask":  # answer the round with one press
            blocks = entry_blocks(text, list(FRESHNESS_BUTTONS), lang)
        elif message.template == "koppel_proposal":
            blocks = entry_blocks(text, ["koppel_ja", "koppel_nee"], lang)
        self._call("chat_postMessage", channel=channel, text=text, blocks=blocks)

    # -- a referral's thread ----------------------------------------------------

    def _thread_line(self, message: Outgoing) -> None:
        lang = self.bot.settings.language  # a channel has no one reader: the deployment's
        text = self.renderer.render_name(message.template, message.payload, lang)
        assert message.referral_id is not None
        found = self._thread(message.referral_id, lang)
        if found is None:
            log.warning("referral has no Slack channel, line skipped",
                        extra={"referral": message.referral_id, "outbox": message.id})
            return
        thread, new = found
        line = f"{self.platform}:line"
        if not message.has(line):
            if not (new and said_by_root(self.bot.engine, message.template, message.payload,
                                          message.referral_id)):
                self._call("chat_postMessage", channel=thread.channel,
                           thread_ts=thread.root_id, text=text)
            message.mark(line)
        root_text, blocks = self._root(message.referral_id, lang)
        digest = root_digest(root_text, blocks)
        if digest == thread.root_hash:
            return  # the root shows this already (just posted, or a button replaced it)
        try:
            self._call("chat_update", channel=thread.channel, ts=thread.root_id,
                       text=root_text, blocks=blocks)
        except PermanentFailure as exc:
            if not any(code in exc.reason for code in ROOT_GONE):
                raise
            log.info("slack root message not updated",
                     extra={"referral": message.referral_id, "error": exc.reason})
            return
        with session_scope(self.bot.engine) as session:
            remember_root(session, message.referral_id, self.platform, digest)

    def _thread(self, referral_id: int, lang: str) -> tuple[ReferralThread, bool] | None:
        """The referral's root message (and whether it was posted just now),
        posting it first when there is none."""
        existing, channel = thread_or_home(self.bot.engine, referral_id, self.platform)
        if existing is not None:
            return existing, False
        if channel is None:
            return None
        root_text, blocks = self._root(referral_id, lang)
        posted = self._call("chat_postMessage", channel=channel, text=root_text, blocks=blocks)
        # Slack answers with the channel's id (a name like #team works for posting).
        thread = ReferralThread(referral_id=referral_id, platform=self.platform,
                                channel=str(posted.get("channel") or channel),
                                root_id=str(posted["ts"]),
                                root_hash=root_digest(root_text, blocks))
        with session_scope(self.bot.engine) as session:
            session.add(thread)
        return thread, True

    def _root(self, referral_id: int, lang: str) -> tuple[str, list[dict[str, Any]]]:
        with Session(self.bot.engine) as session:
            ref = session.get(Referral, referral_id)
            assert ref is not None
            return root_message(session, ref, self.bot.routes, self.renderer, lang, self._today())

    def _today(self) -> date:
        return self.bot.clock().astimezone(self.bot.calendar().tz).date()

    # -- the Web API --------------------------------------------------------------

    def _call(self, method: str, **kwargs: Any) -> Any:
        api = method.replace("_", ".", 1)
        now = self.bot.clock()
        until = self.gate.take(now, [self._key(api)], self._slots(api, kwargs))
        if until is not None:  # paused after a 429, or the channel's slot is taken
            raise Deferred((until - now).total_seconds(), f"slack {api}: waiting for a slot")
        try:
            return getattr(self.client, method)(**kwargs)
        except SlackApiError as exc:
            status = exc.response.status_code
            code = exc.response.get("error") if isinstance(exc.response.data, dict) else None
            if status == 429:
                headers = {k.lower(): v for k, v in (exc.response.headers or {}).items()}
                wait = _seconds(headers.get("retry-after"))
                wait = 60.0 if wait is None else wait  # Slack always sends it; be safe
                self.gate.pause(self._key(api), self.bot.clock(), wait)
                raise TemporaryFailure(wait, f"slack {api}: rate limited") from None
            if status >= 500:
                raise TemporaryFailure(None, f"slack {api}: HTTP {status}") from None
            if code in PERMANENT or code in ROOT_GONE:
                raise PermanentFailure(f"slack {api}: {code}") from None
            # Anything else (invalid_auth, missing_scope, ...): a setup problem the
            # dispatcher retries with backoff, so a fixed setup recovers.
            raise RuntimeError(f"slack {api}: {code or status}") from None
        except (SlackClientError, OSError) as exc:  # connection refused, timeout, ...
            raise TemporaryFailure(None, f"slack {api}: {type(exc).__name__}") from None


def _seconds(value: Any) -> float | None:
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
