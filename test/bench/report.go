package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// target is one ratio of issue 9: num/den of a measure, compared with want.
type target struct {
	label    string
	num, den string
	measure  func(result) float64
	want     float64
	atMost   bool // the ratio must stay below want rather than reach it
}

func rps(r result) float64 { return r.rps }
func p99(r result) float64 { return ms(r.p99) }

func targets() []target {
	return []target{
		{"check-uncached rps / opa-rest rps", "check-uncached", "opa-rest", rps, 1.5, false},
		{"check-uncached p99 / opa-rest p99", "check-uncached", "opa-rest", p99, 1, true},
		{"check-cached rps / opa-rest rps", "check-cached", "opa-rest", rps, 3, false},
		{"check-cached rps / noop rps", "check-cached", "noop", rps, 0.6, false},
		{"check-redis rps / opa-rest rps", "check-redis", "opa-rest", rps, 0, false},
		{"check-redis rps / noop rps", "check-redis", "noop", rps, 0, false},
		{"check-uncached rps / noop rps", "check-uncached", "noop", rps, 0, false},
	}
}

// printRatios prints the ratio table and returns how many targets were
// missed (a missing scenario, or errors, count as missed).
func printRatios(w io.Writer, rs []result) int {
	byName := map[string]result{}
	for _, r := range rs {
		byName[r.scenario] = r
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ratio\tvalue\ttarget\t")
	missed := 0
	for _, t := range targets() {
		value, verdict := t.evaluate(byName)
		if verdict == "MISSED" || verdict == "not run" && t.want > 0 {
			missed++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.label, value, t.wanted(), verdict)
	}
	errs := errorVerdict(rs)
	if errs != "ok" {
		missed++
	}
	fmt.Fprintf(tw, "errors in every scenario\t%s\t0\t%s\n", errorTotal(rs), errs)
	_ = tw.Flush()
	return missed
}

func (t target) evaluate(byName map[string]result) (string, string) {
	n, ok1 := byName[t.num]
	d, ok2 := byName[t.den]
	if !ok1 || !ok2 || n.skipped != "" || d.skipped != "" || t.measure(d) == 0 {
		return "-", "not run"
	}
	v := t.measure(n) / t.measure(d)
	value := fmt.Sprintf("%.2fx", v)
	switch {
	case t.want == 0:
		return value, ""
	case t.atMost && v < t.want, !t.atMost && v >= t.want:
		return value, "ok"
	}
	return value, "MISSED"
}

func (t target) wanted() string {
	switch {
	case t.want == 0:
		return "-"
	case t.atMost:
		return fmt.Sprintf("< %.2gx", t.want)
	}
	return fmt.Sprintf(">= %.2gx", t.want)
}

func errorTotal(rs []result) string {
	var n int64
	for _, r := range rs {
		n += r.errors
	}
	return fmt.Sprint(n)
}

func errorVerdict(rs []result) string {
	for _, r := range rs {
		if r.errors > 0 || r.skipped != "" {
			return "MISSED"
		}
	}
	return "ok"
}
