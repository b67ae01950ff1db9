"""Delivering outbox rows to chat platforms: dispatch, rate-limit pauses, unreachable people."""
