// Poisson source population (engine/models/poisson.ts): spike with probability (rate + drive) * dt * gain
// per step. The draw comes from the counter-based generator, so GPU spike trains are statistically, not
// bitwise, equal to the CPU's. Constants at pb + P_K: rate, dt/1000. State: drive: the inputs' sum when
// inputs target the population, else as initialised (as on the CPU).

fn modelStep(pb: u32, pop: u32, i: u32, g: u32, sb: u32, n: u32, iext: f32, step: u32) -> bool {
  let k = pb + P_K;
  let m = modOf(pop);
  if ((pu(pb + P_FLAGS) & 2u) != 0u) { st[sb + i] = iext; }
  let p = (pf(k) + st[sb + i]) * pf(k + 1u) * m.gain;
  return uniformAt(pu(pb + P_RNG), step, i, 0u) < p;
}
