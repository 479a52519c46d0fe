#!/usr/bin/python3
"""Independent Izhikevich (2003) reference spike trains from Brian2.

Run with Debian's Brian2 (apt: python3-brian, 2.5.1):
    /usr/bin/python3 tests/reference/brian2_izhikevich.py
Writes tests/reference/izhikevich_brian2.json next to this script.

Model: dv/dt = (0.04 v^2 + 5 v + 140 - u + I)/ms, du/dt = a (b v - u)/ms,
v, u dimensionless (mV numbers), I = 10, threshold v >= 30,
reset v = c; u += d, forward Euler, dt = 0.1 ms, 1000 ms, v0 = -65, u0 = b*v0.

Within-step order, read from Brian2's generated numpy code (the script
stores that code in the JSON, so this is checked, not assumed):
  schedule = start, groups, thresholds, synapses, resets, end
  1. groups/state update: both derivatives use the OLD v and u
       _u = (_lio_1 * ((b * v) - u)) + u            _lio_1 = (a * dt) / ms
       _v = (_lio_2 * ((_lio_3 + ((0.04 * (v ** 2)) + (5.0 * v))) - u)) + v
            _lio_2 = dt / ms (= 0.1 exactly), _lio_3 = 140.0 + I (= 150)
     i.e. Brian2's loop-invariant optimisation regroups the sum; note
     (a*dt)/ms is 0.0020000000000000005 for a = 0.02, not 0.002.
  2. thresholds: v >= 30 on the NEW v.
  3. resets (only spiking neurons): v = c; u += d (u already updated in 1).
  A spike found in step n (integrating t_n -> t_n+1) is recorded at
  t_n = n*dt, i.e. one dt BEFORE the time the v >= 30 value belongs to.
  We store that step index n too ("steps_*") so no float rounding of times
  gets in the way of a comparison.

The numpy target is used so float64 runs are plain IEEE double numpy ops.
With prefs.core.default_float_dtype = float32 the state arrays are float32
and, under numpy 1.24 value-based casting, every vector op (constants and
dt/ms included) is done in float32. (A C++ target would promote the double
literals 0.04, 5.0 ... and compute mostly in double: different numbers.)
A pure-numpy replica of the generated code is run as a self-check.
"""
import json
import os
import sys

import numpy as np
import brian2
from brian2 import (NeuronGroup, SpikeMonitor, Network, defaultclock, ms,
                    prefs)

DT_MS, DURATION_MS, I = 0.1, 1000, 10
V0 = -65.0
PATTERNS = {  # name: (a, b, c, d)
    "RS": (0.02, 0.2, -65, 8), "IB": (0.02, 0.2, -55, 4),
    "CH": (0.02, 0.2, -50, 2), "FS": (0.1, 0.2, -65, 2),
    "LTS": (0.02, 0.25, -65, 2), "RZ": (0.1, 0.26, -65, 2),
    "TC": (0.02, 0.25, -65, 0.05),
}
EQS = """dv/dt = (0.04*v**2 + 5*v + 140 - u + I)/ms : 1
du/dt = a*(b*v - u)/ms : 1"""


def run_brian(a, b, c, d, dtype):
    prefs.codegen.target = "numpy"
    prefs.core.default_float_dtype = dtype
    defaultclock.dt = DT_MS * ms
    ns = dict(a=a, b=b, c=c, d=d, I=I)
    G = NeuronGroup(1, EQS, threshold="v >= 30", reset="v = c; u += d",
                    method="euler", namespace=ns)
    G.v = V0
    G.u = b * V0  # computed in Python double, then stored in dtype
    M = SpikeMonitor(G)
    net = Network(G, M)
    net.run(DURATION_MS * ms)
    steps = np.round(np.asarray(M.t / ms) / DT_MS).astype(int).tolist()
    code = {o.name: o.codeobj.code.run for o in G.contained_objects}
    return steps, code


def replica(a, b, c, d, dtype):
    # 1-element arrays, not numpy scalars, so the casting rules match the
    # vectorised Brian2 code (scalar float64 operands do not upcast f32).
    dt = float(DT_MS * ms)
    lio1, lio2, lio3 = (a * dt) / float(ms), dt / float(ms), 140.0 + I
    v = np.array([V0], dtype=dtype)
    u = np.array([b * V0], dtype=dtype)
    steps = []
    for n in range(int(round(DURATION_MS / DT_MS))):
        _u = (lio1 * ((b * v) - u)) + u
        _v = (lio2 * ((lio3 + ((0.04 * (v ** 2)) + (5.0 * v))) - u)) + v
        u, v = _u, _v
        if v[0] >= 30:
            steps.append(n)
            v[:] = c
            u += d
    return steps


def main():
    out = {
        "generator": f"brian2 {brian2.__version__} (numpy target, numpy "
                     f"{np.__version__}), tests/reference/brian2_izhikevich.py",
        "dt_ms": DT_MS, "duration_ms": DURATION_MS, "I": I, "v0": V0,
        "u0": "b*v0 (computed in float64, stored in the run's dtype)",
        "method": "euler",
        "spike_time_convention": "spike detected in step n is recorded at "
                                 "t = n*dt (start of the step); steps_* = n",
        "step_order": "state update of v and u from old values; threshold "
                      "v >= 30 on new v; reset v = c; u += d",
        "patterns": {},
    }
    for name, (a, b, c, d) in PATTERNS.items():
        p = {"a": a, "b": b, "c": c, "d": d}
        for tag, dtype in (("f64", np.float64), ("f32", np.float32)):
            steps, code = run_brian(a, b, c, d, dtype)
            check = replica(a, b, c, d, dtype)
            if check != steps:
                sys.exit(f"{name} {tag}: numpy replica disagrees with Brian2")
            p[f"count_{tag}"] = len(steps)
            p[f"times_ms_{tag}"] = [round(n * DT_MS, 10) for n in steps]
            p[f"steps_{tag}"] = steps
            print(f"{name} {tag}: {len(steps)} spikes", file=sys.stderr)
        out["patterns"][name] = p
    # keep one copy of the generated code (RS parameters) for readers
    _, out["generated_numpy_code_RS_f64"] = run_brian(*PATTERNS["RS"],
                                                      np.float64)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "izhikevich_brian2.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
