//go:build pprof

package main

import (
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof on http.DefaultServeMux
	"os"
)

// A binary built with -tags pprof (only the bench harness builds one, for
// `make bench` with -profile) serves net/http/pprof on BENCH_PPROF_ADDR, a
// loopback address. Release builds leave this file out.
func init() {
	if addr := os.Getenv("BENCH_PPROF_ADDR"); addr != "" {
		go func() { _ = http.ListenAndServe(addr, nil) }()
	}
}
