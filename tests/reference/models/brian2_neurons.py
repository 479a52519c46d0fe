#!/usr/bin/python3
"""Brian2 reference runs of user-defined neuron models (Flux issue 18: models as data).

Run with Debian's Brian2 (apt: python3-brian, 2.5.1; NOT the pyenv python3):
    /usr/bin/python3 tests/reference/models/brian2_neurons.py
Writes tests/reference/models/neurons_brian2.json next to this script
(about 30 s on 2 cores). Numpy code generation target, float64.

Each case has a Flux circuit document beside this script, <case>.yaml, whose
model (equations, threshold, reset, refractory, method, parameters, initial
values) and per-neuron inputs are the strings used here; the script loads
every YAML and stops if any string differs, so the documents and the JSON
cannot drift apart. A Flux test runs each document for `duration` and
compares with the JSON.

Cases and sources:
  eif                    exponential integrate-and-fire, parameters of Brette &
                         Gerstner (2005) J Neurophysiol 94:3637 (no adaptation;
                         the exponential term of Fourcaud-Trocme et al. 2003).
                         V_cut = V_T + 5*Delta_T = -40.4 mV as in Brian2's
                         example frompapers/Brette_Gerstner_2005.py; forward
                         Euler as that example; refractory 2 ms with v clamped.
                         5 neurons, f-I curve (rheobase g_L*(V_T-E_L-Delta_T)
                         = 546 pA), 1000 ms, dt 0.1 ms; trace v of neuron 2.
  eif_exponential_euler  the same model with method exponential_euler: Brian2
                         accepts it, taking -g_L/C as the linear coefficient and
                         the exp term (evaluated at the step's old v) as part
                         of the inhomogeneous term B (see generated code).
  izhikevich2007         Izhikevich (2007) Dynamical Systems in Neuroscience,
                         ch. 8, regular spiking (RS) cell: C 100 pF, k 0.7
                         pA/mV**2, vr -60, vt -40, vpeak 35 mV, a 0.03/ms,
                         b -2 nS, c -50 mV, d 100 pA. Euler, dt 0.1 ms,
                         I 0..300 pA (rheobase 51.4 pA), 1000 ms.
  izhikevich2007_ch      same form, chattering (CH) cell of the same chapter:
                         C 50 pF, k 1.5, vr -60, vt -40, vpeak 25 mV, a 0.03/ms,
                         b 1 nS, c -40 mV, d 150 pA (rheobase 160 pA).
  hodgkin_huxley         Hodgkin & Huxley (1952) squid axon, modern convention
                         (rest -65 mV, E_Na 50, E_K -77, E_L -54.387 mV), per
                         area as in Brian2's examples, alpha_m and alpha_n
                         written with exprel. exponential_euler, dt 0.01 ms,
                         200 ms. Threshold v > -20 mV with a plain 3 ms
                         refractory period (as Brian2's COBAHH.py; v is not
                         clamped). The variant with Brian2's condition form,
                         refractory 'v > -20*mV' (IF_curve_Hodgkin_Huxley.py),
                         is run too and its spike steps stored.
  adex_bursting          AdEx (Brette & Gerstner 2005) with the "bursting"
                         parameters of Naud et al. (2008) Biol Cybern 99:335,
                         Table 1 (as in Brian2's example
                         frompapers/Naud_et_al_2008_adex_firing_patterns.py:
                         euler, dt 0.1 ms, threshold v > 0 mV). 500 ms.
  generalized_izhikevich Izhikevich (2004) IEEE TNN 15:1063, "Which model to
                         use for cortical spiking neurons?", Fig. 1 code,
                         (G) class 1 excitable: v' = 0.04v^2 + 4.1v + 108 - u
                         + I, u' = a(bv - u), a 0.02, b -0.1, c -55, d 6,
                         spike at v > 30, v0 = -60, u0 = b*v0 (v, u, I in mV;
                         here in volt with /ms). Euler, dt 0.1 ms, 500 ms.
                         Constant currents instead of the paper's ramp
                         (rheobase 2.25 mV/ms).
  ou_noise               Ornstein-Uhlenbeck membrane, Euler-Maruyama, and a
                         noisy LIF with the same noise; statistics over 2000
                         neurons for 10 seeds (Flux's random numbers differ).

Conventions (as Brian2 does them; checked in izhikevich_brian2.json too):
  * per step: state update from the old values, threshold on the new values
    (and only when not refractory), reset. A spike found in step n is
    recorded at t = n*dt; spike_steps hold n.
  * traces are sampled every 1 ms by a StateMonitor, which records at the
    start of a step: the value at t = k ms after the previous step's reset.
  * parameters are written as in the documents ("281 pF", "0.02/ms") and
    given to Brian2 as value*unit expressions; parameters that vary per
    neuron are declared as `name : unit (constant)` lines added to the
    model's equations (the model string itself is passed unchanged).
  * I_ext (the engine's external-current input) is 0 amp: no sources.
"""
import json
import math
import os
import re
import sys
import time

