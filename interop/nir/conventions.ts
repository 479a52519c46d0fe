// How Flux reads and writes the numbers in a NIR graph. Every choice of the NIR interop is here, once;
// interop/nir/README.md says the same for readers.
//
// NIR (neuromorphs/NIR, nir/ir/neuron.py) describes neurons as continuous-time ODEs; a graph carries
// no time step. Its equations, with the parameter names of the HDF5 datasets:
//   LIF      tau * dv/dt = (v_leak - v) + r * I             spike when v > v_threshold, then v = v_reset
//   CubaLIF  tau_syn * dI/dt = -I + w_in * S
//            tau_mem * dv/dt = (v_leak - v) + r * I          spike and reset as LIF
//   IF       dv/dt = r * I                                   spike and reset as LIF
//   LI       tau * dv/dt = (v_leak - v) + r * I              no spikes (CubaLI: with the synapse of CubaLIF)
//   I        dv/dt = r * I                                   no spikes
//   Affine   y = W x + b (W is [out, in]),  Linear  y = W x,  Scale  y = s * x (elementwise)
//   Delay    y(t) = x(t - delay) (elementwise),  Input / Output: the graph's ports, with a shape
// v_reset absent means 0 (as nir.read does). A node's inputs are the sum of the edges into it.
//
// TIME. NIR time constants and delays are in SECONDS. NIR's primitives table labels tau "[ms]", but
// the reference implementation's examples and every exporter write seconds (the NIR paper's LIF
// example: Norse's tau_mem_inv = 400/s exported as tau = 0.0025; the two-LIF example: tau = 0.01 at
// dt = 1e-4 s). Flux converts exactly: tau_ms = 1000 * tau_s, and back. dt is NOT part of any NIR
// neuron parameter: Flux never multiplies or divides a time constant by dt (the bug in Norse's
// to_nir, norse/norse#411, exported tau * dt). The circuit's dt is written only as graph metadata
// (flux_dt) and is an import option.
//
// SPIKES. A spike is a Dirac pulse of integral 1 (the resolution NIR adopted in
// paper/01_lif/debug_spike_representation): a weight W on a spike delivers W * 1 to the next node's
// input at once, independent of any time step. Tools that emit a spike as the value 1 held for one
// step of dt deliver W * dt instead; import such a graph with spikeIntegral = dt (seconds).
//
// VOLTAGE, CURRENT, RESISTANCE. NIR's other numbers carry no units. Flux reads voltages as mV,
// currents as pA and r as GOhm (= mV/pA), so r * I is in mV and the equations stay consistent. Only
// time has a physical scale; any consistent reading gives the same spike times.
//
// FLUX LIF <-> NIR. Flux's LIF: cm dv/dt = (cm/tau_m) (v_rest - v) + I, i.e.
//   tau_m dv/dt = (v_rest - v) + (tau_m/cm) I    =>   tau = tau_m / 1000 s,  r = tau_m / cm GOhm.
// A current synapse of weight w (pA) jumps the synaptic current by w and decays with tau_syn. In a
// CubaLIF with w_in = 1 a spike through W jumps I by W / tau_syn (integrate tau_syn dI/dt = W delta),
// so the NIR weight is the charge the postsynaptic current carries:
//   W = +-w * tau_syn_s   (pA*s = pC; sign: excitatory +, inhibitory -),  and on import w = w_in W / tau_syn_s.
// Into a LIF or IF without a synapse, a spike through W is a jump of the membrane:
//   dv = r W / tau (LIF), dv = r W (IF)  = a charge of W pA*s on the capacitance.
// Flux has no instantaneous jump: it delivers that charge through a current synapse of
// FAST_TAU_SYN_MS with w = 1000 W (tau_m - tau_s)/(tau_s tau_m) pA (the factor cancels the leak during
// tau_s exactly); at dt >= 0.01 ms at least 1 - exp(-dt/tau_s) = 99.995% of the charge arrives in the
// step after the spike, the rest in the next steps.
// Flux's bias current i_offset (and constant sources) are folded into v_leak = v_rest + r * i_offset.
//
// VOLTAGE OFFSET AND INITIAL STATE. NIR runtimes start every state at 0. Flux exports each population
// with its voltages shifted by its initial v (default v_rest): v_nir = v_flux - v0, so NIR's zero
// state is Flux's initial state; v0 is kept as metadata flux_v_offset and restored on import.
// A graph from another tool imports with init v = 0 mV (its zero state) and no offset.
//
// IF and non-spiking nodes. Flux's LIF with tau_m = IF_TAU_M_MS (1e9 ms, about 12 days) is NIR's IF.
// Two relative errors of about 1e-5 remain, balanced by that choice: the leak (t/tau_m: 1e-5 over
// 10 s) and the float64 rounding of 1 - exp(-dt/tau_m) in Flux's propagator for constant currents
// (about 1.1e-16 tau_m/dt: 1e-5 at dt = 0.01 ms). A longer tau_m makes the second one worse (at
// 1e12 ms it is 0.5%). LI, CubaLI and I nodes that are
// not used as synapses (below) become LIF populations with v_thresh = NONSPIKING_THRESHOLD_MV (1e4
// mV, the largest voltage a circuit document may hold), which their potentials, read as mV, do not
// reach in any network Flux imports (a potential of 10 V would make such a population spike).
//
// LI AS A SYNAPSE. An LI node with v_leak = 0 and one tau, whose output only reaches neurons, is an
// exponential synapse: tau dv/dt = -v + r x is exactly Flux's current channel (jump r W / tau per
// spike, decay tau). Flux writes populations whose inputs need it (direct current inputs, or
// excitatory and inhibitory synapses with different time constants) as an LIF fed by LI nodes
// "<pop>.syn_exc" / "<pop>.syn_inh" (r = 1, so W = +-w tau_syn_s as above); otherwise as a CubaLIF.
//
// THRESHOLD. NIR spikes when v > v_threshold, Flux when v >= v_thresh: they differ only when v lands
// exactly on the threshold.
//
// REFRACTORY PERIOD. NIR has none. Flux exports tau_refrac > 0 as a problem (approximated) and keeps
// it as metadata flux_tau_refrac, which Flux's import restores; other tools ignore it.
//
// DELAYS. A Flux delay of d ms is a Delay node of d/1000 s before the projection's Linear node.
// Projections whose synapses have different delays become one Linear node per delay value.
// Flux delivers a spike from step n with delay d steps from step n+d+1 (its fixed one-step latency).

/** Synaptic time constant (ms) that stands in for NIR's instantaneous (Dirac) input into a LIF or IF without a synapse. */
export const FAST_TAU_SYN_MS = 0.001;
/** tau_m (ms) of a Flux LIF that is an IF (no leak). */
export const IF_TAU_M_MS = 1e9;
/** v_thresh (mV) of a Flux LIF that stands for a non-spiking NIR node (LI, CubaLI, I). */
export const NONSPIKING_THRESHOLD_MV = 1e4;
/** NIR seconds -> Flux milliseconds. */
export const MS_PER_S = 1000;

/** Metadata keys Flux writes (non-essential to the graph: other tools may ignore them). */
export const META = {
  generator: 'generator',
  dt: 'flux_dt_ms',
  seed: 'flux_seed',
  name: 'flux_name',
  vOffset: 'flux_v_offset_mv',
  tauRefrac: 'flux_tau_refrac_ms',
  integration: 'flux_integration',
  rate: 'flux_rate_hz',
  inputMode: 'flux_input_mode',
  measure: 'flux_measure',
  measureTau: 'flux_measure_tau_ms',
  role: 'flux_role',
} as const;
