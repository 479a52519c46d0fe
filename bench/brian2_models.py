#!/usr/bin/python3
"""Brian2 cpp_standalone side of bench/models.ts: the networks of bench/documents/*.yaml.

    /usr/bin/python3 bench/brian2_models.py --net cobahh --duration 1 --build-only
    /usr/bin/python3 bench/brian2_models.py --net triplet-stdp --duration 2

Run with Debian's Brian2 (apt: python3-brian, 2.5.1; NOT the pyenv python3).
The model strings (equations, threshold, reset, refractory, method, on_pre,
on_post) and parameter values are read from the Flux document, so both sides
run the same text. Flux's synaptic channels g_exc / g_inh are state variables
here, decaying with tau_syn_exc / tau_syn_inh as Flux's channels do; I_ext
(nothing drives it in these documents) is the constant 0 A.

  cobahh        Brian2's examples/COBAHH.py (Brette et al. 2007, benchmark 3):
                4000 HH neurons, 80% excitatory, p = 0.02 (self-connections
                allowed, as Flux's `autapses: true`), ge += 6 nS / gi += 67 nS,
                COBAHH's random initial v, ge, gi.
  triplet-stdp  1000 PoissonGroup inputs at the document's rate onto 100
                neurons, all to all, Pfister & Gerstner's minimal triplet rule.

Single thread (openmp_threads 0), make -j<jobs>; Brian2's flags -O3
-ffast-math -march=native. With --build-only the build directory is printed
(one JSON line on stdout) and the caller runs ./main there itself, so that
Brian2 and Flux runs alternate. Each run of ./main writes
results/bench_loop_wall_s.txt (clock_gettime(CLOCK_MONOTONIC) around
Network::run, via device.insert_code) and results/bench_spikes.txt (the
spikes of the recorded group during the run).
"""
import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))

T0 = "struct timespec _bench_t0, _bench_t1; clock_gettime(CLOCK_MONOTONIC, &_bench_t0);"
T1 = ("clock_gettime(CLOCK_MONOTONIC, &_bench_t1);"
      "{ std::ofstream _f(\"results/bench_loop_wall_s.txt\"); _f.precision(9);"
      " _f << (double)(_bench_t1.tv_sec - _bench_t0.tv_sec)"
      " + 1e-9 * (double)(_bench_t1.tv_nsec - _bench_t0.tv_nsec); }")
# The SpikeMonitor is named `mon`: its count array is brian::_array_mon_count.
COUNT = ("{ long _n = 0; for (int _i = 0; _i < _num__array_mon_count; _i++) _n += _array_mon_count[_i];"
         " std::ofstream _f(\"results/bench_spikes.txt\"); _f << _n; }")

CHANNELS = """
dg_exc/dt = -g_exc/tau_syn_exc : siemens
dg_inh/dt = -g_inh/tau_syn_inh : siemens
"""


def quantity(b2, text):
    """A Flux quantity ("200 pF", "20000 um**2", 0.007) as a Brian2 quantity."""
    if isinstance(text, (int, float)):
        return text
    m = re.fullmatch(r"\s*([-+0-9.eE]+)\s*(.*?)\s*", text)
    if not m:
        raise ValueError(f"not a quantity: {text!r}")
    return float(m.group(1)) * (eval(m.group(2), vars(b2)) if m.group(2) else 1)


def namespace(b2, model, extra=None):
    ns = {k: quantity(b2, v) for k, v in (model.get("parameters") or {}).items()}
    ns.update(extra or {})
    return ns


def neuron_group(b2, model, n, ns, name):
    return b2.NeuronGroup(n, model["equations"] + CHANNELS, threshold=model.get("threshold"), reset=model.get("reset"),
                          refractory=quantity(b2, model["refractory"]) if "refractory" in model else False,
                          method=model.get("method"), namespace=ns, name=name)


