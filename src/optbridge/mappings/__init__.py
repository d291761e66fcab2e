"""API-mapping tables: their schema, vocabulary and loader. The checks that prove each row are
:mod:`optbridge.mappings.checks`; the pages are rendered by :mod:`optbridge.sphinxext.render`."""

from .loader import MappingError, MappingFile, load_all, load_mapping, parse_mapping
from .schema import Mapping

__all__ = ["Mapping", "MappingError", "MappingFile", "load_all", "load_mapping", "parse_mapping"]
