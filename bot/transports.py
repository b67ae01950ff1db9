"""Which chat transports this deployment has, from its configuration."""

from __future__ import annotations

from collections.abc import Callable

from bot.app import KetenBot
from scheduling.delivery.contract import Sender


def build_senders(bot: KetenBot) -> list[Sender]:
    """The outbox senders for every configured platform (the worker's side)."""
    senders: list[Sender] = []
    if bot.settings.slack_enabled:
        from bot.slack.sender import SlackSender

        senders.append(SlackSender(bot))
    if bot.settings.telegram_enabled:
        from bot.telegram.sender import TelegramSender

        senders.append(TelegramSender(bot))
    if bot.settings.teams_enabled:
        from bot.teams.sender import TeamsSender

        senders.append(TeamsSender(bot))
    return senders


def build_inbox_jobs(bot: KetenBot) -> list[Callable[[], int]]:
    """The worker's side of the webhooks' inboxes: updates a web process
    stored but did not get to handle (it stopped or died); each job handles
    them and says how many."""
    jobs: list[Callable[[], int]] = []
    if bot.settings.telegram_enabled:
        from bot.telegram.inbox import handle_stale

        jobs.append(lambda: handle_stale(bot))
    return jobs
