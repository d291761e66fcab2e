"""Port an RMSprop/Rprop construction to another framework, and say how close it gets.

The recipes are the ``[port]`` sections of the mapping tables; :mod:`~optbridge.port.recipe`
applies one to concrete values, :mod:`~optbridge.port.measure` measures the gap on the
simulation, :mod:`~optbridge.port.cli` is ``python -m optbridge.port``, and
:mod:`~optbridge.port.real` runs the page's scripts on the real frameworks.
"""
