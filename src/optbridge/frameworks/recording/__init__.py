"""Re-recording each framework's data from the real package (``make goldens``).

Runs inside every framework's own virtual environment, so it needs only the standard library
and numpy: ``cases`` (the grid of problems), ``common`` (encoding, signatures, probes) and
``__main__`` (the entry point, one subprocess per framework).
"""
