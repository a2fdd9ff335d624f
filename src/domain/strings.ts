/**
 * Flattens a string built by concatenation. V8 keeps `${a} days (limit ${b})` as a rope of cons
 * cells until something reads it; a run retains a few hundred thousand messages, and keeping
 * their ropes alive doubles the garbage collector's work. Reading one character flattens the
 * rope in place into one sequential string. Behaviour is unchanged on any engine.
 */
export function flat(s: string): string {
  s.charCodeAt(0);
  return s;
}
