"""Find optimizer constructions in source text with :mod:`ast`, with their literal arguments.

A name is resolved through the file's imports (``import torch.optim as optim``, ``from
tensorflow import keras``, ``import oneflow as flow``); ``optbridge.compat.<framework>`` stands
for the framework it simulates, as the gallery scripts use it. Arguments must be literals, or
names bound once at module level to a literal; anything else is reported, not guessed.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

#: Optimizer names this tool looks for (the last component of the called name).
OPTIMIZER_NAME = re.compile(r"^(RMS[pP]rop(Optimizer)?|Rprop|rmsprop|rprop|NpuFusedRMSprop)$")
#: A call that builds a learning-rate schedule (the lr-schedule caveats depend on it).
SCHEDULER_NAME = re.compile(
    r"(lr_scheduler\.|\.schedules\.|optimizer\.lr\.|_schedule$|_decay$|Decay(LR)?$|LR$)"
)
#: What the simulated modules stand for, as a user of the real framework writes it.
COMPAT_MODULES = {
    "optbridge.compat.mindspore": "mindspore.nn",
    "optbridge.compat.oneflow": "oneflow.optim",
    "optbridge.compat.paddle": "paddle.optimizer",
    "optbridge.compat.optax": "optax",
    "optbridge.compat.keras": "tf.keras.optimizers",
    "optbridge.compat.tf1": "tf.compat.v1.train",
    "optbridge.compat.torch_npu": "torch_npu.optim",
}
#: Spellings of the same API (left) and the one the tables use (right), applied as prefixes.
CANONICAL = [
    ("tensorflow.", "tf."),
    ("keras.optimizers.", "tf.keras.optimizers."),
    ("tf.optimizers.", "tf.keras.optimizers."),
    ("flow.", "oneflow."),
]
#: Aliases assumed for a call given on the command line (no imports to read).
DEFAULT_ALIASES = {"optim": "torch.optim", "flow": "oneflow", "tf": "tf", "keras": "keras"}


class InputError(ValueError):
    """Input that cannot be read as an optimizer construction: one line, with its location."""


@dataclass
class Construction:
    """One call of an optimizer constructor, as written."""

    api: str
    line: int
    text: str
    #: Keyword -> value of every argument (positional ones named by the source signature later).
    keywords: dict[str, Any] = field(default_factory=dict)
    positional: list[Any] = field(default_factory=list)
    #: Source text of each positional argument (the parameter list keeps the user's names).
    positional_text: list[str] = field(default_factory=list)
    #: The variable the optimizer is assigned to, if any.
    target: str | None = None
    #: Arguments that are not literals: name (or ``#i``, ``**``) -> their source text.
    non_literal: dict[str, str] = field(default_factory=dict)


@dataclass
class Scan:
    constructions: list[Construction]
    scheduler: bool


def canonical(api: str) -> str:
    for prefix, replacement in [*((f"{k}.", f"{v}.") for k, v in COMPAT_MODULES.items()),
                                *CANONICAL]:
        if api.startswith(prefix):
            api = replacement + api[len(prefix):]
    return api


def _aliases(tree: ast.AST) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                full = COMPAT_MODULES.get(alias.name, alias.name)
                aliases[alias.asname or alias.name.split(".")[0]] = (
                    full if alias.asname else alias.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                aliases[alias.asname or alias.name] = COMPAT_MODULES.get(full, full)
    return aliases


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head else None
    return None


def _resolve(name: str, aliases: dict[str, str]) -> str:
    head, _, rest = name.partition(".")
    full = aliases.get(head, head)
    return canonical(f"{full}.{rest}" if rest else full)


def _constants(tree: ast.Module) -> dict[str, Any]:
    """Module-level names assigned exactly once, to a literal."""
    seen: dict[str, list[ast.AST]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    seen.setdefault(target.id, []).append(node.value)
    constants = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            name = stmt.targets[0]
            if isinstance(name, ast.Name) and len(seen.get(name.id, [])) == 1:
                try:
                    constants[name.id] = ast.literal_eval(stmt.value)
                except ValueError:
                    pass
    return constants


def _loop_bindings(tree: ast.AST) -> dict[int, list[dict[str, Any]]]:
    """Calls inside ``for a, b in <literal>:`` loops -> one name binding per iteration."""
    bindings: dict[int, list[dict[str, Any]]] = {}
    for loop in ast.walk(tree):
        if not isinstance(loop, ast.For):
            continue
        try:
            values = list(ast.literal_eval(loop.iter))
        except (ValueError, TypeError):
            continue
        names = ([loop.target.id] if isinstance(loop.target, ast.Name) else
                 [e.id for e in getattr(loop.target, "elts", []) if isinstance(e, ast.Name)])
        if not names or (len(names) > 1 and not all(
                isinstance(v, tuple | list) and len(v) == len(names) for v in values)):
            continue
        per_iteration = [dict(zip(names, v if len(names) > 1 else [v], strict=True))
                         for v in values]
        for statement in loop.body:
            for node in ast.walk(statement):
                if isinstance(node, ast.Call):
                    bindings[id(node)] = per_iteration
    return bindings


def _value(node: ast.AST, constants: dict[str, Any]) -> Any:
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    return ast.literal_eval(node)


def _construction(call: ast.Call, api: str, source: str, constants: dict[str, Any],
                  assigned: str | None) -> Construction:
    found = Construction(api, call.lineno, ast.get_source_segment(source, call) or api,
                         target=assigned)
    for i, arg in enumerate(call.args):
        text = ast.get_source_segment(source, arg) or ast.unparse(arg)
        found.positional_text.append(text)
        try:
            found.positional.append(_value(arg, constants))
        except ValueError:
            found.positional.append(None)
            found.non_literal[f"#{i}"] = text
    for keyword in call.keywords:
        text = ast.get_source_segment(source, keyword.value) or ast.unparse(keyword.value)
        if keyword.arg is None:
            if isinstance(keyword.value, ast.Name) and isinstance(
                    constants.get(keyword.value.id), dict):
                found.keywords.update(constants[keyword.value.id])
            else:
                found.non_literal["**"] = text
            continue
        try:
            found.keywords[keyword.arg] = _value(keyword.value, constants)
        except ValueError:
            found.non_literal[keyword.arg] = text
    return found


def scan(source: str, where: str, aliases: dict[str, str] | None = None) -> Scan:
    """Every optimizer construction in ``source``; ``where`` names it in errors."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise InputError(f"{where}:{exc.lineno}:{exc.offset}: syntax error: {exc.msg}") from None
    names = {**(aliases or {}), **_aliases(tree)}
    constants = _constants(tree)
    loops = _loop_bindings(tree)
    assigned: dict[int, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            target = node.targets[0]
            if isinstance(target, ast.Name | ast.Attribute):
                assigned[id(node.value)] = ast.unparse(target)
    found, scheduler = [], False
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        dotted = _dotted(node.func)
        if dotted is None:
            continue
        api = _resolve(dotted, names)
        if SCHEDULER_NAME.search(api):
            scheduler = True
        if OPTIMIZER_NAME.match(api.rsplit(".", 1)[-1]):
            # In a loop over literals: one construction per iteration, as the loop runs them.
            for binding in loops.get(id(node), [{}]):
                found.append(_construction(node, api, source, {**constants, **binding},
                                           assigned.get(id(node))))
    found.sort(key=lambda c: c.line)
    return Scan(found, scheduler)


def parse_call(text: str) -> Scan:
    """One constructor call given on the command line."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise InputError(f"<call>: column {exc.offset}: syntax error: {exc.msg}") from None
    if not isinstance(tree.body, ast.Call) or _dotted(tree.body.func) is None:
        raise InputError("<call>: expected an optimizer constructor call, "
                         "e.g. 'torch.optim.RMSprop(model.parameters(), lr=1e-3)'")
    result = scan(text.strip(), "<call>", DEFAULT_ALIASES)
    if not result.constructions:
        name = _dotted(tree.body.func)
        raise InputError(f"<call>: {name} is not an RMSprop or Rprop optimizer this tool knows")
    return result