import numpy as np
import yaml
import brian2
from brian2 import (NeuronGroup, SpikeMonitor, StateMonitor, Network, Equations, defaultclock, prefs, seed, ms, amp)
import brian2.units as bu
from brian2.units.fundamentalunits import get_unit

prefs.codegen.target = "numpy"
prefs.core.default_float_dtype = np.float64
HERE = os.path.dirname(os.path.abspath(__file__))
UNITS = {k: getattr(bu, k) for k in dir(bu) if not k.startswith("_")}


def quantity(text):
    """'281 pF', '0.02/ms', '0.7 pA/mV**2', '-0.1' -> the value Brian2 gets from '281*pF' etc."""
    text = str(text).strip()
    m = re.fullmatch(r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*)", text)
    if not m:
        raise ValueError(f"not a quantity: {text!r}")
    number, unit = m.groups()
    if not unit:
        return float(number)
    expr = f"{number}*{unit}" if not unit.startswith("/") else f"{number}{unit}"
    return eval(expr, {"__builtins__": {}}, UNITS)  # unit names only


EIF_EQS = "dv/dt = (g_L*(E_L - v) + g_L*Delta_T*exp((v - V_T)/Delta_T) + I_b + I_ext)/C : volt (unless refractory)\n"
EIF_PARAMS = {"C": "281 pF", "g_L": "30 nS", "E_L": "-70.6 mV", "V_T": "-50.4 mV", "Delta_T": "2 mV",
              "V_cut": "-40.4 mV", "V_r": "-70.6 mV", "I_b": "0 pA"}
EIF = dict(
    description="exponential integrate-and-fire, f-I curve",
    source="Brette & Gerstner (2005) J Neurophysiol 94:3637, Table 1 (without adaptation); "
           "V_cut = V_T + 5*Delta_T and euler as Brian2 example frompapers/Brette_Gerstner_2005.py",
    equations=EIF_EQS, threshold="v > V_cut", reset="v = V_r", refractory="2 ms", method="euler",
    parameters=EIF_PARAMS, initial={"v": "E_L"}, dt="0.1 ms", duration="1000 ms", size=5,
    per_neuron={"I_b": ["0.4 nA", "0.6 nA", "0.8 nA", "1.2 nA", "2 nA"]},
    traces={"neuron": 2, "until_ms": 200, "variables": {"v": "mV"}},
)

IZH07_EQS = ("dv/dt = (k*(v - v_r)*(v - v_t) - u + I_b + I_ext)/C : volt\n"
             "du/dt = a*(b*(v - v_r) - u) : amp\n")
