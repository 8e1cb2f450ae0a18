"""Claim-extraction evaluation harness: corpus -> extract -> normalize -> align -> metrics -> report."""

__version__ = "0.1.0"
