"""What the bot does, platform-neutral: parse requests, apply the rules, return data."""
