"""Slack transport (slack-bolt): slash command, buttons, threads, DMs."""
