"""Which chat transports this deployment has, from its configuration."""

from __future__ import annotations

from bot.app import KetenBot
from scheduling.delivery.dispatch import Sender


def build_senders(bot: KetenBot) -> list[Sender]:
    """The outbox senders for every configured platform (the worker's side)."""
    senders: list[Sender] = []
    if bot.settings.slack_enabled:
        from bot.slack.sender import SlackSender

        senders.append(SlackSender(bot))
    if bot.settings.telegram_enabled:
        from bot.telegram.sender import TelegramSender

        senders.append(TelegramSender(bot))
    return senders
