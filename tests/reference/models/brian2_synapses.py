#!/usr/bin/python3
"""Brian2 reference runs of user-defined synapse and learning models (Flux issue 18: models as data).

Run with Debian's Brian2 (apt: python3-brian, 2.5.1; NOT the pyenv python3):
    /usr/bin/python3 tests/reference/models/brian2_synapses.py
Writes tests/reference/models/synapses_brian2.json next to this script, or to
$FLUX_REFERENCE_OUT (about 40 s on 2 cores). Numpy code generation target, float64.

Each case has a Flux circuit document beside this script, syn_<case>.yaml, whose
models (neuron and `kind: synapse`), populations and projections are the strings
used here; the script loads every YAML and stops if any string differs. A Flux
test runs each document for `duration` and compares with the JSON. Every
projection but those of syn_delayed_stdp has delay 0: on_pre runs in the step of
the presynaptic spike. syn_delayed_stdp's projections have one constant delay D
each (Synapses(..., delay=D); Flux draws per-synapse delays with its own RNG, so
only constant delays can be reproduced): on_pre runs when the spike ARRIVES, in
step n + D/dt for a spike of step n (its t, the event-driven variables' advance,
the _post values it reads and writes and its change of w are those of step
n + D/dt; what it adds to I_exc is felt from the step after); on_post runs in the
step of the postsynaptic spike (the post pathway has no delay).

Presynaptic (and, for the STDP cases but syn_delayed_stdp, whose cells are
leaky integrate-and-fire, postsynaptic) spikes come from the model
`spike_train`: dphase/dt = rate (paused while t_off <= t < t_on), a spike when
phase >= 1, reset phase -= 1, phase starting at 1 - rate*t_first. t_first,
t_off and t_on are always half-way through a step (x.x5 ms) and every period is
a whole number of steps, so the phase passes 1 half a step's increment away
from the threshold: rounding (Brian2 in seconds, Flux in ms) cannot move a spike.
The first spike is in step floor(t_first/dt). The script computes the intended
spike steps with exact fractions and checks Brian2's against them.

Cases and sources:
  syn_alpha            alpha-function conductance (Rall 1967): per-synapse clock-
                       driven dg/dt = (s - g)/tau_s, ds/dt = -s/tau_s (the ODE form
                       of (t/tau)exp(-t/tau), Brian2 user guide "Converting from
                       integrated form to ODEs"), on_pre s += w*e so that one spike
                       gives g(t) = w*(t/tau_s)*exp(1 - t/tau_s), peak w at t = tau_s;
                       g_syn_post = g (summed) into the parameter g_syn of a passive
                       membrane. Two trains converge on one cell (the sum is over
                       synapses). method exact (synapse), euler (cell).
  syn_tm_depression    Tsodyks-Markram in the form of Markram, Wang & Tsodyks (1998)
  syn_tm_facilitation  PNAS 95:5323 (eqs. of the Brian2 example
                       synapses/short_term_plasticity.py; Tsodyks & Wu 2013,
                       Scholarpedia 8:3153): u relaxes to 0, u += U*(1 - u) before
                       the release u*x, x -= u*x. Depressing U 0.5, tau_d 200 ms,
                       tau_f 1 ms (u is back to 0 before each spike: release U*x);
                       facilitating U 0.15, tau_f 750 ms, tau_d 50 ms (Tsodyks & Wu
                       2013, Fig. 1B). 10 spikes at 20 Hz from 10 ms, a recovery
                       spike 500 ms after the last; I_exc_post += w*u*x into the
                       engine's current channel of a passive membrane.
  syn_triplet_stdp     Pfister & Gerstner (2006) J Neurosci 26:9673, triplet rule,
                       all-to-all, visual cortex parameters of Table 4 (Sjostrom
                       et al. 2001 data): minimal model (A3- = 0) and, as a second
                       projection, the full model (A3- = 2.3e-4). 60 pre/post pairs,
                       post 10 ms after (+10) or before (-10) pre, at 1, 5, 10, 20,
                       40, 50 Hz; the synapse writes nothing to the post.
  syn_bcm              BCM (Bienenstock, Cooper & Munro 1982) with the sliding
                       threshold of Intrator & Cooper (1992) (theta = <c^2>, here a
                       low-pass filter: dtheta/dt = (nu_post**2/nu_0 - theta)/tau_theta),
                       dw/dt = eta*nu_pre*nu_post*(nu_post - theta) normalised by
                       nu_0, rates estimated per neuron (dnu/dt = -nu/tau_r, nu +=
                       1/tau_r at each spike) and read as nu_pre / nu_post. Open loop:
                       the post rates are imposed (regular trains), w drives nothing.
  syn_pair_stdp        pair STDP as Brian2's example synapses/STDP.py (Song, Miller &
                       Abbott 2000): taupre = taupost = 20 ms, wmax 0.01, Apre =
                       0.01*wmax, Apost = -1.05*Apre; one pairing per synapse,
                       dt_pair = t_post - t_pre from -50 to +50 ms in 2 ms steps.
  syn_delayed_stdp     on_pre at arrival: pair STDP (taupre = taupost = 20 ms, Apre
                       0.02, Apost -0.021, wmax 1, w from 0.5) whose on_pre also adds
                       eta*(v_post - v_rest)/v_scale to w (eta 0.002, v_rest -70 mV,
                       v_scale 10 mV; cf. the voltage dependence of Clopath et al.
                       2010) and then I_exc_post += w*I_0 (I_0 100 pA). 4 regular
                       trains (16, 25, 40, 50 Hz) onto 4 leaky integrate-and-fire
                       cells (C 250 pF, tau_m 20 ms, E_L = V_r -70 mV, V_th -50 mV,
                       bias I_b 260..350 pA: they fire on their own, every 16-23 ms
                       with the input), all to all, through 3 projections with
                       delays 1, 2.5 and 5 ms (named d1, d2_5, d5: Brian2 runs the
                       pathways by name, Flux in document order, so the I_exc sums
                       are added in the same order). Many post spikes fall between
                       a pre spike and its arrival, where running on_pre at emission
                       would give other weights. Checked here against an event
                       replica (w, and the I_exc jumps at spike step + delay).

Order of work within a step, as Brian2 schedules it (and as the JSON records):
  1. summed variables: target parameter = sum over its synapses of the expression,
     from the synapse values at the start of the step (SummedVariableUpdater,
     when='groups', order = target order - 1);
  2. neuron state updates, then synapse clock-driven updates (Synapses order=1
     here, explicitly), which read _pre/_post values after the neurons' update;
  3. thresholds (spike recorded at t = n*dt);
  4. the engine's channel decay (I_exc *= exp(-dt/tau_syn_exc); emulated with a
     run_regularly before the synapses, as Flux decays after the neuron step and
     before it adds this step's spikes);
  5. on_pre of every projection for the spikes arriving in this step (sent in
     this step with delay 0, D/dt steps ago with delay D), then on_post (Brian2
     pathway order -1 / +1; projections by name): a pre arrival and a post spike
     in the same step run on_pre first; event-driven variables are advanced
     exactly from the synapse's last event to t = n*dt;
  6. resets.
  Traces are StateMonitor samples at the start of a step (value at t = n*dt).
"""
import json
import math
import os
import re
import sys
import time
from fractions import Fraction

import numpy as np
import yaml
import brian2
from brian2 import (NeuronGroup, Synapses, SpikeMonitor, StateMonitor, Network, Equations, defaultclock, prefs,
                    ms)
import brian2.units as bu
from brian2.units.fundamentalunits import get_unit

