"""Checks that prove every row of a mapping file: names and defaults against live (and
recorded) signatures, completeness, and the behaviour each row and difference claims.

``python -m optbridge.mappings.checks`` (``make check``) prints every claim with its verdict.
"""

from .report import Claim, MappingReport, check_mapping

__all__ = ["Claim", "MappingReport", "check_mapping"]
