package main

import (
	"runtime/debug"
	"strings"
)

// serveGCPercent is the garbage collector's target for `pdp serve` when
// GOGC is not set. The server's live heap is small (the compiled bundles and
// the requests in flight) while every Check allocates tens of kilobytes, so
// at Go's default of 100 the collector runs every few hundred requests; each
// cycle also shrinks the stacks that Rego evaluation grew on the gRPC
// workers, which then grow again. Measured under load (make bench), 400
// takes about a quarter off the CPU per Check for a heap a few times larger.
const serveGCPercent = 400

// tuneGC applies serveGCPercent unless the environment sets GOGC.
func tuneGC(environ []string) {
	for _, kv := range environ {
		if strings.HasPrefix(kv, "GOGC=") {
			return
		}
	}
	debug.SetGCPercent(serveGCPercent)
}