IZH07 = dict(
    description="Izhikevich (2007) quadratic model, regular spiking (RS) cell",
    source="Izhikevich (2007) Dynamical Systems in Neuroscience, MIT Press, ch. 8 (regular spiking neuron)",
    equations=IZH07_EQS, threshold="v >= v_peak", reset="v = c; u += d", refractory=None, method="euler",
    parameters={"C": "100 pF", "k": "0.7 pA/mV**2", "v_r": "-60 mV", "v_t": "-40 mV", "v_peak": "35 mV",
                "a": "0.03/ms", "b": "-2 nS", "c": "-50 mV", "d": "100 pA", "I_b": "0 pA"},
    initial={"v": "v_r", "u": "0 pA"}, dt="0.1 ms", duration="1000 ms", size=5,
    per_neuron={"I_b": ["0 pA", "40 pA", "70 pA", "150 pA", "300 pA"]},
    traces={"neuron": 3, "until_ms": 200, "variables": {"v": "mV", "u": "pA"}},
)
IZH07_CH = dict(
    IZH07,
    description="Izhikevich (2007) quadratic model, chattering (CH) cell",
    source="Izhikevich (2007) Dynamical Systems in Neuroscience, MIT Press, ch. 8 (chattering neuron parameters)",
    parameters={"C": "50 pF", "k": "1.5 pA/mV**2", "v_r": "-60 mV", "v_t": "-40 mV", "v_peak": "25 mV",
                "a": "0.03/ms", "b": "1 nS", "c": "-40 mV", "d": "150 pA", "I_b": "0 pA"},
    per_neuron={"I_b": ["0 pA", "150 pA", "200 pA", "300 pA", "500 pA"]},
)

HH_EQS = ("dv/dt = (g_Na*m**3*h*(E_Na - v) + g_K*n**4*(E_K - v) + g_L*(E_L - v) + I_b + I_ext/area)/C_m : volt\n"
          "dm/dt = alpha_m*(1 - m) - beta_m*m : 1\n"
          "dh/dt = alpha_h*(1 - h) - beta_h*h : 1\n"
          "dn/dt = alpha_n*(1 - n) - beta_n*n : 1\n"
          "alpha_m = 0.1/mV*10*mV/exprel(-(v + 40*mV)/(10*mV))/ms : Hz\n"
          "beta_m = 4*exp(-(v + 65*mV)/(18*mV))/ms : Hz\n"
          "alpha_h = 0.07*exp(-(v + 65*mV)/(20*mV))/ms : Hz\n"
          "beta_h = 1/(exp(-(v + 35*mV)/(10*mV)) + 1)/ms : Hz\n"
          "alpha_n = 0.01/mV*10*mV/exprel(-(v + 55*mV)/(10*mV))/ms : Hz\n"
          "beta_n = 0.125*exp(-(v + 65*mV)/(80*mV))/ms : Hz\n")
HH = dict(
    description="Hodgkin-Huxley squid axon, constant currents",
    source="Hodgkin & Huxley (1952) J Physiol 117:500, modern convention (rest -65 mV); rates with exprel "
           "as Brian2's examples/advanced/exprel_function.py; exponential_euler and threshold as Brian2's COBAHH.py",
    equations=HH_EQS, threshold="v > -20*mV", reset=None, refractory="3 ms", method="exponential_euler",
    parameters={"C_m": "1 uF/cm**2", "g_Na": "120 mS/cm**2", "g_K": "36 mS/cm**2", "g_L": "0.3 mS/cm**2",
                "E_Na": "50 mV", "E_K": "-77 mV", "E_L": "-54.387 mV", "area": "20000 um**2", "I_b": "0 uA/cm**2"},
    initial={"v": "-65 mV", "m": "0.0529325", "h": "0.596121", "n": "0.317677"},
    dt="0.01 ms", duration="200 ms", size=5,
    per_neuron={"I_b": ["1 uA/cm**2", "4 uA/cm**2", "8 uA/cm**2", "15 uA/cm**2", "30 uA/cm**2"]},
    traces={"neuron": 2, "until_ms": 50, "variables": {"v": "mV", "m": "1", "h": "1", "n": "1"}},
    variant={"refractory": "v > -20*mV"},
)

ADEX_EQS = ("dv/dt = (g_L*(E_L - v) + g_L*Delta_T*exp((v - V_T)/Delta_T) - w + I_b + I_ext)/C : volt\n"
            "dw/dt = (a*(v - E_L) - w)/tau_w : amp\n")
