"""Claim-extraction evaluation harness: corpus -> extract -> score -> records -> report; normalize serves both sides."""

__version__ = "0.1.0"
