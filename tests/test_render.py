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
    assert "finished with /bericht301 KB-0001, not /next" in text
    assert "`" not in text


def test_slack_escapes_what_people_typed_so_nobody_can_ping_a_channel() -> None:
    reply = error("unknown_command", command="<!channel>&<http://evil.example|klik>")
    slack = Renderer("slack").render(reply)
    assert "<!channel>" not in slack and "<http" not in slack
    assert "&lt;!channel&gt;&amp;&lt;http://evil.example|klik&gt;" in slack
    # The console shows it as typed: nothing there reads markup.
    assert "<!channel>&<http://evil.example|klik>" in Renderer("text").render(reply)


def test_slack_help_shows_placeholders_instead_of_broken_links() -> None:
    from handlers.registry import build_registry

    text = Renderer("slack").render(build_registry().help(None, ""))  # type: ignore[arg-type]
    assert "&lt;gemeente&gt;" in text and "<gemeente>" not in text
    assert "&amp;lt;" not in text  # escaped once, not twice