prefs.codegen.target = "numpy"
prefs.core.default_float_dtype = np.float64
HERE = os.path.dirname(os.path.abspath(__file__))
UNITS = {k: getattr(bu, k) for k in dir(bu) if not k.startswith("_")}
DT = "0.1 ms"
NEVER = "1000 second"


def quantity(text):
    """'281 pF', '0.02/ms', '-0.1' -> the value Brian2 gets from '281*pF' etc."""
    text = str(text).strip()
    m = re.fullmatch(r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*)", text)
    if not m:
        raise ValueError(f"not a quantity: {text!r}")
    number, unit = m.groups()
    if not unit:
        return float(number)
    expr = f"{number}*{unit}" if not unit.startswith("/") else f"{number}{unit}"
    try:
        return eval(expr, {"__builtins__": {}}, UNITS)  # unit names only
    except (NameError, SyntaxError, TypeError) as err:
        raise ValueError(f"not a quantity: {text!r}") from err


def exact(text):
    """A quantity as an exact fraction of its SI value ('10.05 ms' -> 201/20000)."""
    number, unit = str(text).split()
    return Fraction(number) * {"ms": Fraction(1, 1000), "Hz": 1, "second": 1}[unit]


def sig6(x):
    return float(f"{x:.6g}")


def unit_text(q):
    return repr(get_unit(q.dim)) if hasattr(q, "dim") and not q.is_dimensionless else "1"


# ----- models -----

SPIKE_TRAIN = dict(
    description="regular spike train at rate, first spike in the step holding t_first, paused from t_off to t_on",
    parameters={"rate": "10 Hz", "t_first": "0.05 ms", "t_off": NEVER, "t_on": NEVER},
    equations="dphase/dt = rate*int(t < t_off or t >= t_on) : 1\n",
    threshold="phase >= 1", reset="phase -= 1", refractory=None, method="euler",
    initial={"phase": "1 - rate*t_first"},
)

PASSIVE_G = dict(
    description="passive membrane with a synaptic conductance g_syn summed from its synapses",
    parameters={"C": "200 pF", "g_L": "10 nS", "E_L": "-70 mV", "E_syn": "0 mV", "g_syn": "0 nS"},
    equations="dv/dt = (g_L*(E_L - v) + g_syn*(E_syn - v))/C : volt\n",
    threshold=None, reset=None, refractory=None, method="euler", initial={"v": "E_L"},
)

ALPHA = dict(
    kind="synapse",
    description="alpha-function conductance, peak w at tau_s after a spike (Rall 1967)",
    parameters={"tau_s": "5 ms"},
    equations=("w : siemens\n"
               "dg/dt = (s - g)/tau_s : siemens (clock-driven)\n"
               "ds/dt = -s/tau_s : siemens (clock-driven)\n"
               "g_syn_post = g : siemens (summed)\n"),
    on_pre="s += w*e\n", on_post=None, method="exact", initial={},
)

PASSIVE_I = dict(
    description="passive membrane driven by the engine's excitatory current channel I_exc",
    parameters={"C": "250 pF", "tau_m": "20 ms", "E_L": "-70 mV"},
    equations="dv/dt = (E_L - v)/tau_m + I_exc/C : volt\n",
    threshold=None, reset=None, refractory=None, method="euler", initial={"v": "E_L"},
)

TSODYKS_MARKRAM = dict(
    kind="synapse",
    description="Tsodyks-Markram short-term plasticity (Markram, Wang & Tsodyks 1998): release u*x per spike",
    parameters={"U": "0.5", "tau_d": "200 ms", "tau_f": "1 ms"},
    equations=("w : amp\n"
               "du/dt = -u/tau_f : 1 (event-driven)\n"
               "dx/dt = (1 - x)/tau_d : 1 (event-driven)\n"),
    on_pre="u += U*(1 - u)\nI_exc_post += w*u*x\nx -= u*x\n", on_post=None, method=None, initial={"x": "1"},
)

TRIPLET = dict(
    kind="synapse",
    description="triplet STDP, all-to-all (Pfister & Gerstner 2006), visual cortex, minimal model",
    parameters={"tau_plus": "16.8 ms", "tau_minus": "33.7 ms", "tau_x": "101 ms", "tau_y": "125 ms",
                "A2_plus": "5e-10", "A3_plus": "0.0062", "A2_minus": "0.007", "A3_minus": "0"},
    equations=("w : 1\n"
               "dr1/dt = -r1/tau_plus : 1 (event-driven)\n"
               "dr2/dt = -r2/tau_x : 1 (event-driven)\n"
               "do1/dt = -o1/tau_minus : 1 (event-driven)\n"
               "do2/dt = -o2/tau_y : 1 (event-driven)\n"),
    on_pre="w -= o1*(A2_minus + A3_minus*r2)\nr1 += 1\nr2 += 1\n",
    on_post="w += r1*(A2_plus + A3_plus*o2)\no1 += 1\no2 += 1\n", method=None, initial={},
)

RATE_TRAIN = dict(
    description="regular spike train with a running rate estimate nu (low-pass of the spikes, mean = rate)",
    parameters={"rate": "10 Hz", "t_first": "0.05 ms", "tau_r": "500 ms"},
    equations="dphase/dt = rate : 1\ndnu/dt = -nu/tau_r : Hz\n",
    threshold="phase >= 1", reset="phase -= 1; nu += 1/tau_r", refractory=None, method="euler",
    initial={"phase": "1 - rate*t_first", "nu": "rate"},
)

BCM = dict(
    kind="synapse",
    description="BCM rule with a sliding threshold theta = low-pass of nu_post**2/nu_0 (Intrator & Cooper 1992)",
    parameters={"eta": "0.01 Hz", "nu_0": "10 Hz", "tau_theta": "1 second"},
    equations=("dw/dt = eta*(nu_pre/nu_0)*(nu_post/nu_0)*(nu_post - theta)/nu_0 : 1 (clock-driven)\n"
               "dtheta/dt = (nu_post**2/nu_0 - theta)/tau_theta : Hz (clock-driven)\n"),
    on_pre=None, on_post=None, method="euler", initial={"theta": "nu_0"},
)

PAIR_STDP = dict(
    kind="synapse",
    description="pair STDP, additive, hard bounds (Song, Miller & Abbott 2000; Brian2 example synapses/STDP.py)",
    parameters={"taupre": "20 ms", "taupost": "20 ms", "wmax": "0.01", "Apre": "0.0001", "Apost": "-0.000105"},
    equations=("w : 1\n"
               "dapre/dt = -apre/taupre : 1 (event-driven)\n"
               "dapost/dt = -apost/taupost : 1 (event-driven)\n"),
    on_pre="apre += Apre\nw = clip(w + apost, 0, wmax)\n",
    on_post="apost += Apost\nw = clip(w + apre, 0, wmax)\n", method=None, initial={},
)

LIF_BIAS = dict(
    description="leaky integrate-and-fire with a constant bias current I_b, driven by the engine's excitatory current "
                "channel I_exc",
    parameters={"C": "250 pF", "tau_m": "20 ms", "E_L": "-70 mV", "V_th": "-50 mV", "V_r": "-70 mV", "I_b": "0 pA"},
    equations="dv/dt = (E_L - v)/tau_m + (I_b + I_exc)/C : volt\n",
    threshold="v > V_th", reset="v = V_r", refractory=None, method="euler", initial={"v": "E_L"},
)

