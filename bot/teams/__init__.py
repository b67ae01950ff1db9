"""Microsoft Teams: `POST /api/messages` through the Microsoft 365 Agents SDK.

`web` (the route; every request's Bot Framework token and tenant checked by
`auth`), `app` (the SDK adapter and the agent's turn, card presses included),
`runtime` (who is asking, linking by e-mail or `koppel CODE`, the registry),
`text` (the @mention taken out of a channel message), `cards` (a referral's
Adaptive Card), `sender` (the outbox to a person's personal chat, proactively,
and to a referral's thread in its team's channel), `manifest` (the app package).
"""
