"""Native snippets: the code a user writes in each framework, run on the real framework.

``python -m optbridge.native`` (``make frameworks``) runs them and records each run; the
tests in ``tests/native`` check the records offline; the mapping pages show them.
"""

from .snippets import NOT_EXECUTED, Snippet, SnippetError, discover, for_mapping, load_record

__all__ = ["NOT_EXECUTED", "Snippet", "SnippetError", "discover", "for_mapping", "load_record"]
