"""301/315 referrals in chat: start, steps, acknowledgements, status, history."""
