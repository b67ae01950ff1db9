"""Microsoft Teams: `POST /api/messages` through the Microsoft 365 Agents SDK.

`web` (the route; every request's Bot Framework token and tenant checked by
`auth`), `app` (the SDK adapter and the agent's turn), `runtime` (who is
asking, linking by e-mail or `koppel CODE`, the registry), `text` (the
@mention taken out of a channel message). Not yet: threads, cards, proactive
messages (no outbox sender for Teams).
"""
