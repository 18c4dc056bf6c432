package pdp

// Plan is what the engine learned about one entrypoint of the active bundle
// set when it activated it: enough for a decision cache to build keys without
// knowing Rego. It is plain data and never changes once reported.
type Plan struct {
	// Revision is the combined revision of the bundle set the plan belongs to.
	Revision string
	// Digest identifies the content of the activated bundle set (a SHA-256
	// over every bundle's manifest, modules and data, and the entrypoints):
	// equal content gives an equal digest, after a restart too, and any
	// change gives a new one, whether or not the revision changed.
	Digest string
	// Activation numbers the activation the plan belongs to within one
	// engine (it restarts at 1 with the process, so it is never part of a
	// key): a cache compares it to tell that a swap landed between planning
	// and evaluation.
	Activation uint64
	// Entrypoint is the resolved entrypoint (never empty).
	Entrypoint string
	// Deterministic is false when evaluation can call a non-deterministic
	// built-in (time.now_ns, http.send, rand.intn, ...): such decisions are
	// never cached.
	Deterministic bool
	// WholeInput is true when the analysis could not bound what the
	// entrypoint reads of input (input iterated, passed whole, dynamic keys).
	WholeInput bool
	// InputPaths are the object-key paths under input that the entrypoint
	// can read, each standing for the whole subtree below it; sorted, and no
	// path is a prefix of another. Meaningless when WholeInput is set.
	InputPaths [][]string
}