ADEX = dict(
    description="adaptive exponential integrate-and-fire, bursting",
    source="Brette & Gerstner (2005); Naud, Marcille, Clopath & Gerstner (2008) Biol Cybern 99:335, Table 1 "
           "'bursting'; euler, dt 0.1 ms, V_cut 0 mV as Brian2 example "
           "frompapers/Naud_et_al_2008_adex_firing_patterns.py",
    equations=ADEX_EQS, threshold="v > V_cut", reset="v = V_r; w += b", refractory=None, method="euler",
    parameters={"C": "200 pF", "g_L": "10 nS", "E_L": "-58 mV", "V_T": "-50 mV", "Delta_T": "2 mV",
                "a": "2 nS", "tau_w": "120 ms", "b": "100 pA", "V_r": "-46 mV", "V_cut": "0 mV", "I_b": "0 pA"},
    initial={"v": "E_L", "w": "0 pA"}, dt="0.1 ms", duration="500 ms", size=3,
    per_neuron={"I_b": ["150 pA", "210 pA", "400 pA"]},
    traces={"neuron": 1, "until_ms": 300, "variables": {"v": "mV", "w": "pA"}},
)

GIZH_EQS = ("dv/dt = (0.04*v**2/mV + 4.1*v + 108*mV - u + I_b)/ms : volt\n"
            "du/dt = a*(b*v - u) : volt\n")
GIZH = dict(
    description="generalized Izhikevich form (0.04v^2 + 4.1v + 108), class 1 excitable",
    source="Izhikevich (2004) IEEE Trans Neural Netw 15:1063, Fig. 1 (G) class 1 excitable, MATLAB code figure1.m",
    equations=GIZH_EQS, threshold="v > v_peak", reset="v = c; u += d", refractory=None, method="euler",
    parameters={"a": "0.02/ms", "b": "-0.1", "c": "-55 mV", "d": "6 mV", "v_peak": "30 mV", "v_init": "-60 mV",
                "I_b": "0 mV"},
    initial={"v": "v_init", "u": "b*v_init"}, dt="0.1 ms", duration="500 ms", size=3,
    per_neuron={"I_b": ["2 mV", "3 mV", "10 mV"]},
    traces={"neuron": 2, "until_ms": 200, "variables": {"v": "mV", "u": "mV"}},
)

OU_MODELS = {
    "ou": dict(
        description="Ornstein-Uhlenbeck membrane (Euler-Maruyama)",
        equations="dv/dt = (E_L - v)/tau + sigma*sqrt(2/tau)*xi : volt\n",
        threshold=None, reset=None, refractory=None, method="euler",
        parameters={"E_L": "-65 mV", "tau": "10 ms", "sigma": "5 mV"}, initial={"v": "E_L"}),
    "noisy_lif": dict(
        description="leaky integrate-and-fire with the same white noise and a constant drive mu",
        equations="dv/dt = (E_L + mu - v)/tau + sigma*sqrt(2/tau)*xi : volt (unless refractory)\n",
        threshold="v > V_th", reset="v = V_r", refractory="2 ms", method="euler",
        parameters={"E_L": "-65 mV", "mu": "12 mV", "tau": "10 ms", "sigma": "5 mV", "V_th": "-50 mV",
                    "V_r": "-65 mV"}, initial={"v": "E_L"}),
}
OU = dict(description="white-noise statistics", dt="0.1 ms", duration="500 ms", size=2000,
          seeds=list(range(1, 11)), sample_ms=[100, 200, 300, 400, 500], models=OU_MODELS)

EIF_EXP = dict(EIF, method="exponential_euler",
               description="exponential integrate-and-fire, f-I curve, exponential Euler (Brian2 takes -g_L/C as the "
                           "linear coefficient; the exp term, at the old v, goes into B)")

CASES = {"eif": EIF, "eif_exponential_euler": EIF_EXP, "izhikevich2007": IZH07, "izhikevich2007_ch": IZH07_CH,
         "hodgkin_huxley": HH, "adex_bursting": ADEX, "generalized_izhikevich": GIZH}


