"""Pure Block Kit builders: DTOs in, Slack payload dicts out. No I/O, no globals."""
