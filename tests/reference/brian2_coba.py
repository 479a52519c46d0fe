#!/usr/bin/python3
"""Statistical COBA reference (Brette et al. 2007 benchmark 1) from Brian2.

Run with Debian's Brian2 (apt: python3-brian, 2.5.1):
    /usr/bin/python3 tests/reference/brian2_coba.py [--seeds 1 2 3 4 5]
Writes tests/reference/coba_brian2.json next to this script.

Source of the definition: Brian's own benchmark-1 script by R. Brette
(Dec 2007), brian-team/brian examples/COBA.py, as ported to Brian2 in the
early brian2 tree (examples/COBA.py, still visible in the fork
wernight/brian2 @ acd31cef; brian-team/brian2 today only ships COBAHH).
Only the syntax is modernised here (pre= -> on_pre=, connect(True, p=) ->
connect(p=), 'weave' -> numpy). Points a re-implementation must match:
  * v is measured relative to -60 mV (El = 0): threshold v > 10 mV (strict)
    = -50 mV, reset 0 mV = -60 mV, Ee = 60 mV = 0 mV, Ei = -20 mV = -80 mV.
  * conductances are dimensionless, in units of the leak conductance;
    each exc spike adds we = 0.6, each inh spike wi = 6.7 (both positive;
    the sign comes from Ei - v).
  * init: v = (randn()*5 - 5) mV (i.e. N(-65, 5) mV absolute, NOT uniform
    in [Vr, Vt]), ge = randn()*1.5 + 4, gi = randn()*12 + 20; Gaussian,
    so a few ge/gi start negative; nothing clips them.
  * forward Euler, dt 0.1 ms; v frozen during the 5 ms refractory period
    ("unless refractory"), ge/gi keep decaying.
  * synapses from the subgroups Pe = P[:3200] and Pi = P[3200:] onto all of
    P, each pair independently with p = 0.02; autapses are NOT excluded
    (Pe/Pi index i is P index i, so i -> i can occur), no multapses,
    zero delay: a spike found in step n changes ge/gi in the same step,
    after the threshold, and so acts on the integration of step n+1.
  * step order (generated code): refractory flag
    (timestep(t - lastspike) >= 50), Euler update of v, ge, gi from old
    values, threshold (v > 10 mV and not refractory), synaptic += ,
    reset. Spikes are stamped with t at the start of the step.
The numbers are statistics over seeds (chaotic network): compare
distributions, not spike trains.
"""
import argparse
import json
import os
import sys

import numpy as np
import brian2
from brian2 import (NeuronGroup, Synapses, SpikeMonitor, Network, ms, mV,
                    defaultclock, prefs, seed)

N, NE = 4000, 3200
DT_MS, DURATION_MS, BIN_MS = 0.1, 1000, 10
EQS = """dv/dt = (-v+ge*(Ee-v)+gi*(Ei-v))*(1./taum) : volt (unless refractory)
dge/dt = -ge*(1./taue) : 1
dgi/dt = -gi*(1./taui) : 1"""
INIT = {"v": "(randn()*5 - 5)*mV", "ge": "randn()*1.5 + 4",
        "gi": "randn()*12 + 20"}
PARAMS = dict(taum=20 * ms, taue=5 * ms, taui=10 * ms,
              Ee=(0. + 60.) * mV, Ei=(-80. + 60.) * mV,
              we=6. / 10., wi=67. / 10.)