DELAYED_STDP = dict(
    kind="synapse",
    description="pair STDP whose on_pre also reads the target's v and drives its current channel with w",
    parameters={"taupre": "20 ms", "taupost": "20 ms", "wmax": "1", "Apre": "0.02", "Apost": "-0.021",
                "eta": "0.002", "v_rest": "-70 mV", "v_scale": "10 mV", "I_0": "100 pA"},
    equations=("w : 1\n"
               "dapre/dt = -apre/taupre : 1 (event-driven)\n"
               "dapost/dt = -apost/taupost : 1 (event-driven)\n"),
    on_pre="apre += Apre\nw = clip(w + apost + eta*(v_post - v_rest)/v_scale, 0, wmax)\nI_exc_post += w*I_0\n",
    on_post="apost += Apost\nw = clip(w + apre, 0, wmax)\n", method=None, initial={},
)

# ----- cases -----

ALPHA_CASE = dict(
    description="alpha-function conductance synapses summed into a passive membrane",
    source="alpha function: Rall (1967) J Neurophysiol 30:1138; its ODE form: Brian2 user guide, 'Converting from "
           "integrated form to ODEs'; on_pre s += w*e normalises the peak to w",
    dt=DT, duration="100 ms",
    models={"spike_train": SPIKE_TRAIN, "passive": PASSIVE_G, "alpha": ALPHA},
    populations={"pre": {"model": "spike_train", "size": 2,
                         "params": {"rate": ["40 Hz", "25 Hz"], "t_first": ["10.05 ms", "17.05 ms"]}},
                 "cell": {"model": "passive", "size": 1}},
    projections={"alpha": {"source": "pre", "target": "cell", "connectivity": {"type": "all_to_all"},
                           "weight": "1 nS", "synapse": {"model": "alpha"}}},
)


def tm_case(kind, params, source):
    return dict(
        description=f"Tsodyks-Markram {kind} synapse: 10 spikes at 20 Hz, then a recovery spike 500 ms later",
        source=source, dt=DT, duration="1000 ms",
        models={"spike_train": SPIKE_TRAIN, "passive": PASSIVE_I, "tsodyks_markram": TSODYKS_MARKRAM},
        # 20 Hz from 10 ms (steps 100, 600, ..., 4600); paused from 470 ms to 920 ms, so the 11th spike is at 960 ms.
        populations={"pre": {"model": "spike_train", "size": 1,
                             "params": {"rate": "20 Hz", "t_first": "10.05 ms", "t_off": "470.05 ms",
                                        "t_on": "920.05 ms"}},
                     "cell": {"model": "passive", "size": 1}},
        projections={"tm": {"source": "pre", "target": "cell", "connectivity": {"type": "one_to_one"},
                            "weight": "200 pA", "synapse": {"model": "tsodyks_markram", "params": params}}},
    )


TM_DEP = tm_case("depressing", {"U": "0.5", "tau_d": "200 ms", "tau_f": "1 ms"},
                 "Markram, Wang & Tsodyks (1998) PNAS 95:5323 (model form, as Brian2's example "
                 "synapses/short_term_plasticity.py); depressing regime U 0.5, tau_d 200 ms, facilitation off "
                 "(tau_f 1 ms: u decays to 0 between spikes)")
TM_FAC = tm_case("facilitating", {"U": "0.15", "tau_d": "50 ms", "tau_f": "750 ms"},
                 "Markram, Wang & Tsodyks (1998) PNAS 95:5323 (model form); facilitating parameters of Tsodyks & Wu "
                 "(2013) Scholarpedia 8(10):3153, Fig. 1B: U 0.15, tau_f 750 ms, tau_d 50 ms")

TRIPLET_FREQS = ["1 Hz", "5 Hz", "10 Hz", "20 Hz", "40 Hz", "50 Hz"]
TRIPLET_LAGS = [10, -10]  # ms, t_post - t_pre
PAIRS = 60


def triplet_trains():
    """Synapse k = 2*frequency index + (0 for +10 ms, 1 for -10 ms); pre from 20.05 ms (all), 60 spikes each."""
    pre_t, post_t, rate, pre_off, post_off = [], [], [], [], []
    for f in TRIPLET_FREQS:
        period = 1 / exact(f)
        for lag in TRIPLET_LAGS:
            t_pre = Fraction("20.05") / 1000
            t_post = t_pre + Fraction(lag, 1000)
            rate.append(f)
            for t0, ts, offs in ((t_pre, pre_t, pre_off), (t_post, post_t, post_off)):
                ts.append(ms_text(t0))
                offs.append(ms_text(t0 + (PAIRS - 1) * period + period / 2))
    return rate, pre_t, post_t, pre_off, post_off


def ms_text(t):
    v = t * 1000
    text = f"{float(v):.2f}".rstrip("0").rstrip(".")
    assert Fraction(text) == v, (t, text)
    return f"{text} ms"


_RATE, _PRE_T, _POST_T, _PRE_OFF, _POST_OFF = triplet_trains()
TRIPLET_CASE = dict(
    description="triplet STDP frequency dependence: 60 pairs at +10 / -10 ms, 1 to 50 Hz, one synapse per protocol",
    source="Pfister & Gerstner (2006) J Neurosci 26:9673, Table 4, visual cortex, all-to-all: minimal model "
           "tau_plus 16.8, tau_minus 33.7, tau_x 101, tau_y 125 ms, A2+ 5e-10, A3+ 6.2e-3, A2- 7e-3, A3- 0; full "
           "model A3- 2.3e-4 (same other values); protocol after Sjostrom, Turrigiano & Nelson (2001) Neuron 32:1149",
    dt=DT, duration="59050 ms",
    models={"spike_train": SPIKE_TRAIN, "triplet": TRIPLET},
    populations={"pre": {"model": "spike_train", "size": 12,
                         "params": {"rate": _RATE, "t_first": _PRE_T[0], "t_off": _PRE_OFF}},
                 "post": {"model": "spike_train", "size": 12,
                          "params": {"rate": _RATE, "t_first": _POST_T, "t_off": _POST_OFF}}},
    projections={"minimal": {"source": "pre", "target": "post", "connectivity": {"type": "one_to_one"},
                             "weight": "1", "synapse": {"model": "triplet"}},
                 "full": {"source": "pre", "target": "post", "connectivity": {"type": "one_to_one"},
                          "weight": "1", "synapse": {"model": "triplet", "params": {"A3_minus": "0.00023"}}}},
)

BCM_CASE = dict(
    description="BCM with a sliding threshold: 3 presynaptic rates onto 3 postsynaptic rates (all to all)",
    source="Bienenstock, Cooper & Munro (1982) J Neurosci 2:32 (phi(c, theta) = c*(c - theta)); sliding threshold "
           "theta = E[c^2] of Intrator & Cooper (1992) Neural Netw 5:3, as a low-pass filter with tau_theta; rates "
           "and theta normalised by nu_0 (so theta -> nu_post**2/nu_0; steady state LTP if nu_post < nu_0, LTD if "
           "nu_post > nu_0)",
    dt=DT, duration="5000 ms",
    models={"rate_train": RATE_TRAIN, "bcm": BCM},
    populations={"pre": {"model": "rate_train", "size": 3,
                         "params": {"rate": ["5 Hz", "20 Hz", "40 Hz"], "t_first": ["1.05 ms", "2.05 ms", "3.05 ms"]}},
                 "post": {"model": "rate_train", "size": 3,
                          "params": {"rate": ["5 Hz", "10 Hz", "20 Hz"],
                                     "t_first": ["4.05 ms", "5.05 ms", "6.05 ms"]}}},
    projections={"bcm": {"source": "pre", "target": "post", "connectivity": {"type": "all_to_all"},
                         "weight": "1", "synapse": {"model": "bcm"}}},
)

