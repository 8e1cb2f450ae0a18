"""Metamorphic variants of the corpus: numerals, dates and speaker names rewritten into equivalent forms, with the
gold carried along, so that a run on the variant shows whether a model follows the facts or the surface form."""

from harness.variants.apply import KINDS, Variant, kinds_of, make_variant
from harness.variants.forms import Rewrite, Skipped, date_rewrites, number_rewrites
from harness.variants.manifest import MANIFEST, ArticleVariant, Manifest, read_manifest, write_variants
from harness.variants.names import name_map, name_rewrites, rename

__all__ = [
    "KINDS", "MANIFEST", "ArticleVariant", "Manifest", "Rewrite", "Skipped", "Variant", "date_rewrites", "kinds_of",
    "make_variant", "name_map", "name_rewrites", "number_rewrites", "read_manifest", "rename", "write_variants",
]  # fmt: skip
