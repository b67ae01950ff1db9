"""The overview page under `ketenbot serve` (issue 12): `web_routes(bot)` mounts it."""

from bot.web.app import web_routes

__all__ = ["web_routes"]
