"""Telegram transport (python-telegram-bot): commands, inline buttons, topics."""
