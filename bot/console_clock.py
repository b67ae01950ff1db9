"""Console-only time travel: `:klok 2026-05-07 09:00` moves the clock and runs
whatever falls due, printing each outgoing message with its recipient."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.app import KetenBot
from messages import Renderer
from messages.labels import format_moment
from scheduling.delivery.contract import Outgoing, Sender

STEP = timedelta(minutes=30)


class MovableClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


class ConsoleSender:
    """Delivers outbox messages by printing them: one line per recipient.

    As `platform="console"` it takes every message. Standing in for "slack" or
    "telegram" it takes what the real sender of that platform would, so the
    demo can show one referral living on two platforms.
    """

    def __init__(self, out: TextIO, clock: MovableClock, lang: str = "nl",
                 platform: str = "console") -> None:
        self.out = out
        self.clock = clock
        self.lang = lang
        self.platform = platform
        self.renderer = Renderer("text")

    def deliver(self, message: Outgoing) -> None:
        text = self.renderer.render_name(message.template, message.payload, self.lang)
        where = "" if self.platform == "console" else f"{self.platform} · "
        if message.person is None:
            # A referral's thread; a line about an escalation-model case names
            # the referral it is about.
            ref = message.payload.get("ref") or message.payload.get("referral") or ""
            to = f"{where}{'thread' if self.lang == 'en' else 'draad'} {ref}"
        else:
            to = f"{where}{message.person.name} <{message.person.email}>"
        indented = text.replace("\n", "\n      ")
        self.out.write(f"  {format_moment(self.clock.now, self.lang)} → [{to}] {indented}\n")


def clock_command(bot: KetenBot, clock: MovableClock,
                  senders: list[Sender], lang: str = "nl") -> Callable[[str], str]:
    zone = ZoneInfo(bot.settings.timezone)
    en = lang == "en"

    def run(arg: str) -> str:
        if not arg:
            return (f"It is now {clock.now:%Y-%m-%d %H:%M}." if en
                    else f"Het is nu {clock.now:%Y-%m-%d %H:%M}.")
        try:
            target = datetime.strptime(arg.strip(), "%Y-%m-%d %H:%M").replace(tzinfo=zone)
        except ValueError:
            try:
                target = datetime.strptime(arg.strip(), "%Y-%m-%d").replace(
                    hour=9, tzinfo=zone)
            except ValueError:
                return "Usage: :klok YYYY-MM-DD [HH:MM]" if en \
                    else "Gebruik: :klok JJJJ-MM-DD [UU:MM]"
        if target < clock.now:
            return "The clock only moves forward." if en else "De klok kan alleen vooruit."
        # Tick every half hour on the way, as a running worker would: reminders
        # then arrive before their deadline, and night-time messages at 08:30.
        reminders = escalations = sent = 0
        while clock.now < target:
            clock.now = min(clock.now + STEP, target)
            result = bot.tick(senders)
            reminders += result.reminders
            escalations += result.escalations
            sent += result.sent
        if en:
            return (f"# clock at {target:%Y-%m-%d %H:%M}: {reminders} reminder(s), "
                    f"{escalations} escalation(s), {sent} message(s) delivered.")
        return (f"# klok staat op {target:%Y-%m-%d %H:%M}: {reminders} herinnering(en), "
                f"{escalations} escalatie(s), {sent} bericht(en) bezorgd.")

    return run