def run(s):
    prefs.codegen.target = "numpy"
    defaultclock.dt = DT_MS * ms
    seed(s)
    P = NeuronGroup(N, EQS, threshold="v>10*mV", reset="v=0*mV",
                    refractory=5 * ms, method="euler", namespace=PARAMS)
    Pe, Pi = P[:NE], P[NE:]
    Ce = Synapses(Pe, P, on_pre="ge+=we", namespace=PARAMS)
    Ci = Synapses(Pi, P, on_pre="gi+=wi", namespace=PARAMS)
    Ce.connect(p=0.02)
    Ci.connect(p=0.02)
    for var, expr in INIT.items():
        setattr(P, var, expr)
    M = SpikeMonitor(P)
    net = Network(P, Ce, Ci, M)
    net.run(DURATION_MS * ms)

    i, t = np.asarray(M.i), np.asarray(M.t / ms)
    counts = np.bincount(i, minlength=N)
    cvs = []
    for trains in M.spike_trains().values():
        if len(trains) >= 3:  # >= 2 ISIs, so std is defined
            isi = np.diff(np.asarray(trains / ms))
            cvs.append(isi.std() / isi.mean())  # population std (ddof=0)
    hist = np.histogram(t, bins=np.arange(0, DURATION_MS + BIN_MS, BIN_MS))[0]
    pre_e, post_e = np.asarray(Ce.i), np.asarray(Ce.j)
    pre_i, post_i = np.asarray(Ci.i) + NE, np.asarray(Ci.j)
    return {
        "seed": s, "synapses_exc": len(pre_e), "synapses_inh": len(pre_i),
        "autapses": int((pre_e == post_e).sum() + (pre_i == post_i).sum()),
        "total_spikes": int(len(i)),
        "mean_rate_hz": len(i) / N / (DURATION_MS / 1000),
        "exc_rate_hz": counts[:NE].sum() / NE / (DURATION_MS / 1000),
        "inh_rate_hz": counts[NE:].sum() / (N - NE) / (DURATION_MS / 1000),
        "mean_cv_isi": float(np.mean(cvs)) if cvs else None,
        "n_neurons_cv": len(cvs),
        "fraction_fired": float((counts > 0).mean()),
        "hist_counts_10ms": hist.tolist(),
        "hist_rate_hz_10ms": (hist / N / (BIN_MS / 1000)).tolist(),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=list(range(1, 11)))
    seeds = ap.parse_args().seeds
    runs = []
    for s in seeds:
        r = run(s)
        print(f"seed {s}: {r['mean_rate_hz']:.2f} Hz, CV {r['mean_cv_isi']}, "
              f"fired {r['fraction_fired']:.3f}", file=sys.stderr)
        runs.append(r)
    keys = ["mean_rate_hz", "exc_rate_hz", "inh_rate_hz", "mean_cv_isi",
            "fraction_fired", "total_spikes"]
    summary = {k: {"mean": float(np.mean([r[k] for r in runs])),
                   "sd": float(np.std([r[k] for r in runs], ddof=1))}
               for k in keys}
    out = {
        "generator": f"brian2 {brian2.__version__} (numpy target, float64), "
                     "tests/reference/brian2_coba.py",
        "source": "brian-team/brian examples/COBA.py (R. Brette 2007), Brian2 "
                  "port as in early brian2 examples/COBA.py "
                  "(wernight/brian2@acd31cef47f7016c5d530419e450910aee73f891)",
        "model": {
            "N": N, "N_exc": NE, "N_inh": N - NE,
            "equations": EQS, "method": "euler", "dt_ms": DT_MS,
            "duration_ms": DURATION_MS,
            "threshold": "v>10*mV", "reset": "v=0*mV", "refractory": "5*ms",
            "voltage_offset": "v is relative to -60 mV: absolute = v - 60 mV",
            "params": {"taum": "20*ms", "taue": "5*ms", "taui": "10*ms",
                       "Ee": "(0.+60.)*mV", "Ei": "(-80.+60.)*mV",
                       "we": "6./10.", "wi": "67./10."},
            "init": INIT,
            "connectivity": "Ce = Synapses(P[:3200], P, on_pre='ge+=we'); "
                            "Ci = Synapses(P[3200:], P, on_pre='gi+=wi'); "
                            "both .connect(p=0.02): independent Bernoulli per "
                            "pair, autapses allowed, no delay",
            "step_order": "not_refractory = timestep(t-lastspike) >= 50; "
                          "Euler update (old values; v only if not "
                          "refractory); threshold v>10mV & not_refractory "
                          "(sets lastspike=t); ge/gi += w for targets; "
                          "reset v=0",
        },
        "metric_notes": {
            "mean_rate_hz": "total spikes / N / 1 s",
            "mean_cv_isi": "mean over neurons with >= 3 spikes of "
                           "std(ISI)/mean(ISI), std with ddof=0",
            "fraction_fired": "neurons with >= 1 spike / N",
            "hist": "all spikes in 10 ms bins [0,10),...; rate = count/N/10ms",
            "summary_sd": "sample sd across seeds (ddof=1)",
        },
        "seeds": runs,
        "summary": summary,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "coba_brian2.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(json.dumps(summary), file=sys.stderr)


if __name__ == "__main__":
    main()