def sig6(x):
    return float(f"{x:.6g}")


def unit_text(q):
    """Brian2's declaration text for the SI unit of q ('amp', 'metre ** -2 * amp', '1')."""
    return repr(get_unit(q.dim)) if hasattr(q, "dim") and not q.is_dimensionless else "1"


def build_group(model, size, per_neuron, refractory=None, name="neurons"):
    per_neuron = per_neuron or {}
    shared = {k: quantity(v) for k, v in model["parameters"].items() if k not in per_neuron}
    if "I_ext" in model["equations"]:
        shared["I_ext"] = 0 * amp
    decl = "\n".join(f"{k} : {unit_text(quantity(vals[0]))} (constant)" for k, vals in per_neuron.items())
    eqs = Equations(model["equations"]) + Equations(decl) if decl else Equations(model["equations"])
    refr = refractory if refractory is not None else model.get("refractory")
    kwargs = {}
    if model.get("threshold"):
        kwargs["threshold"] = model["threshold"]
    if model.get("reset"):
        kwargs["reset"] = model["reset"]
    if refr is not None:
        kwargs["refractory"] = refr if re.search(r"[<>=]", refr) else quantity(refr)
    group = NeuronGroup(size, eqs, method=model["method"], namespace=shared, name=name, **kwargs)
    for k, vals in per_neuron.items():
        setattr(group, k, [quantity(v) for v in vals])
    for var, text in model["initial"].items():
        try:
            setattr(group, var, quantity(text))
        except ValueError:
            setattr(group, var, text)  # an expression of parameters, evaluated by Brian2 in the namespace
    return group, decl


def spike_steps(mon, size, dt_s):
    steps = [[] for _ in range(size)]
    for i, t in zip(np.asarray(mon.i), np.asarray(mon.t_)):
        steps[int(i)].append(int(round(t / dt_s)))
    return steps


def run_case(name, case):
    defaultclock.dt = quantity(case["dt"])
    dt_s = float(quantity(case["dt"]))
    group, decl = build_group(case, case["size"], case["per_neuron"])
    spikes = SpikeMonitor(group)
    tr = case["traces"]
    state = StateMonitor(group, list(tr["variables"]), record=[tr["neuron"]], dt=1 * ms)
    net = Network(group, spikes, state)
    if case.get("variant"):
        vgroup, _ = build_group(case, case["size"], case["per_neuron"], case["variant"]["refractory"], "variant")
        vspikes = SpikeMonitor(vgroup)
        net.add(vgroup, vspikes)
    net.run(quantity(case["duration"]), namespace={})
    steps = spike_steps(spikes, case["size"], dt_s)
    t_ms = np.asarray(state.t / ms)
    keep = t_ms < tr["until_ms"] - 1e-9
    traces = {"neuron": tr["neuron"], "every_ms": 1, "t_ms": [sig6(t) for t in t_ms[keep]]}
    for var, unit in tr["variables"].items():
        values = np.asarray(getattr(state, var)[0])
        scale = 1.0 if unit == "1" else float(quantity("1 " + unit))
        traces[f"{var}_{unit}" if unit != "1" else var] = [sig6(x / scale) for x in values[keep]]
    out = {k: case[k] for k in ("description", "source", "equations", "threshold", "reset", "refractory", "method",
                                "parameters", "initial", "dt", "duration", "size", "per_neuron")}
    out.update({
        "name": name,
        "brian2_parameter_declarations": decl,
        "parameters_si": {k: float(quantity(v)) for k, v in case["parameters"].items()},
        "per_neuron_si": {k: [float(quantity(v)) for v in vals] for k, vals in case["per_neuron"].items()},
        "spike_counts": [len(s) for s in steps],
        "spike_steps": steps,
        "traces": traces,
        "generated_state_update_code": group.state_updater.codeobj.code.run,
    })
    if case.get("variant"):
        vsteps = spike_steps(vspikes, case["size"], dt_s)
        out["variant"] = {"refractory": case["variant"]["refractory"], "spike_counts": [len(s) for s in vsteps],
                          "spike_steps": vsteps, "same_spike_steps": vsteps == steps}
    return out