PAIR_LAGS = list(range(-50, 51, 2))  # ms, t_post - t_pre
PAIR_CASE = dict(
    description="pair STDP window: one pre spike at 60 ms, one post spike at 60 ms + lag, lag -50..50 ms",
    source="Song, Miller & Abbott (2000) Nat Neurosci 3:919; parameters of Brian2's example synapses/STDP.py "
           "(taupre = taupost = 20 ms, Apre = 0.01*wmax, Apost = -Apre*taupre/taupost*1.05, wmax 0.01)",
    dt=DT, duration="150 ms",
    models={"spike_train": SPIKE_TRAIN, "pair_stdp": PAIR_STDP},
    populations={"pre": {"model": "spike_train", "size": len(PAIR_LAGS),
                         "params": {"rate": "5 Hz", "t_first": "60.05 ms"}},
                 "post": {"model": "spike_train", "size": len(PAIR_LAGS),
                          "params": {"rate": "5 Hz",
                                     "t_first": [ms_text(Fraction("60.05") / 1000 + Fraction(lag, 1000))
                                                 for lag in PAIR_LAGS]}}},
    projections={"stdp": {"source": "pre", "target": "post", "connectivity": {"type": "one_to_one"},
                          "weight": "0.005", "synapse": {"model": "pair_stdp"}}},
)

DELAYS = {"d1": "1 ms", "d2_5": "2.5 ms", "d5": "5 ms"}  # projection names sort as Brian2 runs them (by name)
DELAYED_CASE = dict(
    description="on_pre at the arrival of delayed spikes: pair STDP reading v_post and driving I_exc, 4 spike trains "
                "onto 4 self-firing LIF cells through 3 projections with delays 1, 2.5 and 5 ms",
    source="pair STDP of Song, Miller & Abbott (2000) Nat Neurosci 3:919 with a v_post-dependent term on_pre "
           "(Clopath et al. 2010 Nat Neurosci 13:344 make potentiation depend on the membrane potential); Brian2 "
           "runs a Synapses object's on_pre when the spike arrives, after its delay (Brian2 user guide, 'Synapses', "
           "'Delays'), and on_post without delay",
    dt=DT, duration="1000 ms",
    models={"spike_train": SPIKE_TRAIN, "lif_bias": LIF_BIAS, "delayed_stdp": DELAYED_STDP},
    populations={"pre": {"model": "spike_train", "size": 4,
                         "params": {"rate": ["16 Hz", "25 Hz", "40 Hz", "50 Hz"],
                                    "t_first": ["3.05 ms", "7.05 ms", "11.05 ms", "5.05 ms"]}},
                 "cell": {"model": "lif_bias", "size": 4,
                          "params": {"I_b": ["260 pA", "290 pA", "320 pA", "350 pA"]}}},
    projections={name: {"source": "pre", "target": "cell", "connectivity": {"type": "all_to_all"},
                        "weight": "0.5", "delay": delay, "synapse": {"model": "delayed_stdp"}}
                 for name, delay in DELAYS.items()},
)

CASES = {"syn_alpha": ALPHA_CASE, "syn_tm_depression": TM_DEP, "syn_tm_facilitation": TM_FAC,
         "syn_triplet_stdp": TRIPLET_CASE, "syn_bcm": BCM_CASE, "syn_pair_stdp": PAIR_CASE,
         "syn_delayed_stdp": DELAYED_CASE}


# ----- building a Brian2 network from a case -----

def summed_targets(case, pop_name):
    """Parameters of a population written by (summed) lines of the synapses projecting onto it."""
    out = {}
    for proj in case["projections"].values():
        if proj["target"] != pop_name:
            continue
        for line in case["models"][proj["synapse"]["model"]]["equations"].splitlines():
            m = re.match(r"\s*(\w+)_post\s*=.*:\s*([^(]+)\(summed\)", line)
            if m:
                out[m.group(1)] = m.group(2).strip()
    return out


def build_population(case, name, pop):
    model = case["models"][pop["model"]]
    given = pop.get("params", {})
    per_neuron = {k: v for k, v in given.items() if isinstance(v, list)}
    params = dict(model["parameters"], **{k: v for k, v in given.items() if not isinstance(v, list)})
    summed = summed_targets(case, name)
    ns = {k: quantity(v) for k, v in params.items() if k not in per_neuron and k not in summed}
    decl = [f"{k} : {unit_text(quantity(vals[0]))} (constant)" for k, vals in per_neuron.items()]
    decl += [f"{k} : {unit}" for k, unit in summed.items()]
    channel = re.search(r"\bI_exc\b", model["equations"]) is not None
    if channel:
        # The engine's current channel: a value per neuron that synapses add to and that decays by
        # exp(-dt/tau_syn_exc) after the neuron step, before this step's spikes arrive.
        decl.append("I_exc : amp")
        ns.setdefault("tau_syn_exc", 5 * ms)
    eqs = Equations(model["equations"]) + Equations("\n".join(decl)) if decl else Equations(model["equations"])
    kwargs = {k: model[k] for k in ("threshold", "reset") if model.get(k)}
    group = NeuronGroup(pop["size"], eqs, method=model["method"], namespace=ns, name=name, **kwargs)
    for k, vals in per_neuron.items():
        setattr(group, k, [quantity(v) for v in vals])
    for var, text in model["initial"].items():
        try:
            setattr(group, var, quantity(text))
        except ValueError:
            setattr(group, var, text)
    extra = [group.run_regularly("I_exc = I_exc*exp(-dt/tau_syn_exc)", when="before_synapses")] if channel else []
    return group, extra, "\n".join(decl)


def build_projection(case, name, proj, groups):
    model = case["models"][proj["synapse"]["model"]]
    params = dict(model["parameters"], **proj["synapse"].get("params", {}))
    kwargs = {k: model[k] for k in ("on_pre", "on_post") if model.get(k)}
    if model.get("method"):
        kwargs["method"] = model["method"]
    if "delay" in proj:
        kwargs["delay"] = quantity(proj["delay"])  # one delay for every synapse: on_pre runs when the spike arrives
    syn = Synapses(groups[proj["source"]], groups[proj["target"]], model["equations"],
                   namespace={k: quantity(v) for k, v in params.items()}, name=name, order=1, **kwargs)
    conn = proj["connectivity"]["type"]
    if conn == "one_to_one":
        syn.connect(j="i")
    elif conn == "all_to_all":
        syn.connect()
    else:
        raise ValueError(conn)
    syn.w = quantity(proj["weight"])
    for var, text in model["initial"].items():
        try:
            setattr(syn, var, quantity(text))
        except ValueError:
            setattr(syn, var, text)
    return syn


def generated_code(syn):
    out = {}
    if syn.state_updater is not None:
        out["clock_driven_update"] = syn.state_updater.codeobj.code.run
    for pathway in syn._pathways:
        out[f"on_{pathway.prepost}"] = pathway.codeobj.code.run
    for var, updater in syn.summed_updaters.items():
        out[f"summed {var}"] = updater.codeobj.code.run
    return out


def build(case):
    defaultclock.dt = quantity(case["dt"])
    groups, objects, decls = {}, [], {}
    for name, pop in case["populations"].items():
        group, extra, decl = build_population(case, name, pop)
        groups[name] = group
        objects += [group] + extra
        decls[name] = decl
    synapses = {name: build_projection(case, name, proj, groups) for name, proj in case["projections"].items()}
    spikes = {name: SpikeMonitor(g) for name, g in groups.items() if "spike" in g.events}
    objects += list(synapses.values()) + list(spikes.values())
    return groups, synapses, spikes, objects, decls


