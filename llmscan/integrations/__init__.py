"""Hooks for training and evaluation frameworks."""

from llmscan.integrations.trainer import MemorizationCallback

__all__ = ["MemorizationCallback"]
