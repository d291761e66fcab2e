"""One room per framework: ``optbridge/frameworks/<name>/`` holds its facade, its recorder and
the data recorded from the real package (``data/<api>.json``).

Nothing here imports torch: the recorders run inside each framework's own environment.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent


def recorded_file(api: str) -> Path | None:
    """The JSON recorded from the real ``api`` (e.g. ``"mindspore.nn.RMSProp"``), if any."""
    found = sorted(HERE.glob(f"*/data/{api}.json"))
    return found[0] if found else None