def spike_steps(mon, size, dt_s):
    steps = [[] for _ in range(size)]
    for i, t in zip(np.asarray(mon.i), np.asarray(mon.t_)):
        steps[int(i)].append(int(round(t / dt_s)))
    return steps


# ----- intended spike steps, exact -----

def train_steps(model, params, dt, n_steps):
    """Spike steps of spike_train / rate_train with exact fractions, and the smallest margin (in steps) by which
    the phase passes 1 (0.5 by construction)."""
    rate, t_first = exact(params["rate"]), exact(params["t_first"])
    t_off, t_on = exact(params.get("t_off", NEVER)), exact(params.get("t_on", NEVER))
    inc = rate * dt
    on_end = math.ceil(t_off / dt)  # first step with t >= t_off
    on_again = math.ceil(t_on / dt)

    def on_steps(a, b):  # on-steps among steps a..b-1
        return max(0, min(b, on_end) - a) + max(0, b - max(a, on_again))

    phase, n, steps, margin = 1 - rate * t_first, 0, [], 1.0
    while True:
        k = math.ceil((1 - phase) / inc)  # on-steps needed
        lo, hi = n, n_steps + 1
        while lo < hi:  # the step m where the k-th on-step from n falls
            mid = (lo + hi) // 2
            if on_steps(n, mid + 1) >= k:
                hi = mid
            else:
                lo = mid + 1
        if lo >= n_steps:
            return steps, margin
        phase += k * inc
        margin = min(margin, float((phase - 1) / inc), float(1 - (phase - 1) / inc))
        steps.append(lo)
        phase -= 1
        n = lo + 1


def check_trains(case, spikes):
    dt = exact(case["dt"])
    n_steps = int(exact(case["duration"]) / dt)
    dt_s = float(quantity(case["dt"]))
    out, worst = {}, 1.0
    for name, pop in case["populations"].items():
        model = case["models"][pop["model"]]
        if "phase" not in model["initial"]:
            continue
        got = spike_steps(spikes[name], pop["size"], dt_s)
        want = []
        for i in range(pop["size"]):
            params = dict(model["parameters"])
            params.update({k: (v[i] if isinstance(v, list) else v) for k, v in pop.get("params", {}).items()})
            steps, margin = train_steps(model, params, dt, n_steps)
            want.append(steps)
            worst = min(worst, margin)
        if got != want:
            sys.exit(f"{name}: Brian2's spike steps differ from the intended ones")
        out[name] = got
    if worst < 0.49:
        sys.exit(f"a phase passes 1 only {worst} of a step from the threshold")
    return out


# ----- cases -----

def run_alpha(case):
    groups, syn, spikes, objects, decls = build(case)
    s = syn["alpha"]
    mv = StateMonitor(groups["cell"], ["v", "g_syn"], record=True)
    mg = StateMonitor(s, ["g", "s"], record=True)
    net = Network(*objects, mv, mg)
    net.run(quantity(case["duration"]), namespace={})
    trains = check_trains(case, spikes)
    v = np.asarray(mv.v_)[0]
    g = np.asarray(mg.g_)
    # Replica of the documented order: summed g_syn from the start-of-step g; v (euler) with it; g, s exact; spikes add
    # w*e to s; all in float64.
    p = {k: float(quantity(x)) for k, x in case["models"]["passive"]["parameters"].items()}
    tau, w = float(quantity("5 ms")), float(quantity("1 nS"))
    dt = float(quantity(case["dt"]))
    n = len(v)
    rv, rg = np.empty(n), np.empty((2, n))
    vv, gg, ss = p["E_L"], np.zeros(2), np.zeros(2)
    spk = [set(t) for t in trains["pre"]]
    ed = math.exp(-dt / tau)
    for k in range(n):
        rv[k], rg[:, k] = vv, gg
        g_syn = gg.sum()
        vv = vv + dt * (p["g_L"] * (p["E_L"] - vv) + g_syn * (p["E_syn"] - vv)) / p["C"]
        gg, ss = (gg + dt * ss / tau) * ed, ss * ed
        for i in range(2):
            if k in spk[i]:
                ss[i] += w * math.e
    every = 5
    res = {
        "spike_steps": trains,
        "traces": {
            "cell_v_mV": {"every_ms": 0.1, "values": [sig6(x / 1e-3) for x in v]},
            "g_nS": {"every_ms": every * 0.1, "synapses": "synapse k: pre k -> cell 0",
                     "values": [[sig6(x / 1e-9) for x in row[::every]] for row in g]},
        },
        "peaks": {"v_max_mV": sig6(v.max() / 1e-3), "v_max_step": int(v.argmax()),
                  "g_max_nS": [sig6(x / 1e-9) for x in g.max(axis=1)],
                  "g_max_step": [int(x) for x in g.argmax(axis=1)]},
        "replica_max_rel_diff": {"v": float(np.max(np.abs(rv - v) / np.abs(v))),
                                 "g": float(np.max(np.abs(rg - g)) / np.max(np.abs(g)))},
    }
    return res, decls, {"alpha": generated_code(s)}


def tm_recursion(steps, dt, U, tau_d, tau_f):
    """Markram, Wang & Tsodyks (1998): u jumps by U(1 - u) before the release u*x; between spikes u -> 0, x -> 1."""
    u, x, last, out = 0.0, 1.0, None, []
    for n in steps:
        if last is not None:
            gap = (n - last) * dt
            u *= math.exp(-gap / tau_f)
            x = 1 - (1 - x) * math.exp(-gap / tau_d)
        u += U * (1 - u)
        out.append((u, x, u * x))
        x -= u * x
        last = n
    return out


def run_tm(case):
    groups, syn, spikes, objects, decls = build(case)
    mon = StateMonitor(groups["cell"], ["v", "I_exc"], record=True)
    net = Network(*objects, mon)
    net.run(quantity(case["duration"]), namespace={})
    trains = check_trains(case, spikes)
    steps = trains["pre"][0]
    v, i_exc = np.asarray(mon.v_)[0], np.asarray(mon.I_exc_)[0]
    dt = float(quantity(case["dt"]))
    w = float(quantity(case["projections"]["tm"]["weight"]))
    de = math.exp(-dt / float(quantity("5 ms")))
    release = [(i_exc[n + 1] - de * i_exc[n]) / w for n in steps]
    sp = dict(case["models"]["tsodyks_markram"]["parameters"], **case["projections"]["tm"]["synapse"]["params"])
    rec = tm_recursion(steps, dt, float(quantity(sp["U"])), float(quantity(sp["tau_d"])), float(quantity(sp["tau_f"])))
    diff = max(abs(a - r[2]) / r[2] for a, r in zip(release, rec))
    if diff > 1e-9:
        sys.exit(f"TM release differs from the recursion by {diff}")
    bounds = steps[1:] + [len(v)]
    peaks = [int(a + np.argmax(v[a:b])) for a, b in zip(steps, bounds)]
    res = {
        "spike_steps": trains,
        "per_spike": {
            "step": steps,
            "release_u_x": [sig6(x) for x in release],
            "u": [sig6(r[0]) for r in rec],
            "x_before": [sig6(r[1]) for r in rec],
            "I_exc_jump_pA": [sig6(w * x / 1e-12) for x in release],
            "release_over_first": [sig6(x / release[0]) for x in release],
            "v_peak_mV": [sig6(v[k] / 1e-3) for k in peaks],
            "v_peak_step": peaks,
        },
        "release_convention": "release = (I_exc(n+1) - exp(-dt/tau_syn_exc)*I_exc(n))/w at spike step n (the jump "
                              "on_pre adds); u, x_before from the recursion of Markram, Wang & Tsodyks (1998), "
                              f"which the release matches within {diff:.1e} (relative)",
        "v_peak_convention": "largest v sample (start of step) from the spike's step up to the next spike",
        "traces": {"cell_v_mV": {"every_ms": 1, "values": [sig6(x / 1e-3) for x in v[::10]]},
                   "cell_I_exc_pA": {"every_ms": 1, "values": [sig6(x / 1e-12) for x in i_exc[::10]]}},
    }
    return res, decls, {"tm": generated_code(syn["tm"])}


