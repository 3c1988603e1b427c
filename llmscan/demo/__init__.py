"""The embedded demo: a tiny GPT-2 trained on a shipped synthetic corpus with planted fake PII."""