def cobahh(b2, doc):
    model = doc["models"]["hh"]
    cell = doc["populations"]["exc"]["params"]
    ns = namespace(b2, model, {"tau_syn_exc": quantity(b2, cell["tau_syn_exc"]), "tau_syn_inh": quantity(b2, cell["tau_syn_inh"]),
                               "I_ext": 0 * b2.amp})
    ne = doc["populations"]["exc"]["size"]
    n = ne + doc["populations"]["inh"]["size"]
    P = neuron_group(b2, model, n, ns, "cells")
    proj = doc["projections"]
    p = proj["ee"]["connectivity"]["p"]
    Ce = b2.Synapses(P[:ne], P, on_pre="g_exc_post += we", namespace={"we": quantity(b2, proj["ee"]["weight"])})
    Ci = b2.Synapses(P[ne:], P, on_pre="g_inh_post += wi", namespace={"wi": quantity(b2, proj["ie"]["weight"])})
    Ce.connect(p=p)
    Ci.connect(p=p)
    # COBAHH.py's initial state (Flux's init: normal(-65 mV, 5 mV), normal(40 nS, 15 nS), normal(200 nS, 120 nS)).
    P.v = "El + (randn() * 5 - 5)*mV"
    P.g_exc = "(randn() * 1.5 + 4) * 10.*nS"
    P.g_inh = "(randn() * 12 + 20) * 10.*nS"
    return P, [P, Ce, Ci], lambda: int(len(Ce) + len(Ci))


def triplet_stdp(b2, doc):
    cells = doc["populations"]["cells"]
    inputs = doc["populations"]["inputs"]
    model = doc["models"][cells["model"]]
    proj = doc["projections"]["plastic"]
    syn = doc["models"][proj["synapse"]["model"]]
    ns = namespace(b2, model, {"tau_syn_exc": 5 * b2.ms, "tau_syn_inh": 10 * b2.ms, "I_ext": 0 * b2.amp})
    post = neuron_group(b2, model, cells["size"], ns, "cells")
    for k, v in (model.get("initial") or {}).items():
        setattr(post, k, v)
    pre = b2.PoissonGroup(inputs["size"], rates=quantity(b2, inputs["params"]["rate"]))
    S = b2.Synapses(pre, post, model=syn["equations"], on_pre=syn["on_pre"], on_post=syn["on_post"],
                    namespace=namespace(b2, syn), name="plastic")
    S.connect()
    u = proj["weight"]["uniform"]
    S.w = f"{u['low']} + rand()*({u['high']} - {u['low']})"
    return post, [pre, post, S], lambda: int(len(S))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--net", choices=["cobahh", "triplet-stdp"], required=True)
    ap.add_argument("--duration", type=float, default=1.0, help="seconds")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=1, help="make -j")
    ap.add_argument("--build-only", action="store_true", help="compile, keep the build directory and print it")
    args = ap.parse_args()

    # Brian2, make and the compiled binary all write to fd 1; keep stdout clean for the JSON line.
    real_stdout = os.dup(1)
    os.dup2(2, 1)

    import brian2 as b2
    with open(os.path.join(HERE, "documents", f"{args.net}.yaml")) as f:
        doc = yaml.safe_load(f)
    b2.set_device("cpp_standalone", build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0  # single thread
    b2.prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{args.jobs}"]
    b2.defaultclock.dt = quantity(b2, doc["dt"])
    b2.seed(args.seed)
    group, objects, synapses = (cobahh if args.net == "cobahh" else triplet_stdp)(b2, doc)
    # An explicit Network: Brian2's magic run() only collects objects named in the caller's frame.
    net = b2.Network(*objects, b2.SpikeMonitor(group, record=False, name="mon"))
    b2.device.insert_code("before_network_run", T0)
    b2.device.insert_code("after_network_run", T1 + COUNT)
    net.run(args.duration * b2.second)

    d = tempfile.mkdtemp(prefix=f"brian2_{args.net}_", dir="/tmp")
    keep = args.build_only
    try:
        t = time.perf_counter()
        b2.device.build(directory=d, compile=True, run=False, with_output=False)
        out = {"net": args.net, "dir": d, "compile_time_s": time.perf_counter() - t, "neurons": len(group)}
        if not args.build_only:
            b2.device.run(d, with_output=False, run_args=[])
            with open(os.path.join(d, "results", "bench_loop_wall_s.txt")) as f:
                out["loop_time_s"] = float(f.read())
            with open(os.path.join(d, "results", "bench_spikes.txt")) as f:
                out["spikes"] = int(f.read())
            out["synapses"] = synapses()
            out["rate_hz"] = out["spikes"] / len(group) / args.duration
    finally:
        if not keep:
            shutil.rmtree(d, ignore_errors=True)
    os.dup2(real_stdout, 1)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    sys.exit(main())
