package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
)

// target is one performance target: the ratio num/den of a measure,
// compared with want.
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
	v, ok := t.ratio(byName)
	if !ok {
		return "-", "not run"
	}
	return t.verdict(v)
}

// ratio is num's measure over den's; false when either did not run.
func (t target) ratio(byName map[string]result) (float64, bool) {
	n, ok1 := byName[t.num]
	d, ok2 := byName[t.den]
	if !ok1 || !ok2 || n.skipped != "" || d.skipped != "" || t.measure(d) == 0 {
		return 0, false
	}
	return t.measure(n) / t.measure(d), true
}

func (t target) verdict(v float64) (string, string) {
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

// printMedianRatios prints, for several rounds of every scenario, each
// ratio's median over the rounds with its range, and returns how many
// targets the medians miss (errors in any round count as missed).
func printMedianRatios(w io.Writer, rounds [][]result) int {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "median of %d rounds	value	range	target	\n", len(rounds))
	missed := 0
	for _, t := range targets() {
		vs := roundRatios(t, rounds)
		if len(vs) < len(rounds) {
			fmt.Fprintf(tw, "%s	-	-	%s	not run\n", t.label, t.wanted())
			missed += map[bool]int{true: 1}[t.want > 0]
			continue
		}
		value, verdict := t.verdict(median(vs))
		missed += map[bool]int{true: 1}[verdict == "MISSED"]
		fmt.Fprintf(tw, "%s	%s	%.2f-%.2fx	%s	%s\n", t.label, value, vs[0], vs[len(vs)-1], t.wanted(), verdict)
	}
	all := slices.Concat(rounds...)
	errs := errorVerdict(all)
	missed += map[bool]int{true: 1}[errs != "ok"]
	fmt.Fprintf(tw, "errors in every scenario	%s		0	%s\n", errorTotal(all), errs)
	_ = tw.Flush()
	return missed
}

// roundRatios is t's ratio in each round where both scenarios ran, sorted.
func roundRatios(t target, rounds [][]result) []float64 {
	var vs []float64
	for _, rs := range rounds {
		byName := map[string]result{}
		for _, r := range rs {
			byName[r.scenario] = r
		}
		if v, ok := t.ratio(byName); ok {
			vs = append(vs, v)
		}
	}
	slices.Sort(vs)
	return vs
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
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
