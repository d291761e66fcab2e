"""API-mapping tables: schema, loader, renderer and the checks that prove each row."""

from .loader import MappingError, MappingFile, load_all, load_mapping, parse_mapping
from .schema import Mapping

__all__ = ["Mapping", "MappingError", "MappingFile", "load_all", "load_mapping", "parse_mapping"]
