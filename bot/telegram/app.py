"""The Telegram side of the chat: python-telegram-bot handlers over the registry.

Telegram is open to anyone, so an unlinked account may only link itself
(`/start CODE`, also via the deep link `t.me/<bot>?start=CODE`) and read
`/help`; everything else is refused until it is linked. Every registry
command is a Telegram command (`commands`).

Answers go through the durable outbox (`replies.Replies`): queued, sent in the
background, retried by the worker if that fails. Only a button's own answer
(answerCallbackQuery, which Telegram wants within the press) is sent directly.
When the database is away, the user hears "try again in a moment", sent
directly (the outbox lives in that database).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy import Engine
from telegram import InlineKeyboardMarkup, Update, User
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.app import KetenBot
from bot.telegram import contact_keyboard, keyboards
from bot.telegram.commands import command_words
from bot.telegram.replies import Replies
from bot.telegram.text import MAX_ALERT, clip, file_url
from handlers.accounts.linking import link_failed, redeem
from handlers.core import CREDENTIAL_TEMPLATES, Reply, error
from messages import Renderer
from scheduling.outage import database_lost
from storage import events, throttle
from storage.db import session_scope
from storage.models import Person
from storage.outbox import CREDENTIAL_REPLY, STRANGER_REPLY
from storage.privacy import bad_char

log = logging.getLogger("ketenbot.telegram")

PLATFORM = "telegram"
CONCURRENT_UPDATES = 64
# Answers about the asker alone: asked in a group, they go to the private chat
# (a link code or sign-in link there would hand the account to every member).
PERSONAL = frozenset({"mijn", "status", "ik", "koppelcode", "overzicht"})
# An unlinked account gets one answer an hour: strangers cannot make the bot
# spend Telegram's sending limit (link attempts are answered up to their lock).
UNLINKED_ANSWERS, UNLINKED_WINDOW = 1, timedelta(hours=1)
HINT = {
    "nl": "Vraag een code met koppelcode in uw eigen al gekoppelde account (bijv. Slack) of "
          "bij een beheerder (ketenbot link-code <e-mail>), en stuur dan /start CODE.",
    "en": "Get a code with linkcode in your own account that is already linked (e.g. "
          "Slack) or from an admin (ketenbot link-code <e-mail>), then send /start CODE.",
}
Ctx = ContextTypes.DEFAULT_TYPE


def first_time(engine: Engine, update_id: int, now: datetime) -> bool:
    """Record an update as processed; False when it was seen before."""
    return events.first_time(engine, PLATFORM, str(update_id), now)


class TelegramHandlers:
    def __init__(self, bot: KetenBot) -> None:
        self.bot = bot
        self.renderer = Renderer(PLATFORM)
        self.words = command_words(bot)
        self.replies: Replies | None = None

    def register(self, application: Application) -> None:  # type: ignore[type-arg]
        self.replies = Replies(self.bot, application.bot)
        application.bot_data["ketenbot"] = self
        words = [w for w in self.words if w not in ("help", "hulp")]
        # Commands and plain text record their update as seen in the same thread
        # hop that answers them (`respond`); every other update here, first.
        self._responders = (CommandHandler(words, self.command),
                            MessageHandler(filters.TEXT & ~filters.COMMAND
                                           & filters.ChatType.PRIVATE, self.plain))
        application.add_handler(TypeHandler(Update, self.once), group=-1)
        application.add_handler(CommandHandler("start", self.start))
        application.add_handler(CommandHandler(["help", "hulp"], self.help))
        for handler in self._responders:
            application.add_handler(handler)
        application.add_handler(CallbackQueryHandler(self.callback))
        application.add_error_handler(self.on_error)

    # -- helpers ---------------------------------------------------------------
    def lang(self, person: Person | None, user: User | None) -> str:
        if person and person.language:
            return person.language
        code = (user.language_code or "") if user else ""
        return "en" if person is None and code.startswith("en") else self.bot.settings.language

    def render(self, reply: Reply, lang: str) -> str:
        return clip(self.renderer.render(reply, lang))

    async def answer(self, chat_id: int, text: str,
                     markup: InlineKeyboardMarkup | None = None, purge: str | None = None) -> None:
        assert self.replies is not None, "register() first"
        await self.replies.send(chat_id, text, markup, purge)

    def refusal(self, lang: str) -> Reply:
        return error("not_linked", hint=HINT.get(lang, HINT["nl"]))

    def may_answer_unlinked(self, user: User | None) -> bool:
        """Whether an unlinked account may get an answer now (worker thread)."""
        return user is not None and throttle.hit(
            self.bot.engine, f"unlinked:{PLATFORM}:{user.id}", self.bot.clock(),
            UNLINKED_ANSWERS, UNLINKED_WINDOW)

    async def person(self, user: User | None) -> Person | None:
        if user is None:
            return None
        return await asyncio.to_thread(self.bot.person_by_identity, PLATFORM, str(user.id))

    async def run(self, person: Person | None, user: User | None, text: str) -> tuple[Reply, str]:
        """The registry, for a linked person only; (reply, language)."""
        lang = self.lang(person, user)
        if person is None:
            return self.refusal(lang), lang
        ctx = self.bot.context(PLATFORM, person, lang)
        reply = await asyncio.to_thread(self.bot.registry.dispatch, ctx, text)
        return reply, lang

    # -- handlers --------------------------------------------------------------
    async def once(self, update: Update, _context: Ctx) -> None:
        if any(h.check_update(update) not in (None, False) for h in self._responders):
            return  # `respond` records it, in its own hop
        await self._record(update)

    async def _record(self, update: Update) -> None:
        """Record the update as seen; a repeat (or no database) ends its handling."""
        try:
            seen = not await asyncio.to_thread(first_time, self.bot.engine, update.update_id,
                                               self.bot.clock())
        except Exception as exc:
            if not database_lost(exc):
                raise
            log.warning("telegram update not handled: database unreachable")
            await self.busy(update)  # once, and no handler after this one tries
            raise ApplicationHandlerStop from None
        if seen:
            log.info("telegram update seen before, skipped", extra={"update_id": update.update_id})
            raise ApplicationHandlerStop

    async def start(self, update: Update, context: Ctx) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        code = context.args[0] if context.args else ""
        if bad_char(code) is not None:  # no code holds control or half characters
            code = "-"  # refused as any wrong code is (and counted as one)
        if not code:
            person = await self.person(user)
            if person is None and not await asyncio.to_thread(self.may_answer_unlinked, user):
                return
            lang = self.lang(person, user)
            reply = self.bot.registry.help(self.bot.context(PLATFORM, person, lang), "") \
                if person else self.refusal(lang)
            await self.answer(message.chat_id, self.render(reply, lang),
                              purge=None if person else STRANGER_REPLY)
            return
        result = await asyncio.to_thread(redeem, self.bot.engine, PLATFORM, str(user.id), code,
                                         self.bot.clock())
        if result.reason == "throttled" and not await asyncio.to_thread(
                self.may_answer_unlinked, user):
            return  # locked, and told so within the hour
        lang = self.lang(result.person, user)
        reply = (Reply("linked", {"name": result.person.name,
                                  "replaced": result.replaced is not None}) if result.person
                 else link_failed(result.reason or "invalid"))
        # A stranger's answer keeps no chat id once delivered.
        purge = None if result.person else STRANGER_REPLY
        if message.chat.type != ChatType.PRIVATE:  # the answer is for the asker alone
            await self.answer(user.id, self.render(reply, lang), purge=purge)
            return
        await self.answer(message.chat_id, self.render(reply, lang), purge=purge)
        if result.person is not None and result.replaced is not None:
            # The account this one replaced hears it too: a takeover does not go unseen.
            notice = self.renderer.render_name(
                "link_replaced", {"platform": PLATFORM, "name": result.person.name}, lang)
            await self.answer(int(result.replaced), clip(notice))

    async def help(self, update: Update, _context: Ctx) -> None:
        if update.effective_message is None:
            return
        person = await self.person(update.effective_user)
        if person is None and not await asyncio.to_thread(self.may_answer_unlinked,
                                                          update.effective_user):
            return
        lang = self.lang(person, update.effective_user)
        reply = self.bot.registry.help(self.bot.context(PLATFORM, person, lang), "")
        await self.answer(update.effective_message.chat_id, self.render(reply, lang),
                          purge=None if person else STRANGER_REPLY)

    async def command(self, update: Update, context: Ctx) -> None:
        message = update.effective_message
        if message is None or not message.text:
            return
        word = message.text.split()[0].lstrip("/").split("@")[0].lower()
        text = " ".join([self.words.get(word, word), *(context.args or [])])
        await self.respond(update, message.chat_id, update.effective_user, text,
                           private=message.chat.type == ChatType.PRIVATE)

    async def respond(self, update: Update, chat_id: int, user: User | None, text: str,
                      private: bool = True) -> None:
        """The update recorded as seen, who is asking, the command, its answer
        rendered and queued: one thread hop (each hop costs a busy webhook
        dearly), then the answer is sent."""
        assert self.replies is not None, "register() first"
        replies = self.replies
        def work() -> list[_Queued] | None:
            # Seen-mark and who is asking in one transaction (each costs a
            # round trip, a commit and, on PostgreSQL, a pool ping).
            with session_scope(self.bot.engine) as session:
                if not events.first_time_in(session, PLATFORM, str(update.update_id),
                                            self.bot.clock()):
                    return None
                person = (self.bot.person_by_identity(PLATFORM, str(user.id), session)
                          if user is not None else None)
            if person is None and not self.may_answer_unlinked(user):
                return []
            lang = self.lang(person, user)
            reply = (self.bot.registry.dispatch(self.bot.context(PLATFORM, person, lang), text)
                     if person is not None else self.refusal(lang))
            queued: list[_Queued] = []
            command = self.bot.registry.find(text.split()[0]) if text.split() else None
            if (person is not None and not private and user is not None
                    and command is not None and command.name in PERSONAL):
                # To the person only, never into the group; the group hears that it went.
                answer, keys = self.render(reply, lang), contact_keyboard.entry_keys(reply, lang)
                oid, now = replies.queue(user.id, answer, keys,
                                         CREDENTIAL_REPLY if reply.template
                                         in CREDENTIAL_TEMPLATES else None)
                if now:
                    queued.append((oid, user.id, answer, keys))
                reply = Reply("sent_privately", {"command": command.name})
            # Kept no longer than it takes to deliver: a credential, or any answer
            # to a stranger (their chat id is all we would keep of them).
            purge = (STRANGER_REPLY if person is None
                     else CREDENTIAL_REPLY if reply.template in CREDENTIAL_TEMPLATES else None)
            rendered, markup = self.render(reply, lang), contact_keyboard.entry_keys(reply, lang)
            oid, now = replies.queue(chat_id, rendered, markup, purge)
            if now:  # else the worker sends it at its slot's end
                queued.append((oid, chat_id, rendered, markup))
            return queued

        try:
            queued = await asyncio.to_thread(work)
        except Exception as exc:
            if not database_lost(exc):
                raise
            log.warning("telegram update not handled: database unreachable")
            await self.busy(update)
            return
        if queued is None:
            log.info("telegram update seen before, skipped", extra={"update_id": update.update_id})
            return
        for oid, chat, rendered, markup in queued:
            replies.start(oid, chat, rendered, markup)

    async def plain(self, update: Update, _context: Ctx) -> None:
        """Plain text in a private chat: the same commands without the slash."""
        message = update.effective_message
        if message is None or not message.text:
            return
        if message.text.strip().lower() in ("help", "hulp", "?"):
            await self._record(update)  # `once` left it to this handler
            return await self.help(update, _context)
        await self.respond(update, message.chat_id, update.effective_user, message.text)

    async def callback(self, update: Update, _context: Ctx) -> None:
        """A button: always answered, so the client stops spinning."""
        query = update.callback_query
        if query is None:
            return
        parsed = keyboards.parse(query.data)
        person = await self.person(query.from_user)
        lang = self.lang(person, query.from_user)
        entry_command = contact_keyboard.command_of(query.data)
        if entry_command is not None:  # a button under `ik`
            reply, lang = await self.run(person, query.from_user, entry_command)
            text = self.render(reply, lang)
            await query.answer(clip(text.splitlines()[0] if text else "", MAX_ALERT),
                               show_alert=not reply.ok)
            if query.message is not None and reply.ok:
                keys = contact_keyboard.entry_keys(reply, lang)
                await query.message.chat.send_message(text, reply_markup=keys)
            return
        if parsed is None:
            await query.answer()
            return
        action, confirmed, referral_id = parsed
        if action == "cancel":
            await query.answer()
            await _drop_keyboard(query)
            return
        if person is None:
            await query.answer(clip(self.render(self.refusal(lang), lang), MAX_ALERT),
                               show_alert=True)
            return
        if action in keyboards.CONFIRM and not confirmed:
            await query.answer()
            ref = f"KB-{referral_id:04d}"
            if query.message is not None:
                question = f"{action} {ref}?" + ("" if lang == "en" else " Weet u het zeker?")
                await self.answer(query.message.chat.id, question,
                                  keyboards.confirm_keyboard(action, referral_id, ref, lang))
            return
        reply, lang = await self.run(person, query.from_user,
                                     keyboards.command_for(action, referral_id))
        text = self.render(reply, lang)
        if not reply.ok:
            await query.answer(clip(text, MAX_ALERT), show_alert=True)
            return
        await query.answer(clip(text.splitlines()[0] if text else "", MAX_ALERT))
        private = query.message is not None and query.message.chat.type == ChatType.PRIVATE
        if confirmed or (private and action not in ("status", "esstatus")):
            await _drop_keyboard(query)  # this message's buttons are used up
        if private and query.message is not None:
            await self.answer(query.message.chat.id, text)
        elif action in ("status", "esstatus"):
            # A status is for the presser: privately. In a group the thread's
            # root and its new line show what a step did.
            await self.answer(query.from_user.id, text)

    async def on_error(self, update: object, context: Ctx) -> None:
        error = context.error
        if error is not None and database_lost(error):
            # One line, no traceback: the worker's log tells the outage's story.
            log.warning("telegram update not handled: database unreachable")
            await self.busy(update)
            return
        log.error("telegram update failed", extra={"error": type(error).__name__}, exc_info=error)

    async def busy(self, update: object) -> None:
        """Tell the user to try again in a moment; directly, as the outbox is away too."""
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        user = update.effective_user
        lang = "en" if user and (user.language_code or "").startswith("en") else \
            self.bot.settings.language
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(
                    clip(self.renderer.render_name("busy", {}, lang), MAX_ALERT), show_alert=True)
            else:
                await update.effective_chat.send_message(self.renderer.render_name("busy", {},
                                                                                   lang))
        except Exception:  # best effort: the user sees no answer and tries again anyway
            log.info("telegram try-again notice not sent", exc_info=True)


# A queued answer: outbox id, chat, text, buttons.
_Queued = tuple[int, int, str, InlineKeyboardMarkup | None]


async def _drop_keyboard(query) -> None:  # type: ignore[no-untyped-def]
    try:
        await query.edit_message_reply_markup(None)
    except Exception:  # an old message: not worth failing the press for
        log.debug("telegram keyboard not removed", exc_info=True)


def build_application(bot: KetenBot, polling: bool = False) -> Application:  # type: ignore[type-arg]
    """The Application for `bot`: webhook mode (no updater) unless `polling`."""
    settings = bot.settings
    if not settings.telegram_bot_token:
        raise ValueError("KETENBOT_TELEGRAM_BOT_TOKEN is not set")
    builder = (Application.builder().token(settings.reveal("telegram_bot_token") or "")
               .base_url(settings.telegram_api_url)
               .base_file_url(file_url(settings.telegram_api_url)))
    if not polling:
        builder = builder.updater(None)
    # Updates are handled side by side (PTB's default is one at a time, which
    # queues every webhook request behind the one before); the handlers keep
    # their database work in worker threads and each update is deduplicated.
    builder = builder.concurrent_updates(CONCURRENT_UPDATES)
    application = builder.build()
    TelegramHandlers(bot).register(application)
    return application
