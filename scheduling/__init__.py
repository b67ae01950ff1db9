"""Time rules of the chain: working days (Algemene termijnenwet) and deadlines."""
