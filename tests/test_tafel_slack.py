"""A tafel case in Slack: its root in the JB team's channel, each change a line
in its thread, and the voorzitter's button press updating the root."""

from __future__ import annotations

from tests.test_slack import JB_CHANNEL, Slack, action_ids
from tests.test_slack import fake as fake  # noqa: F401  (fixture)
from tests.test_slack import slack as slack  # noqa: F401  (fixture)


async def test_tafel_thread_and_the_voorzitters_press(slack: Slack) -> None:
    await slack.meet("UJEROEN", "UASTRID")
    answer = await slack.command("UJEROEN", "tafel Ede T-<!channel> ots-einde")
    assert "kenmerk" in answer["text"].lower()  # refused: a kenmerk is a plain reference
    await slack.command("UJEROEN", "tafel Ede T-2026-9 ots-einde")
    await slack.idle()
    await slack.tick()
    [root] = [c for c in slack.fake.of("chat.postMessage") if c.args["channel"] == JB_CHANNEL]
    assert "JT-0001" in root.args["text"] and "Jeugdbeschermingstafel" in root.args["text"]
    assert action_ids(root.args["blocks"]) == ["keten_status"]
    dm = [c for c in slack.fake.of("chat.postMessage") if c.args["channel"] == "DASTRID"]
    assert dm and "u bent aan zet in JT-0001" in dm[0].args["text"]

    await slack.command("UASTRID", "gepland JT-0001 3-12")
    await slack.command("UASTRID", "uitkomst JT-0001 4")
    await slack.idle()
    await slack.tick()
    thread = slack.thread()
    lines = [c.args["text"] for c in slack.fake.of("chat.postMessage")
             if c.args.get("thread_ts") == thread.root_id]
    assert any("uitkomst 4, alleen een raadsonderzoek" in t for t in lines)
    updated = slack.fake.of("chat.update")[-1]
    assert action_ids(updated.args["blocks"]) == ["keten_verslag", "keten_status"]

    sent = await slack.press("UASTRID", "verslag", ref="JT-0001", message_ts=thread.root_id)
    # The press replaces the root: the case is done.
    assert "Afgerond: het verslag is verstuurd aan de ouders en de professional." in sent["text"]
    assert slack.referral("JT-0001").status == "closed"