def pair_events(pre, post, dt, on_pre, on_post, taus, w0):
    """Event-driven replica: per synapse, traces decay exactly between events; in one step on_pre runs first."""
    events = sorted([(n, 0) for n in pre] + [(n, 1) for n in post])
    tr, w, last = [0.0] * len(taus), w0, None
    for n, kind in events:
        if last is not None:
            tr = [x * math.exp(-(n - last) * dt / tau) for x, tau in zip(tr, taus)]
        w, tr = (on_pre if kind == 0 else on_post)(w, tr)
        last = n
    return w


def run_triplet(case):
    groups, syn, spikes, objects, decls = build(case)
    net = Network(*objects)
    net.run(quantity(case["duration"]), namespace={})
    trains = check_trains(case, spikes)
    dt = float(quantity(case["dt"]))
    out = {}
    for pname, s in syn.items():
        prm = dict(TRIPLET["parameters"], **case["projections"][pname]["synapse"].get("params", {}))
        q = {k: float(quantity(v)) for k, v in prm.items()}
        taus = [q["tau_plus"], q["tau_x"], q["tau_minus"], q["tau_y"]]  # r1, r2, o1, o2

        def on_pre(w, t):
            return w - t[2] * (q["A2_minus"] + q["A3_minus"] * t[1]), [t[0] + 1, t[1] + 1, t[2], t[3]]

        def on_post(w, t):
            return w + t[0] * (q["A2_plus"] + q["A3_plus"] * t[3]), [t[0], t[1], t[2] + 1, t[3] + 1]

        w = np.asarray(s.w[:])
        dw = w - 1.0
        rep = np.array([pair_events(trains["pre"][k], trains["post"][k], dt, on_pre, on_post, taus, 1.0) - 1.0
                        for k in range(len(w))])
        diff = float(np.max(np.abs(rep - dw) / np.abs(dw)))
        if diff > 1e-9:
            sys.exit(f"triplet {pname}: Brian2 and the event replica differ by {diff}")
        out[pname] = {
            "A3_minus": prm["A3_minus"],
            "dw_plus10": [sig6(x) for x in dw[0::2]],
            "dw_minus10": [sig6(x) for x in dw[1::2]],
            "w_end": [float(x) for x in w],
            "replica_max_rel_diff": diff,
        }
    res = {
        "frequencies_Hz": [float(quantity(f)) for f in TRIPLET_FREQS],
        "synapse_order": "synapse k = 2*frequency index + (0: post 10 ms after pre, 1: post 10 ms before pre)",
        "w_start": 1.0,
        "dw": out,
        "spike_counts": {k: [len(x) for x in v] for k, v in trains.items()},
        "first_spike_steps": {k: [x[0] for x in v] for k, v in trains.items()},
        "last_spike_steps": {k: [x[-1] for x in v] for k, v in trains.items()},
    }
    return res, decls, {k: generated_code(s) for k, s in syn.items()}


def run_bcm(case):
    groups, syn, spikes, objects, decls = build(case)
    s = syn["bcm"]
    mon = StateMonitor(s, ["w", "theta"], record=True, dt=10 * ms)
    net = Network(*objects, mon)
    net.run(quantity(case["duration"]), namespace={})
    trains = check_trains(case, spikes)
    w, theta = np.asarray(mon.w_), np.asarray(mon.theta_)
    pre_i, post_j = np.asarray(s.i[:]), np.asarray(s.j[:])
    # Replica of the documented order: neurons (euler), then synapses (euler) reading the updated nu, then spikes.
    dt = float(quantity(case["dt"]))
    q = {k: float(quantity(v)) for k, v in BCM["parameters"].items()}
    tau_r = float(quantity(RATE_TRAIN["parameters"]["tau_r"]))
    nu = {k: np.array([float(quantity(r)) for r in case["populations"][k]["params"]["rate"]]) for k in ("pre", "post")}
    spk = {k: [set(x) for x in v] for k, v in trains.items()}
    rw, rth = np.ones(len(pre_i)), np.full(len(pre_i), q["nu_0"])
    n_steps = int(round(float(quantity(case["duration"])) / dt))
    samples_w, samples_th = [], []
    for n in range(n_steps):
        if n % 100 == 0:
            samples_w.append(rw.copy())
            samples_th.append(rth.copy())
        for k in nu:
            nu[k] = nu[k] - dt * nu[k] / tau_r
        a, b = nu["pre"][pre_i], nu["post"][post_j]
        rw, rth = (rw + dt * q["eta"] * (a / q["nu_0"]) * (b / q["nu_0"]) * (b - rth) / q["nu_0"],
                   rth + dt * (b ** 2 / q["nu_0"] - rth) / q["tau_theta"])
        for k in nu:
            for i, st in enumerate(spk[k]):
                if n in st:
                    nu[k][i] += 1 / tau_r
    rw, rth = np.array(samples_w).T, np.array(samples_th).T
    diff = {"w": float(np.max(np.abs(rw - w))), "theta_Hz": float(np.max(np.abs(rth - theta)))}
    if diff["w"] > 1e-9 or diff["theta_Hz"] > 1e-6:
        sys.exit(f"BCM: Brian2 and the replica of the documented order differ: {diff}")
    first = [int(np.nonzero(post_j == j)[0][0]) for j in range(case["populations"]["post"]["size"])]
    res = {
        "synapses": {"pre": [int(x) for x in pre_i], "post": [int(x) for x in post_j]},
        "spike_counts": {k: [len(x) for x in v] for k, v in trains.items()},
        "traces": {"every_ms": 10,
                   "w": [[sig6(x) for x in row] for row in w],
                   "theta_Hz_per_post": [[sig6(x) for x in theta[k]] for k in first]},
        "w_end": [sig6(x) for x in s.w[:]],
        "theta_end_Hz": [sig6(x) for x in np.asarray(s.theta_[:])[first]],
        "replica_max_abs_diff": diff,
    }
    return res, decls, {"bcm": generated_code(s)}


def run_pair(case):
    groups, syn, spikes, objects, decls = build(case)
    net = Network(*objects)
    net.run(quantity(case["duration"]), namespace={})
    trains = check_trains(case, spikes)
    q = {k: float(quantity(v)) for k, v in PAIR_STDP["parameters"].items()}
    w0 = float(quantity(case["projections"]["stdp"]["weight"]))
    dw = np.asarray(syn["stdp"].w[:]) - w0
    theory = np.array([q["Apre"] * math.exp(-lag / 20) if lag >= 0 else q["Apost"] * math.exp(lag / 20)
                       for lag in PAIR_LAGS])
    diff = float(np.max(np.abs(dw - theory)) / q["Apre"])
    if diff > 1e-9:
        sys.exit(f"pair STDP: Brian2 differs from the window formula by {diff}")
    res = {
        "lag_ms": PAIR_LAGS,
        "lag_convention": "t_post - t_pre; lag 0: pre and post in the same step, on_pre runs first, so dw = Apre",
        "w_start": w0,
        "dw": [sig6(x) for x in dw],
        "dw_over_Apre": [sig6(x / q["Apre"]) for x in dw],
        "theory": "Apre*exp(-lag/taupre) for lag >= 0, Apost*exp(lag/taupost) for lag < 0",
        "max_diff_from_theory_over_Apre": diff,
        "spike_steps": {k: [x[0] for x in v] for k, v in trains.items()},
    }
    return res, decls, {"stdp": generated_code(syn["stdp"])}


