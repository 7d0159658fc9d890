"""Spec front end: YAML with source positions, JSON-Schema validation, resolution into the IR."""

from abigen.frontend.loader import load_spec, load_spec_text

__all__ = ["load_spec", "load_spec_text"]
