"""One command word, several processes: `uitkomst JT-0004 2` is the tafel's
outcome, `uitkomst KB-0001 ja` the RET's; `gesprek OV-0005` the handover's
joint conversation, `gesprek KB-0001` step 6's talk. The reference decides."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import select

from handlers.core import Context, Reply, error
from handlers.referrals.guard import REF_RE
from handlers.referrals.membership import PROCESS_KINDS
from storage.db import session_scope
from storage.tables import Referral

Handler = Callable[[Context, str], Reply]


def kind_of(ctx: Context, text: str) -> str | None:
    """The process kind ("tafel", "overdracht") the first word names, or None for a
    referral, an escalation (ES-…) or no reference at all (the default handler
    answers those, with its own usage text)."""
    words = text.split()
    m = REF_RE.match(words[0]) if words else None
    if m is None:
        return None
    if m.group(1):
        names = ctx.routes.by_prefix(m.group(1))
        return next((PROCESS_KINDS[n] for n in names if n in PROCESS_KINDS), None)
    with session_scope(ctx.engine) as session:  # a bare number, as a Telegram button sends
        route = session.exec(select(Referral.route).where(Referral.id == int(m.group(2)))).first()
    return PROCESS_KINDS.get(route or "")


def by_kind(default: Handler, **per_kind: Handler) -> Handler:
    """A handler that hands the command to the process its reference names."""

    def handler(ctx: Context, text: str) -> Reply:
        chosen = per_kind.get(kind_of(ctx, text) or "")
        return (chosen or default)(ctx, text)

    handler.__doc__ = default.__doc__
    return handler


def refusal(word: str, kind: str) -> Handler:
    """The answer to a 301/315 route's command on a tafel case or a handover."""

    def refuse(_ctx: Context, text: str) -> Reply:
        return error("tafel_referral_only", ref=text.split()[0].upper()[:20], word=word,
                     kind=kind)

    return refuse


def referral_only(word: str, handler: Handler) -> Handler:
    """A 301/315 route's command: on a tafel case or a handover it says so, instead
    of a step-5-or-6 answer that does not fit them."""
    return by_kind(handler, tafel=refusal(word, "tafel"),
                   overdracht=refusal(word, "overdracht"))


def situation_only(word: str, kind: str, handler: Handler) -> Handler:
    """`escaleer JT-0004 samenwerking`: a tafel case or a handover can be the
    subject of a Bouwsteen 6 escalation (with a situation), but has no step 6."""
    refuse = refusal(word, kind)

    def handler_or_refusal(ctx: Context, text: str) -> Reply:
        return handler(ctx, text) if len(text.split()) > 1 else refuse(ctx, text)

    return handler_or_refusal