def delayed_replica(case, pre, post, v_upd, n_steps, arrival=True):
    """Event replica of one delayed_stdp projection per name: on_pre at step s + D (arrival=True, as Brian2) or at the
    spike's step s (arrival=False: the emission-time semantics), reading v_post after the neuron update of that step;
    on_post at the post spike; a pre and a post event in one step: on_pre first. Returns the final w per synapse (k =
    i*N_post + j) and, per cell and step, what the arrivals add to I_exc (sum of w*I_0 after on_pre)."""
    q = {k: float(quantity(v)) for k, v in DELAYED_STDP["parameters"].items()}
    dt = float(quantity(case["dt"]))
    n_post = len(post)
    w_end, jump = {}, np.zeros((n_post, n_steps))
    for pname, proj in case["projections"].items():
        d = int(round(float(quantity(proj["delay"])) / dt))
        w0 = float(quantity(proj["weight"]))
        ws = []
        for i, spikes in enumerate(pre):
            for j in range(n_post):
                at = [s + d if arrival else s for s in spikes]
                events = sorted([(n, 0) for n in at if n < n_steps] + [(n, 1) for n in post[j]])
                apre, apost, w, last = 0.0, 0.0, w0, None
                for n, kind in events:
                    if last is not None:
                        apre *= math.exp(-(n - last) * dt / q["taupre"])
                        apost *= math.exp(-(n - last) * dt / q["taupost"])
                    if kind == 0:
                        apre += q["Apre"]
                        w = min(max(w + apost + q["eta"] * (v_upd[j][n] - q["v_rest"]) / q["v_scale"], 0.0), q["wmax"])
                        jump[j][n] += w * q["I_0"]
                    else:
                        apost += q["Apost"]
                        w = min(max(w + apre, 0.0), q["wmax"])
                    last = n
                ws.append(w)
        w_end[pname] = np.array(ws)
    return w_end, jump


