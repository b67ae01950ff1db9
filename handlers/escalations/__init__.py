"""Bouwsteen 6: the escalation model people step through themselves."""