def run_ou():
    dt_s = float(quantity(OU["dt"]))
    defaultclock.dt = quantity(OU["dt"])
    n, T = OU["size"], float(quantity(OU["duration"]))
    chunk = OU["sample_ms"][0] * ms
    res = {"ou": {"mean_mV": [], "sd_mV": []}, "noisy_lif": {"rate_Hz": [], "counts_per_100ms": []}}
    for s in OU["seeds"]:
        seed(s)
        g_ou, _ = build_group(OU_MODELS["ou"], n, None, name="ou")
        g_lif, _ = build_group(OU_MODELS["noisy_lif"], n, None, name="noisy_lif")
        mon = SpikeMonitor(g_lif)
        net = Network(g_ou, g_lif, mon)
        means, sds = [], []
        for _ in OU["sample_ms"]:
            net.run(chunk, namespace={})
            v = np.asarray(g_ou.v_) / 1e-3
            means.append(sig6(v.mean()))
            sds.append(sig6(v.std(ddof=1)))
        res["ou"]["mean_mV"].append(means)
        res["ou"]["sd_mV"].append(sds)
        t = np.asarray(mon.t_)
        res["noisy_lif"]["rate_Hz"].append(sig6(len(t) / (n * T)))
        res["noisy_lif"]["counts_per_100ms"].append(np.histogram(t, bins=np.arange(0, T + 1e-9, 0.1))[0].tolist())
    p = {k: float(quantity(v)) for k, v in OU_MODELS["ou"]["parameters"].items()}
    r = dt_s / p["tau"]
    sd_inf = p["sigma"] / math.sqrt(1 - r / 2)
    res["ou"]["theory"] = {
        "mean_mV": p["E_L"] / 1e-3,
        "sd_continuous_mV": p["sigma"] / 1e-3,
        "sd_euler_stationary_mV": sd_inf / 1e-3,
        "sd_euler_at_samples_mV": [sd_inf * math.sqrt(1 - (1 - r) ** (2 * round(tm * 1e-3 / dt_s))) / 1e-3
                                   for tm in OU["sample_ms"]],
        "formula": "x_{n+1} = (1 - r) x_n + sigma*sqrt(2 r) N(0,1), r = dt/tau, x_0 = 0: "
                   "var_n = sigma^2/(1 - r/2) * (1 - (1 - r)^(2n))",
        "sampling_sd_of_mean_mV": p["sigma"] / math.sqrt(n) / 1e-3,
        "sampling_sd_of_sd_mV": sd_inf / math.sqrt(2 * (n - 1)) / 1e-3,
    }
    means, sds, rates = (np.asarray(x) for x in (res["ou"]["mean_mV"], res["ou"]["sd_mV"], res["noisy_lif"]["rate_Hz"]))
    res["ou"]["across_seeds_and_samples"] = {
        "mean_of_means_mV": sig6(means.mean()), "sd_of_means_mV": sig6(means.std(ddof=1)),
        "mean_of_sds_mV": sig6(sds.mean()), "sd_of_sds_mV": sig6(sds.std(ddof=1))}
    res["noisy_lif"]["across_seeds"] = {"mean_Hz": sig6(rates.mean()), "sd_Hz": sig6(rates.std(ddof=1))}
    models = {k: dict(m, parameters_si={q: float(quantity(v)) for q, v in m["parameters"].items()})
              for k, m in OU_MODELS.items()}
    return {"name": "ou_noise", "description": OU["description"], "dt": OU["dt"], "duration": OU["duration"],
            "size": n, "seeds": OU["seeds"], "sample_ms": OU["sample_ms"],
            "sd_convention": "sample sd across neurons, ddof = 1; v read after each 100 ms chunk of the run "
                             "(t = 100, 200, ... ms)",
            "rate_convention": "spikes / (size * duration) over the whole run, per seed",
            "models": models, "results": res}