def run_delayed(case):
    groups, syn, spikes, objects, decls = build(case)
    mon = StateMonitor(groups["cell"], ["v", "I_exc"], record=True)
    net = Network(*objects, mon)
    net.run(quantity(case["duration"]), namespace={})
    trains = check_trains(case, spikes)
    dt = float(quantity(case["dt"]))
    n_steps = int(round(float(quantity(case["duration"])) / dt))
    cells = case["populations"]["cell"]
    size = cells["size"]
    trains["cell"] = spike_steps(spikes["cell"], size, dt)
    pre, post = trains["pre"], trains["cell"]
    v, i_exc = np.asarray(mon.v_), np.asarray(mon.I_exc_)
    # v after the neuron update of step n (what on_pre and the threshold see), from the samples at the start of step n
    # (I_exc decays after the update, so the sample is the current the update used).
    p = {k: float(quantity(x)) for k, x in LIF_BIAS["parameters"].items()}
    i_b = np.array([float(quantity(x)) for x in cells["params"]["I_b"]])[:, None]
    v_upd = v + dt * ((p["E_L"] - v) / p["tau_m"] + (i_b + i_exc) / p["C"])
    # Spike steps exact: no update lands within 1e-9 mV of the threshold, and the reconstruction finds Brian2's spikes.
    margin_mV = float(np.min(np.abs(v_upd - p["V_th"]))) / 1e-3
    if margin_mV < 1e-9:
        sys.exit(f"delayed STDP: a membrane potential passes within {margin_mV} mV of the threshold")
    if [list(np.nonzero(row > p["V_th"])[0]) for row in v_upd] != post:
        sys.exit("delayed STDP: the post spikes are not the steps where v passes the threshold")
    w = {k: np.asarray(s.w[:]) for k, s in syn.items()}
    w_rep, jump_rep = delayed_replica(case, pre, post, v_upd, n_steps, arrival=True)
    w_emit, _ = delayed_replica(case, pre, post, v_upd, n_steps, arrival=False)
    w_diff = max(float(np.max(np.abs(w_rep[k] - w[k]))) for k in w)
    if w_diff > 1e-12:
        sys.exit(f"delayed STDP: Brian2's w and the on_pre-at-arrival replica differ by {w_diff}")
    # What each step's on_pre added to I_exc: the sample at n + 1 less the decayed sample at n. It must be the replica's
    # w*I_0 of the spikes ARRIVING at n (sent at n - D), per cell and step, zero at every other step.
    de = math.exp(-dt / float(quantity("5 ms")))
    jump = i_exc[:, 1:] - de * i_exc[:, :-1]
    i_0 = float(quantity(DELAYED_STDP["parameters"]["I_0"]))
    jump_diff = float(np.max(np.abs(jump - jump_rep[:, :-1]))) / i_0
    if jump_diff > 1e-9:
        sys.exit(f"delayed STDP: the I_exc jumps are not the replica's arrivals (differ by {jump_diff} of I_0)")
    arrivals = {k: sorted({s + int(round(float(quantity(pr["delay"])) / dt)) for row in pre for s in row})
                for k, pr in case["projections"].items()}
    jump_steps = sorted({int(n) for n in np.nonzero(np.abs(jump[0]) > 1e-6 * i_0)[0]})
    if jump_steps != sorted({n for a in arrivals.values() for n in a if n < n_steps - 1}):
        sys.exit("delayed STDP: I_exc jumps at steps other than spike step + delay")
    emit_diff = max(float(np.max(np.abs(w_emit[k] - w[k]))) for k in w)
    if emit_diff < 1e-2:
        sys.exit(f"delayed STDP: the emission-time semantics would give nearly the same w ({emit_diff})")
    # Post spikes at or after a pre spike's step and before its arrival: there the two semantics order on_pre and
    # on_post differently.
    between = {}
    for k, pr in case["projections"].items():
        d = int(round(float(quantity(pr["delay"])) / dt))
        between[k] = sum(1 for row in pre for s in row for cell in post for t in cell if s <= t < s + d)
        if between[k] < 20:
            sys.exit(f"delayed STDP: only {between[k]} post spikes between emission and arrival in {k}")
    n_syn = len(pre) * size
    res = {
        "spike_steps": trains,
        "delay_steps": {k: int(round(float(quantity(pr["delay"])) / dt)) for k, pr in case["projections"].items()},
        "synapses": {"pre": [k // size for k in range(n_syn)], "post": [k % size for k in range(n_syn)],
                     "order": "synapse k = pre*N_post + post, in every projection (all_to_all)"},
        "w_start": float(quantity(case["projections"]["d1"]["weight"])),
        "w_end": {k: [float(x) for x in w[k]] for k in w},
        "traces": {"cell_v_mV": {"every_ms": 1, "digits": 15,
                                 "values": [[float(f"{x / 1e-3:.15g}") for x in row[::10]] for row in v]}},
        "checks": {
            "replica_w_max_abs_diff": w_diff,
            "I_exc_jump_vs_arrivals_max_diff_over_I_0": jump_diff,
            "threshold_margin_mV": sig6(margin_mV),
            "emission_semantics_w_max_abs_diff": sig6(emit_diff),
            "post_spikes_between_emission_and_arrival": between,
        },
        "replica": "per synapse, events at pre spike step + delay (on_pre, reading v after the neuron update of that "
                   "step) and post spike steps (on_post), on_pre first in one step, traces decayed exactly between "
                   "events; the I_exc jump at step n (sample n+1 less the decayed sample n) is the replica's sum of "
                   "w*I_0 over the spikes arriving at n and 0 at every other step",
    }
    return res, decls, {k: generated_code(s) for k, s in syn.items()}


RUNNERS = {"syn_alpha": run_alpha, "syn_tm_depression": run_tm, "syn_tm_facilitation": run_tm,
           "syn_triplet_stdp": run_triplet, "syn_bcm": run_bcm, "syn_pair_stdp": run_pair,
           "syn_delayed_stdp": run_delayed}
MODEL_KEYS = ("kind", "equations", "threshold", "reset", "refractory", "method", "on_pre", "on_post")


def check_documents():
    """Each syn_<case>.yaml must carry the script's strings exactly (a test can rely on either)."""
    def text(x):
        return None if x is None else str(x)

    for name, case in CASES.items():
        where = f"{name}.yaml"
        with open(os.path.join(HERE, where)) as f:
            doc = yaml.safe_load(f)
        if text(doc.get("dt")) != case["dt"]:
            sys.exit(f"{where}: dt {doc.get('dt')!r} != {case['dt']!r}")
        if set(doc.get("models", {})) != set(case["models"]):
            sys.exit(f"{where}: models {sorted(doc.get('models', {}))} != {sorted(case['models'])}")
        for mname, model in case["models"].items():
            got = doc["models"][mname]
            for key in MODEL_KEYS:
                if text(got.get(key)) != model.get(key):
                    sys.exit(f"{where}: {mname}.{key} {got.get(key)!r} != {model.get(key)!r}")
            for key in ("parameters", "initial"):
                if {k: text(v) for k, v in (got.get(key) or {}).items()} != model[key]:
                    sys.exit(f"{where}: {mname}.{key} {got.get(key)} != {model[key]}")
        norm = lambda v: [text(x) for x in v] if isinstance(v, list) else text(v)  # noqa: E731
        if set(doc.get("populations", {})) != set(case["populations"]):
            sys.exit(f"{where}: populations differ")
        for pname, pop in case["populations"].items():
            got = doc["populations"][pname]
            params = {k: norm(v) for k, v in (got.get("params") or {}).items()}
            if got.get("model") != pop["model"] or got.get("size") != pop["size"] or params != pop.get("params", {}):
                sys.exit(f"{where}: population {pname} differs from the script")
        if set(doc.get("projections", {})) != set(case["projections"]):
            sys.exit(f"{where}: projections differ")
        for jname, proj in case["projections"].items():
            got = doc["projections"][jname]
            syn = got.get("synapse", {})
            same = (got.get("source") == proj["source"] and got.get("target") == proj["target"]
                    and got.get("connectivity") == proj["connectivity"] and text(got.get("weight")) == proj["weight"]
                    and text(got.get("delay")) == proj.get("delay")
                    and syn.get("model") == proj["synapse"]["model"]
                    and {k: text(v) for k, v in (syn.get("params") or {}).items()} == proj["synapse"].get("params", {}))
            if not same:
                sys.exit(f"{where}: projection {jname} differs from the script")


def case_record(case):
    models = {}
    for mname, model in case["models"].items():
        m = {k: model.get(k) for k in ("kind", "description", "parameters", "equations", "threshold", "reset",
                                       "refractory", "method", "on_pre", "on_post", "initial") if k in model}
        m["parameters_si"] = {k: float(quantity(v)) for k, v in model["parameters"].items()}
        models[mname] = m
    return {k: case[k] for k in ("description", "source", "dt", "duration")} | {
        "models": models, "populations": case["populations"], "projections": case["projections"]}


def summary(name, res):
    if name == "syn_alpha":
        pk = res["peaks"]
        return f"v max {pk['v_max_mV']} mV at step {pk['v_max_step']}, g max {pk['g_max_nS']} nS"
    if name.startswith("syn_tm"):
        return f"release per spike {res['per_spike']['release_u_x']}"
    if name == "syn_triplet_stdp":
        return "; ".join(f"{k}: +10 {v['dw_plus10']}, -10 {v['dw_minus10']}" for k, v in res["dw"].items())
    if name == "syn_bcm":
        return f"w end {res['w_end']}, theta end {res['theta_end_Hz']} Hz"
    if name == "syn_delayed_stdp":
        ch = res["checks"]
        return (f"post spikes {[len(x) for x in res['spike_steps']['cell']]}, w end range "
                f"{min(min(v) for v in res['w_end'].values()):.4f}..{max(max(v) for v in res['w_end'].values()):.4f}, "
                f"post spikes between emission and arrival {ch['post_spikes_between_emission_and_arrival']}, "
                f"on_pre at emission would move w by up to {ch['emission_semantics_w_max_abs_diff']}")
    return f"dw/Apre {res['dw_over_Apre']}"


def main():
    if os.environ.get("PYTHONHASHSEED") != "0":
        # Brian2 emits the generated code's load/store lines in set order; a fixed hash seed keeps the JSON byte-stable
        os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, PYTHONHASHSEED="0"))
    check_documents()
    t0 = time.time()
    out = {
        "generator": f"brian2 {brian2.__version__} (numpy target, float64, numpy {np.__version__}), "
                     "tests/reference/models/brian2_synapses.py",
        "spike_time_convention": "spike found in step n (integrating t_n -> t_n+1) is recorded at t = n*dt",
        "step_order": ["summed variables: target parameter = sum of the expression over its synapses, from the "
                       "synapse values at the start of the step",
                       "neuron state updates, then synapse clock-driven updates (reading _pre/_post after the "
                       "neurons' update)",
                       "thresholds",
                       "engine channel decay: I_exc *= exp(-dt/tau_syn_exc) (tau_syn_exc 5 ms)",
                       "on_pre of every projection (event-driven variables first advanced exactly to t = n*dt from "
                       "the synapse's last pre or post event), then on_post",
                       "resets"],
        "delays": "0 for every projection except those of syn_delayed_stdp: on_pre runs in the step of the "
                  "presynaptic spike; what it adds to I_exc is felt from step n+1. syn_delayed_stdp: each projection "
                  "has one constant delay D (1, 2.5, 5 ms); on_pre runs when the spike arrives, in step n+D/dt for a "
                  "spike of step n (t, the event-driven variables' advance, the _post values it reads and writes and "
                  "its change of w all at step n+D/dt), what it adds to I_exc is felt from step n+D/dt+1; on_post runs "
                  "in the step of the postsynaptic spike (no delay)",
        "trace_convention": "StateMonitor at the start of the step (value at t = n*dt, after the previous step's "
                            "reset); rounded to 6 significant digits, or to the trace's `digits`",
        "weight": "the projection's weight is the initial value of the synapse variable w",
        "cases": {},
    }
    for name, case in CASES.items():
        t1 = time.time()
        res, decls, code = RUNNERS[name](case)
        out["cases"][name] = case_record(case) | {
            "name": name, "brian2_neuron_declarations": decls, "results": res, "generated_synapse_code": code}
        print(f"{name}: {summary(name, res)} ({time.time() - t1:.1f} s)", flush=True)
    # FLUX_REFERENCE_OUT: where a test asks for a fresh run (the committed file is not touched).
    with open(os.environ.get("FLUX_REFERENCE_OUT", os.path.join(HERE, "synapses_brian2.json")), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"total {time.time() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    main()
