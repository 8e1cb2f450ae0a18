"""Extraction: turn an article into predicted claims with an LLM, and run the embedded local model that serves it."""
