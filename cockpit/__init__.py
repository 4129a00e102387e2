"""Cockpit: customer-signal insights for an AI support agent."""

__version__ = "0.1.0"
