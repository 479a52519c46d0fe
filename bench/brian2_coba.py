#!/usr/bin/python3
"""Brian2 cpp_standalone baseline for the COBA benchmark, scaled to N.

    /usr/bin/python3 bench/brian2_coba.py --n 4000 --syn-per-neuron 80 \
        --duration 1 --dt 0.1

Same model as tests/reference/brian2_coba.py (Brian's benchmark-1 COBA:
v relative to -60 mV, Euler, 5 ms refractory, we = 0.6, wi = 6.7, randn
initial state), but 80% exc / 20% inh and connection probability
syn_per_neuron / N, so each neuron receives ~syn_per_neuron synapses.
At N = 4000, 80 syn/neuron gives p = 0.02, i.e. exactly the reference
network; at other N the in-degree stays ~80, so the rate should stay
similar (finite-size effects only).

Prints ONE JSON line on stdout; everything else (Brian2 log, make, g++) goes
to stderr. Timings:
  loop_time_s     wall time of Network::run() in the generated main, taken
                  with clock_gettime(CLOCK_MONOTONIC) code injected via
                  device.insert_code('before/after_network_run') -- Brian2's
                  own device._last_run_time is std::clock() (process CPU
                  time) when OpenMP is off, so it is reported separately as
                  loop_cpu_time_s.
  compile_time_s  wall time of device.build(compile=True, run=False): code
                  generation + make (make -j<jobs>, default 1 to leave CPU
                  for others; Brian2 flags -O3 -ffast-math -march=native).
  run_wall_s      wall time of the whole ./main (synapse creation, init,
                  loop, writing results).
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time

T0 = "struct timespec _bench_t0, _bench_t1; clock_gettime(CLOCK_MONOTONIC, &_bench_t0);"
T1 = ("clock_gettime(CLOCK_MONOTONIC, &_bench_t1);"
      "{ std::ofstream _f(\"results/bench_loop_wall_s.txt\"); _f.precision(9);"
      " _f << (double)(_bench_t1.tv_sec - _bench_t0.tv_sec)"
      " + 1e-9 * (double)(_bench_t1.tv_nsec - _bench_t0.tv_nsec); }")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--syn-per-neuron", type=float, default=80)
    ap.add_argument("--duration", type=float, default=1.0, help="seconds")
    ap.add_argument("--dt", type=float, default=0.1, help="ms")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=1, help="make -j")
    ap.add_argument("--keep", action="store_true", help="keep build dir")
    ap.add_argument("--build-only", action="store_true",
                    help="compile, keep the build directory and print it instead of running")
    ap.add_argument("--repeat", type=int, default=1, help="run the binary this many times, report the fastest loop")
    ap.add_argument("--method", default="euler",
                    help="state updater: euler (Brian's COBA example) or exponential_euler (what Flux's LIF uses)")
    args = ap.parse_args()

    # Brian2, make and the compiled binary all write to fd 1; keep stdout
    # clean for the single JSON line.
    real_stdout = os.dup(1)
    os.dup2(2, 1)

    from brian2 import (NeuronGroup, Synapses, SpikeMonitor, ms, mV, second,
                        defaultclock, prefs, seed, set_device, device, run)
    set_device("cpp_standalone", build_on_run=False)
    prefs.devices.cpp_standalone.openmp_threads = 0  # single thread
    prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{args.jobs}"]
    defaultclock.dt = args.dt * ms
    seed(args.seed)

    n = args.n
    ne = int(0.8 * n)
    p = min(1.0, args.syn_per_neuron / n)
    ns = dict(taum=20 * ms, taue=5 * ms, taui=10 * ms, Ee=60 * mV,
              Ei=-20 * mV, we=6. / 10., wi=67. / 10.)
    P = NeuronGroup(n, """
        dv/dt = (-v+ge*(Ee-v)+gi*(Ei-v))*(1./taum) : volt (unless refractory)
        dge/dt = -ge*(1./taue) : 1
        dgi/dt = -gi*(1./taui) : 1""", threshold="v>10*mV", reset="v=0*mV",
        refractory=5 * ms, method=args.method, namespace=ns)
    Ce = Synapses(P[:ne], P, on_pre="ge+=we", namespace=ns)
    Ci = Synapses(P[ne:], P, on_pre="gi+=wi", namespace=ns)
    Ce.connect(p=p)
    Ci.connect(p=p)
    P.v = "(randn()*5 - 5)*mV"
    P.ge = "randn()*1.5 + 4"
    P.gi = "randn()*12 + 20"
    M = SpikeMonitor(P, record=False)  # counts only

    device.insert_code("before_network_run", T0)
    device.insert_code("after_network_run", T1)
    run(args.duration * second)

    d = tempfile.mkdtemp(prefix="brian2_coba_", dir="/tmp")
    try:
        t = time.perf_counter()
        device.build(directory=d, compile=True, run=False, with_output=False)
        compile_s = time.perf_counter() - t
        if args.build_only:
            # The caller runs ./main in this directory itself (npm run bench interleaves Brian2 and
            # Flux runs so that both see the same machine load) and removes the directory.
            os.dup2(real_stdout, 1)
            print(json.dumps({"n": n, "method": args.method, "dir": d, "compile_time_s": compile_s,
                              "run": "./main in dir; loop seconds in results/bench_loop_wall_s.txt"}), flush=True)
            return
        # The machines are noisy: run the binary --repeat times and keep the fastest loop, as the
        # Flux side of npm run bench does.
        loops = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            device.run(d, with_output=False, run_args=[])
            run_wall_s = time.perf_counter() - t
            with open(os.path.join(d, "results", "bench_loop_wall_s.txt")) as f:
                loops.append(float(f.read()))
        loop_s = min(loops)
        spikes = int(M.count[:].sum())
        syn = int(len(Ce) + len(Ci))
    finally:
        if not args.keep and not args.build_only:
            shutil.rmtree(d, ignore_errors=True)
        else:
            print(f"build dir kept: {d}", file=sys.stderr)

    out = {
        "n": n, "method": args.method, "synapses": syn, "duration_s": args.duration, "dt_ms": args.dt,
        "loop_time_s": loop_s, "loop_times_s": loops, "loop_cpu_time_s": device._last_run_time,
        "compile_time_s": compile_s, "run_wall_s": run_wall_s,
        "total_spikes": spikes,
        "mean_rate_hz": spikes / n / args.duration,
        "synaptic_events_per_s": spikes * (syn / n) / loop_s,
        "loop_time_source": "clock_gettime(CLOCK_MONOTONIC) around "
                            "Network::run in main.cpp (insert_code)",
        "generator": "brian2 cpp_standalone single-thread, bench/brian2_coba.py",
    }
    os.dup2(real_stdout, 1)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
