package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// backlogGauge is the pdp gauge of audit records durable in its journal and
// not yet in the indexed trail.
const backlogGauge = "pdp_audit_backlog_records"

// Waiting for a pdp's trail to take in what the load left in its journal.
const (
	catchUpTimeout = 60 * time.Second       // longer fails the scenario
	catchUpPoll    = 100 * time.Millisecond // between scrapes of /metrics
)

// catchUp is what a pdp's trail had left to index when a load ended and how
// long it took to reach none.
type catchUp struct {
	records int
	took    time.Duration
}

// trailWatch reads a pdp's audit backlog from its /metrics endpoint.
type trailWatch struct {
	url    string
	client *http.Client
}

func newTrailWatch(metricsURL string) *trailWatch {
	tr := &http.Transport{DisableKeepAlives: true}
	return &trailWatch{url: metricsURL, client: &http.Client{Transport: tr, Timeout: 5 * time.Second}}
}

// wait polls the backlog until it is 0, and fails once timeout has passed
// with records still waiting. A nil watch (a server without an audit
// trail) returns nil at once.
func (w *trailWatch) wait(ctx context.Context, timeout time.Duration) (*catchUp, error) {
	if w == nil {
		return nil, nil
	}
	start := time.Now()
	n, err := w.records(ctx)
	if err != nil {
		return nil, err
	}
	c := &catchUp{records: n}
	defer func() { c.took = time.Since(start) }()
	for n > 0 {
		if time.Since(start) >= timeout {
			return c, fmt.Errorf("audit trail still %d records behind %s after the load (%d when it ended)", n, timeout, c.records)
		}
		select {
		case <-ctx.Done():
			return c, ctx.Err()
		case <-time.After(catchUpPoll):
		}
		if n, err = w.records(ctx); err != nil {
			return c, err
		}
	}
	return c, nil
}

// records scrapes the backlog gauge once.
func (w *trailWatch) records(ctx context.Context) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("read audit backlog: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("read audit backlog: GET %s: %d", w.url, resp.StatusCode)
	}
	return backlogRecords(resp.Body)
}

// backlogRecords reads the backlog gauge from a Prometheus text exposition.
func backlogRecords(r io.Reader) (int, error) {
	v, err := gauge(r, backlogGauge)
	if err != nil {
		return 0, err
	}
	if v < 0 || v != math.Trunc(v) || v > math.MaxInt32 {
		return 0, fmt.Errorf("%s is %v, not a count of records", backlogGauge, v)
	}
	return int(v), nil
}

// gauge is the value of the unlabelled metric name in a Prometheus text
// exposition.
func gauge(r io.Reader, name string) (float64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), name)
		if !ok || !strings.HasPrefix(rest, " ") {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0, fmt.Errorf("%s has no value", name)
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return 0, fmt.Errorf("parse %s: %w", name, err)
		}
		return v, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("read metrics: %w", err)
	}
	return 0, fmt.Errorf("no %s in the metrics", name)
}
