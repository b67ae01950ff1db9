"""Instructions in replies name the command as the reader types it on their platform."""

from __future__ import annotations

from handlers.core import Reply, error
from messages import Renderer


def wrong_step() -> Reply:
    return error("wrong_action", ref="KB-0001", action="volgende", expected="301", step="4")


def test_console_shows_the_bare_command() -> None:
    text = Renderer("text").render(wrong_step())
    assert "met `301 KB-0001`, niet met `volgende`" in text


def test_slack_shows_the_slash_command() -> None:
    text = Renderer("slack").render(wrong_step())
    assert "met `/keten 301 KB-0001`, niet met `/keten volgende`" in text


def test_telegram_shows_a_tappable_command_and_renames_digits() -> None:
    text = Renderer("telegram").render(wrong_step(), "en")
    assert "finished with /bericht301 KB-0001, not /volgende" in text
    assert "`" not in text
