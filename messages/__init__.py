"""Rendering handler replies: Jinja2 templates per platform and language."""

from messages.render import Renderer

__all__ = ["Renderer"]
