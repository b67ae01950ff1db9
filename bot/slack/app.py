"""The slack-bolt app: `/keten`, the referral buttons, and direct messages.

Every request is signature-checked by bolt (the signing secret); a bad or
stale signature is answered 401 before any listener runs. The app answers
within Slack's three seconds: a command's reply is the acknowledgement itself
(ephemeral), button presses and direct messages are acknowledged at once and
handled in the background.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltRequest, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import KetenBot
from bot.slack import contact_blocks
from bot.slack.blocks import ACTION_PREFIX, ACTIONS
from bot.slack.runtime import DB_AWAY, FAILED, SlackRuntime
from handlers.contacts.selfservice import ENTRY_BUTTONS
from handlers.escalations.model import ES_RE
from handlers.referrals.guard import REF_RE
from scheduling.outage import database_lost

log = logging.getLogger("ketenbot.slack")

COMMAND = "/keten"
# A command's answer must be the HTTP acknowledgement within Slack's 3 s; a
# command slower than this is acknowledged with BUSY and answered afterwards.
ACK_BUDGET = 2.0
BUSY = {"nl": "Even geduld…", "en": "One moment…"}


def build_slack_app(bot: KetenBot, runtime: SlackRuntime | None = None) -> AsyncApp:
    settings = bot.settings
    if not (settings.slack_bot_token and settings.slack_signing_secret):
        raise ValueError("Slack needs KETENBOT_SLACK_BOT_TOKEN and KETENBOT_SLACK_SIGNING_SECRET")
    rt = runtime or SlackRuntime(bot)
    client = AsyncWebClient(token=settings.reveal("slack_bot_token"),
                            base_url=settings.slack_api_url,
                            logger=logging.getLogger("slack_sdk.web.ketenbot"))
    app = AsyncApp(
        client=client,
        signing_secret=settings.reveal("slack_signing_secret"),
        request_verification_enabled=True,
        # The listener's return is the HTTP response: the reply is in the ack,
        # with no polling loop in between; slow work is spawned explicitly.
        process_before_response=True,
        logger=logging.getLogger("slack_bolt.ketenbot"),
    )
    app.ketenbot_runtime = rt  # type: ignore[attr-defined]  # tests and shutdown find it here

    @app.command(COMMAND)
    async def on_command(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond,
                         client: AsyncWebClient, request: AsyncBoltRequest) -> None:
        user_id, words = command["user_id"], command.get("text") or ""
        text = rt.quick_answer(user_id, words)  # `help`: nothing to wait for
        if text is None:
            # bolt checked the signature (and its timestamp's five minutes): a
            # second request with the same one is a replay.
            signature = next(iter(request.headers.get("x-slack-signature") or []), None)
            work = rt.start_text(client, user_id, words, signature)
            # Not wait_for: when the budget runs out the work goes on (no shield needed).
            done, _ = await asyncio.wait((work,), timeout=ACK_BUDGET)
            if not done:
                lang = settings.language
                await ack(response_type="ephemeral", text=BUSY.get(lang, BUSY["nl"]))
                rt.spawn(_answer_later(work, respond))
                return
            text = work.result()
        await ack(response_type="ephemeral", text=text, blocks=getattr(text, "blocks", None))

    @app.action(re.compile(f"^{contact_blocks.ACTION_PREFIX}"))
    async def on_entry_button(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond,
                              client: AsyncWebClient) -> None:
        await ack()
        action = (body.get("actions") or [{}])[0]
        word = str(action.get("action_id", "")).removeprefix(contact_blocks.ACTION_PREFIX)
        if word not in ENTRY_BUTTONS:
            log.warning("slack unknown button", extra={"button": word[:30]})
            return
        rt.spawn(_press_entry(rt, client, respond, body["user"]["id"],
                              ENTRY_BUTTONS[word]))

    @app.action(re.compile(f"^{ACTION_PREFIX}"))
    async def on_button(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond,
                        client: AsyncWebClient) -> None:
        await ack()
        action = (body.get("actions") or [{}])[0]
        word = str(action.get("action_id", "")).removeprefix(ACTION_PREFIX)
        ref = str(action.get("value", ""))
        if word not in ACTIONS or not (REF_RE.match(ref) or ES_RE.match(ref)):
            log.warning("slack unknown button", extra={"button": word[:30]})
            return
        message_ts = (body.get("container") or {}).get("message_ts")
        rt.spawn(_press(rt, client, respond, body["user"]["id"], word, ref, message_ts))

    @app.event("message")
    async def on_message(ack: AsyncAck, body: dict[str, Any], event: dict[str, Any],
                         client: AsyncWebClient, request: AsyncBoltRequest) -> None:
        await ack()
        if (event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id")
                or not event.get("user") or not body.get("event_id")):
            return
        retry = request.headers.get("x-slack-retry-num", [None])[0]
        rt.spawn(rt.direct_message(client, str(body["event_id"]), str(event["user"]),
                                   str(event["channel"]), str(event.get("text") or ""), retry))

    return app


def rt_failed(exc: BaseException) -> str:
    if database_lost(exc):
        log.warning("slack command not handled: database unreachable")
        return DB_AWAY["nl"]
    log.error("slack command failed", exc_info=exc)
    return FAILED["nl"]


async def _answer_later(work: asyncio.Future[str], respond: AsyncRespond) -> None:
    try:
        text = await work
    except Exception as exc:
        text = rt_failed(exc)
    await respond(text=text, response_type="ephemeral", replace_original=False,
                  blocks=getattr(text, "blocks", None))


async def _press_entry(rt: SlackRuntime, client: AsyncWebClient, respond: AsyncRespond,
                       user_id: str, command: str) -> None:
    try:
        answer = await rt.press_entry(client, user_id, command)
    except Exception as exc:
        answer = {"response_type": "ephemeral", "replace_original": False,
                  "text": rt_failed(exc)}
    await respond(**answer)


async def _press(rt: SlackRuntime, client: AsyncWebClient, respond: AsyncRespond,
                 user_id: str, word: str, ref: str, message_ts: str | None) -> None:
    try:
        answer = await rt.press(client, user_id, word, ref, message_ts)
    except Exception as exc:
        answer = {"response_type": "ephemeral", "replace_original": False,
                  "text": rt.failed(exc)}
    await respond(**answer)
