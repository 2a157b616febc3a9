"""Slack-flow orchestration called by the listeners: open, fetch in parallel, update, explain failures."""
