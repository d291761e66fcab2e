"""Items 1 (facades) and 6: each facade refuses what its framework refuses, when and with the
exception type it does (checked against MindSpore 2.10, Keras 3.15 / TF 2.21 and optax 0.2.8),
and a NaN momentum never reaches the engine (it once killed the process: SIGSEGV)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from optbridge.frameworks.keras.facade import RMSprop as KerasRMSprop
from optbridge.frameworks.keras.facade import UnimplementedError as KerasUnimplementedError
from optbridge.frameworks.mindspore.facade import RMSProp as MindSporeRMSProp
from optbridge.frameworks.mindspore.facade import Rprop as MindSporeRprop
from optbridge.frameworks.optax.facade import rmsprop as optax_rmsprop
from optbridge.frameworks.tf1.facade import RMSPropOptimizer, UnimplementedError

from .conftest import run_python

NAN, INF = float("nan"), float("inf")

# --- item 1: momentum=nan through each facade, in a child (it used to segfault) ----------------

NAN_MOMENTUM = {
    "mindspore": (
        ("from optbridge.frameworks.mindspore.facade import RMSProp\n"
        "try:\n"
        "    RMSProp([('w', torch.ones(3))], momentum=float('nan'))\n"
        "except ValueError as error:\n"
        "    print('REFUSED', error)\n"),
        "REFUSED For 'RMSProp', the 'momentum' must be a legal value, but got 'nan'.",
    ),
    "keras": (  # Keras uses momentum only when > 0: NaN means none
        ("from optbridge.frameworks.keras.facade import RMSprop\n"
        "w, plain = torch.ones(3), torch.ones(3)\n"
        "o, p = RMSprop(learning_rate=0.1, momentum=float('nan')), RMSprop(learning_rate=0.1)\n"
        "for _ in range(2):\n"
        "    o.apply([torch.ones(3)], [w]); p.apply([torch.ones(3)], [plain])\n"
        "print('SAME AS NO MOMENTUM', torch.equal(w, plain))\n"),
        "SAME AS NO MOMENTUM True",
    ),
    "tf1": (  # TF1 always runs mom = momentum*mom + ...: NaN everywhere
        ("from optbridge.frameworks.tf1.facade import RMSPropOptimizer\n"
        "w = torch.ones(3); o = RMSPropOptimizer(0.1, momentum=float('nan'))\n"
        "o.apply_gradients([(torch.ones(3), w)])\n"
        "print('ALL NAN', bool(w.isnan().all()), bool(o.get_slot(w, 'momentum').isnan().all()))\n"),
        "ALL NAN True True",
    ),
    "optax": (  # optax's trace u + nan * t is NaN from the first update
        ("from optbridge.frameworks.optax.facade import rmsprop\n"
        "tx = rmsprop(0.1, momentum=float('nan')); p = torch.ones(3)\n"
        "u, s = tx.update(torch.ones(3), tx.init(p), p)\n"
        "print('ALL NAN', bool(u.isnan().all()))\n"),
        "ALL NAN True",
    ),
    "torch_npu_constructed": (  # accepted (its checks are `< 0`); steps as torch's rule: none
        ("from optbridge.frameworks.torch_npu.facade import NpuFusedRMSprop\n"
         "w = torch.nn.Parameter(torch.ones(3))\n"
         "o = NpuFusedRMSprop([w], lr=0.1, momentum=float('nan'))\n"
         "ref = torch.nn.Parameter(torch.ones(3)); r = torch.optim.RMSprop([ref], lr=0.1)\n"
         "for _ in range(2):\n"
         "    w.grad = torch.ones(3); o.step(); ref.grad = torch.ones(3); r.step()\n"
         "print('AS TORCH WITHOUT MOMENTUM', torch.equal(w, ref))\n"),
        "AS TORCH WITHOUT MOMENTUM True",
    ),
    "torch_npu_set_later": (  # set in param_groups afterwards: torch's rule, no momentum
        ("from optbridge.frameworks.torch_npu.facade import NpuFusedRMSprop\n"
        "w = torch.nn.Parameter(torch.ones(3)); o = NpuFusedRMSprop([w], lr=0.1)\n"
        "ref = torch.nn.Parameter(torch.ones(3)); r = torch.optim.RMSprop([ref], lr=0.1)\n"
        "o.param_groups[0]['momentum'] = r.param_groups[0]['momentum'] = float('nan')\n"
        "for _ in range(2):\n"
        "    w.grad = torch.ones(3); o.step(); ref.grad = torch.ones(3); r.step()\n"
        "print('AS TORCH', torch.equal(w, ref))\n"),
        "AS TORCH True",
    ),
}


@pytest.mark.parametrize("facade", sorted(NAN_MOMENTUM))
def test_nan_momentum_does_what_the_framework_does(facade):
    code, expected = NAN_MOMENTUM[facade]
    result = run_python("import torch\n" + code)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == expected


# --- item 6: MindSpore validates at construction ------------------------------------------------

def _ms_params():
    return [("w", torch.ones(3))]


@pytest.mark.parametrize("value", [NAN, INF, -INF], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize(
    ("argument", "label"),
    [("learning_rate", "learning rate"), ("decay", "decay"), ("momentum", "momentum"),
     ("epsilon", "epsilon"), ("loss_scale", "loss_scale"), ("weight_decay", "weight_decay")],
)
def test_mindspore_refuses_illegal_floats(argument, label, value):
    with pytest.raises(ValueError) as raised:
        MindSporeRMSProp(_ms_params(), **{argument: value})
    assert str(raised.value) == (
        f"For 'RMSProp', the '{label}' must be a legal value, but got '{value}'.")


@pytest.mark.parametrize("argument", ["learning_rate", "weight_decay"])
def test_mindspore_rprop_refuses_illegal_floats(argument):
    label = "learning rate" if argument == "learning_rate" else argument
    with pytest.raises(ValueError, match=f"For 'Rprop', the '{label}' must be a legal value, "
                                         "but got 'nan'."):
        MindSporeRprop(_ms_params(), **{argument: NAN})


@pytest.mark.parametrize(("argument", "value", "type_name"),
                         [("decay", None, "NoneType"), ("momentum", "0.1", "str"),
                          ("epsilon", True, "bool")])
def test_mindspore_refuses_wrong_types(argument, value, type_name):
    with pytest.raises(TypeError) as raised:
        MindSporeRMSProp(_ms_params(), **{argument: value})
    assert str(raised.value) == (f"For 'RMSProp', the type of '{argument}' should be 'float', "
                                 f"but got type '{type_name}'.")


def test_mindspore_refuses_a_tensor_for_centered():
    with pytest.raises(TypeError, match="For 'RMSProp', the type of 'centered' should be 'bool', "
                                        "but got type 'Tensor'."):
        MindSporeRMSProp(_ms_params(), centered=torch.tensor([True, False]))


@pytest.mark.parametrize("etas", [(NAN, 1.2), (0.5, NAN), (0.5, INF)])
def test_mindspore_rprop_accepts_the_etas_mindspore_accepts(etas):
    # MindSpore's range check is `not (v <= low or v >= high)`: NaN passes it.
    assert MindSporeRprop(_ms_params(), etas=etas).etaminus is etas[0]


def test_mindspore_rprop_refuses_infinite_etaminus():
    with pytest.raises(ValueError, match=r"For 'Rprop', the 'etaminus' must be in range of "
                                         r"\(0.0, 1.0\), but got inf with type 'float'."):
        MindSporeRprop(_ms_params(), etas=(INF, 1.2))


# --- item 6: Keras validates at the first update (its constructor checks none of these) ----------

def _keras_apply(**kwargs):
    optimizer = KerasRMSprop(**kwargs)  # constructs, as Keras does
    optimizer.apply([torch.ones(3)], [torch.ones(3)])


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"rho": None}, ValueError, ("Argument `rho`: Attempt to convert a value (None) with an "
                                    "unsupported type (<class 'NoneType'>) to a Tensor.")),
        ({"epsilon": "0.1"}, ValueError, ("Argument `epsilon`: dtype='string' is not a valid dtype "
                                         "for Keras type promotion.")),
        ({"momentum": None}, TypeError, ("Argument `momentum`: '>' not supported between instances "
                                        "of 'NoneType' and 'int'")),
        ({"clipvalue": "x"}, TypeError, ("Argument `clipvalue`: '>' not supported between instances"
                                        " of 'str' and 'int'")),
        ({"centered": torch.tensor([True, False])}, ValueError,
         ("Argument `centered`: The truth value of an array with more than one element is "
         "ambiguous. Use a.any() or a.all()")),
    ],
)
def test_keras_refuses_at_the_first_update(kwargs, error, message):
    with pytest.raises(error) as raised:
        _keras_apply(**kwargs)
    assert str(raised.value).startswith(message)


def test_keras_refuses_a_string_weight_decay_as_tf_at_the_first_update():
    # /work/envs/tensorflow/bin/python: o = keras.optimizers.RMSprop(learning_rate=0.1,
    # weight_decay="0.1") constructs; o.apply([tf.ones(3)], [tf.Variable([1.0, 1.0, 1.0])])
    # raises tensorflow.python.framework.errors_impl.UnimplementedError "{{function_node
    # __wrapped__Cast_device_/job:localhost/replica:0/task:0/device:CPU:0}} Cast string to
    # float is not supported [Op:Cast] name: "
    variable = torch.ones(3)
    optimizer = KerasRMSprop(learning_rate=0.1, weight_decay="0.1")
    with pytest.raises(KerasUnimplementedError, match="^Argument `weight_decay`: Cast string to "
                                                      "float is not supported$"):
        optimizer.apply([torch.ones(3)], [variable])
    assert variable.tolist() == [1.0] * 3


@pytest.mark.parametrize("name", [3, "a/b"])
def test_keras_refuses_a_bad_name_at_construction(name):
    with pytest.raises(ValueError, match="Argument `name` must be a string and cannot contain "
                                         f"character `/`. Received: name={name}"):
        KerasRMSprop(name=name)


@pytest.mark.parametrize("learning_rate", [None, "0.1", True])
def test_keras_refuses_a_bad_learning_rate_at_construction(learning_rate):
    with pytest.raises(ValueError, match="Argument `learning_rate` should be float"):
        KerasRMSprop(learning_rate=learning_rate)


# --- item 6: TF1 validates nothing when constructed, everything at the first update ---------------

def _tf1_apply(**kwargs):
    optimizer = RMSPropOptimizer(**{"learning_rate": 0.1, **kwargs})
    optimizer.apply_gradients([(torch.ones(3), torch.ones(3))])


@pytest.mark.parametrize("argument", ["learning_rate", "decay", "momentum", "epsilon"])
def test_tf1_refuses_strings_and_none_at_the_first_update(argument):
    with pytest.raises(UnimplementedError, match=f"Argument `{argument}`: Cast string to float is "
                                                 "not supported"):
        _tf1_apply(**{argument: "0.1"})
    with pytest.raises(ValueError, match=rf"Argument `{argument}`: Attempt to convert a value "
                                         r"\(None\)"):
        _tf1_apply(**{argument: None})


def test_tf1_checks_use_locking_name_and_centered():
    with pytest.raises(TypeError, match="Expected bool for argument 'use_locking' not 'x'."):
        _tf1_apply(use_locking="x")
    with pytest.raises(TypeError, match=r"Argument `name`: can only concatenate str \(not \"int\"\)"):
        _tf1_apply(name=3)
    with pytest.raises(ValueError, match="Must specify the optimizer name"):
        RMSPropOptimizer(0.1, name="")
    with pytest.raises(ValueError, match="Argument `centered`: The truth value of an array"):
        _tf1_apply(centered=np.array([True, False]))


def test_tf1_computes_with_nan_and_inf_as_tf_does():
    # TF 2.21 (one step, grad 1, w 1, lr 0.1): decay=nan -> nan, epsilon=inf -> 1.0.
    for kwargs, expected in [({"decay": NAN}, NAN), ({"epsilon": INF}, 1.0),
                             ({"learning_rate": INF}, -INF)]:
        w = torch.ones(3)
        RMSPropOptimizer(**{"learning_rate": 0.1, **kwargs}).apply_gradients([(torch.ones(3), w)])
        assert all(math.isnan(x) if math.isnan(expected) else x == expected for x in w.tolist())


# --- item 6: optax fails at the first update -----------------------------------------------------

@pytest.mark.parametrize(("argument", "value"),
                         [("decay", None), ("eps", None), ("decay", "0.9"), ("learning_rate", "0.1")])
def test_optax_refuses_non_numbers_at_the_first_update(argument, value):
    tx = optax_rmsprop(**{"learning_rate": 0.1, argument: value})  # constructs, as optax
    params = torch.ones(3)
    with pytest.raises(TypeError) as raised:
        tx.update(torch.ones(3), tx.init(params), params)
    assert str(raised.value) == (
        f"optbridge.compat.optax.rmsprop: {argument} must be a number, got {value!r}")