def check_documents():
    """Each <case>.yaml must carry the script's strings exactly (a test can rely on either)."""
    def same(doc_model, model, where):
        for key in ("equations", "threshold", "reset", "refractory", "method"):
            got = doc_model.get(key)
            if (got if got is None else str(got)) != model.get(key):
                sys.exit(f"{where}: {key} {got!r} != {model.get(key)!r}")
        params = {k: str(v) for k, v in doc_model.get("parameters", {}).items()}
        if params != model["parameters"]:
            sys.exit(f"{where}: parameters differ: {params} != {model['parameters']}")
        init = {k: str(v) for k, v in doc_model.get("initial", {}).items()}
        if init != model["initial"]:
            sys.exit(f"{where}: initial differs: {init} != {model['initial']}")

    for name, case in CASES.items():
        with open(os.path.join(HERE, f"{name}.yaml")) as f:
            doc = yaml.safe_load(f)
        if str(doc["dt"]) != case["dt"]:
            sys.exit(f"{name}.yaml: dt {doc['dt']} != {case['dt']}")
        same(doc["models"][name], case, f"{name}.yaml")
        pop = doc["populations"]["cells"]
        params = {k: [str(x) for x in v] for k, v in pop.get("params", {}).items()}
        if pop["size"] != case["size"] or params != case["per_neuron"] or pop["model"] != name:
            sys.exit(f"{name}.yaml: population differs from the script")
    with open(os.path.join(HERE, "ou_noise.yaml")) as f:
        doc = yaml.safe_load(f)
    for key, model in OU_MODELS.items():
        same(doc["models"][key], model, f"ou_noise.yaml {key}")
        if doc["populations"][key]["size"] != OU["size"] or doc["populations"][key]["model"] != key:
            sys.exit(f"ou_noise.yaml: population {key} differs from the script")
    if str(doc["dt"]) != OU["dt"]:
        sys.exit("ou_noise.yaml: dt differs")


def main():
    if os.environ.get("PYTHONHASHSEED") != "0":
        # Brian2 emits the generated code's load/store lines in set order; a fixed hash seed keeps the JSON byte-stable
        os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, PYTHONHASHSEED="0"))
    check_documents()
    t0 = time.time()
    out = {
        "generator": f"brian2 {brian2.__version__} (numpy target, float64, numpy {np.__version__}), "
                     "tests/reference/models/brian2_neurons.py",
        "spike_time_convention": "spike found in step n (integrating t_n -> t_n+1) is recorded at t = n*dt; "
                                 "spike_steps[i] lists n for neuron i",
        "step_order": "state update from old values; threshold on new values (not while refractory); reset",
        "trace_convention": "StateMonitor every 1 ms at the start of the step (value at t = k ms, after the previous "
                            "step's reset); rounded to 6 significant digits; t < until",
        "I_ext": "0 amp (the engine input; no sources in the documents)",
        "cases": {},
    }
    for name, case in CASES.items():
        t1 = time.time()
        res = run_case(name, case)
        out["cases"][name] = res
        extra = f", variant {res['variant']['spike_counts']}" if "variant" in res else ""
        print(f"{name}: spikes per neuron {res['spike_counts']}{extra} ({time.time() - t1:.1f} s)", flush=True)
    t1 = time.time()
    ou = run_ou()
    out["cases"]["ou_noise"] = ou
    r = ou["results"]
    print(f"ou_noise: OU {r['ou']['across_seeds_and_samples']}, Euler theory sd "
          f"{r['ou']['theory']['sd_euler_stationary_mV']:.4f} mV; noisy LIF rate {r['noisy_lif']['across_seeds']} Hz "
          f"({time.time() - t1:.1f} s)", flush=True)
    # FLUX_REFERENCE_OUT: where tests/user-models.test.ts asks for a fresh run (the committed file is not touched).
    with open(os.environ.get("FLUX_REFERENCE_OUT", os.path.join(HERE, "neurons_brian2.json")), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"total {time.time() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    main()
