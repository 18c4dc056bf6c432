package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// line is a scenario's RESULT line. For a pdp it also gives the audit
// records its trail had yet to index when the load ended and how long the
// trail took to take them in; other servers print "-" there.
func (r result) line() string {
	if r.skipped != "" {
		return fmt.Sprintf("SKIP scenario=%s reason=%q", r.scenario, r.skipped)
	}
	backlog, catchUp := "-", "-"
	if r.trail != nil {
		backlog = fmt.Sprint(r.trail.records)
		catchUp = fmt.Sprintf("%.2f", r.trail.took.Seconds())
	}
	return fmt.Sprintf("RESULT scenario=%s rps=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d backlog_at_end=%s catchup_s=%s",
		r.scenario, r.rps, ms(r.p50), ms(r.p99), r.errors, backlog, catchUp)
}

func (r result) cpuLine() string {
	return fmt.Sprintf("CPU scenario=%s server_cpu_us_per_req=%.1f client_cpu_us_per_req=%.1f machine_busy=%.2f cache_hit_share=%.2f",
		r.scenario, us(r.serverCPU), us(r.clientCPU), r.busy, r.hitShare)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// comparison is how a target's ratio must stand against its threshold.
type comparison int

const (
	info    comparison = iota // no target: the ratio is shown for reading
	atLeast                   // ratio >= want
	below                     // ratio < want
	atMost                    // ratio <= want
)

// target is the ratio num/den of a measure, compared with want.
type target struct {
	label    string
	num, den string
	measure  func(result) float64
	cmp      comparison
	want     float64
}

func rps(r result) float64 { return r.rps }
func p99(r result) float64 { return ms(r.p99) }

// cpu is the server's CPU per request, deferred audit work included.
func cpu(r result) float64 { return us(r.serverCPU) }

// targets are the performance targets, judged, and then ratios shown for
// reading. CPU is the server's CPU per request.
func targets() []target {
	return []target{
		{"check-cached CPU / noop CPU", "check-cached", "noop", cpu, atMost, 2.5},
		{"check-uncached CPU / opa-rest CPU", "check-uncached", "opa-rest", cpu, atMost, 0.67},
		{"check-uncached p99 / opa-rest p99", "check-uncached", "opa-rest", p99, below, 1},
		{"check-cached p99 / opa-rest p99", "check-cached", "opa-rest", p99, below, 1},
		{"check-uncached rps / opa-rest-logged rps", "check-uncached", "opa-rest-logged", rps, atLeast, 1.5},
		{"check-uncached CPU / opa-rest-logged CPU", "check-uncached", "opa-rest-logged", cpu, info, 0},
		{"opa-rest-logged CPU / opa-rest CPU", "opa-rest-logged", "opa-rest", cpu, info, 0},
		{"check-uncached rps / opa-rest rps", "check-uncached", "opa-rest", rps, info, 0},
		{"check-cached rps / opa-rest rps", "check-cached", "opa-rest", rps, info, 0},
		{"check-cached rps / noop rps", "check-cached", "noop", rps, info, 0},
		{"check-redis rps / opa-rest rps", "check-redis", "opa-rest", rps, info, 0},
		{"check-redis rps / noop rps", "check-redis", "noop", rps, info, 0},
		{"check-uncached rps / noop rps", "check-uncached", "noop", rps, info, 0},
	}
}

// printRatios prints the ratio table and returns how many targets were
// missed (a target without a figure, or errors, count as missed).
func printRatios(w io.Writer, rs []result) int {
	byName := byScenario(rs)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ratio\ttarget\tmeasured\t")
	missed := 0
	for _, t := range targets() {
		value, verdict := t.evaluate(byName)
		missed += t.misses(verdict)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.label, t.wanted(), value, verdict)
	}
	errs := errorVerdict(rs)
	missed += map[bool]int{true: 1}[errs != "met"]
	fmt.Fprintf(tw, "errors in every scenario\t0\t%s\t%s\n", errorTotal(rs), errs)
	_ = tw.Flush()
	return missed
}

func byScenario(rs []result) map[string]result {
	byName := map[string]result{}
	for _, r := range rs {
		byName[r.scenario] = r
	}
	return byName
}

func (t target) evaluate(byName map[string]result) (string, string) {
	v, why := t.ratio(byName)
	if why != "" {
		return "-", why
	}
	return t.verdict(v)
}

// ratio is num's measure over den's, or why there is none: a scenario
// that did not run, or a measure it has no figure for.
func (t target) ratio(byName map[string]result) (float64, string) {
	n, ok1 := byName[t.num]
	d, ok2 := byName[t.den]
	if !ok1 || !ok2 || n.skipped != "" || d.skipped != "" {
		return 0, "not run"
	}
	if t.measure(n) <= 0 || t.measure(d) <= 0 {
		return 0, "no figure"
	}
	return t.measure(n) / t.measure(d), ""
}

func (t target) verdict(v float64) (string, string) {
	value := fmt.Sprintf("%.2fx", v)
	switch {
	case t.cmp == info:
		return value, ""
	case t.cmp == atLeast && v >= t.want, t.cmp == below && v < t.want, t.cmp == atMost && v <= t.want:
		return value, "met"
	}
	return value, "missed"
}

// misses is 1 when verdict fails a target, 0 otherwise.
func (t target) misses(verdict string) int {
	if t.cmp == info || verdict == "met" {
		return 0
	}
	return 1
}

func (t target) wanted() string {
	op := map[comparison]string{atLeast: ">=", below: "<", atMost: "<="}[t.cmp]
	if op == "" {
		return "-"
	}
	return fmt.Sprintf("%s %.2gx", op, t.want)
}

// printMedianRatios prints, for several rounds of every scenario, each
// ratio's median over the rounds with its range, and returns how many
// targets the medians miss (errors in any round count as missed).
func printMedianRatios(w io.Writer, rounds [][]result) int {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "median of %d rounds\ttarget\tmeasured\trange\t\n", len(rounds))
	missed := 0
	for _, t := range targets() {
		vs := roundRatios(t, rounds)
		if len(vs) < len(rounds) {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\tnot run\n", t.label, t.wanted())
			missed += t.misses("not run")
			continue
		}
		value, verdict := t.verdict(median(vs))
		missed += t.misses(verdict)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f-%.2fx\t%s\n", t.label, t.wanted(), value, vs[0], vs[len(vs)-1], verdict)
	}
	all := slices.Concat(rounds...)
	errs := errorVerdict(all)
	missed += map[bool]int{true: 1}[errs != "met"]
	fmt.Fprintf(tw, "errors in every scenario\t0\t%s\t\t%s\n", errorTotal(all), errs)
	_ = tw.Flush()
	return missed
}

// roundRatios is t's ratio in each round where it has one, sorted.
func roundRatios(t target, rounds [][]result) []float64 {
	var vs []float64
	for _, rs := range rounds {
		if v, why := t.ratio(byScenario(rs)); why == "" {
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
			return "missed"
		}
	}
	return "met"
}
