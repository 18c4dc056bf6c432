package telemetry

import (
	"sync"
	"time"
)

// Scopes of the deny-spike alarm.
const (
	ScopeCaller  = "caller"
	ScopeSubject = "subject"
)

// Defaults of SpikeOptions.
const (
	DefaultSpikeRatio  = 3.0
	DefaultSpikeMin    = 20
	DefaultSpikeWindow = time.Minute
	// baselineFloor keeps a key that is (almost) never denied from raising
	// an alarm over a single denial: the threshold is at least
	// Ratio * baselineFloor.
	baselineFloor = 0.05
	// baselineWeight is the weight of the newest window in the baseline
	// (an exponentially weighted moving average of window deny ratios).
	baselineWeight = 0.3
	// idleWindows: a key with no decision for this many windows is forgotten.
	idleWindows = 10
)

// SpikeOptions configures a SpikeDetector.
type SpikeOptions struct {
	// Ratio: the alarm is raised when a key's deny ratio in the current
	// window exceeds Ratio times its baseline (--deny-spike-ratio).
	Ratio float64
	// Min is the least number of decisions in a window before its ratio
	// counts, both for the alarm and for the baseline (--deny-spike-min).
	Min int
	// Window is the length of one window (--deny-spike-window).
	Window time.Duration
	Clock  func() time.Time
}

// Spike is an alarm raised or cleared for one key.
type Spike struct {
	Scope, Key string
	// Denies and Total are the counts of the window that raised or cleared
	// the alarm; Ratio is Denies/Total.
	Denies, Total int
	Ratio         float64
	// Baseline is the key's usual deny ratio.
	Baseline float64
	Time     time.Time
	// Raised is true for a new alarm and false when it subsided.
	Raised bool
}

// SpikeDetector keeps a rolling deny ratio per caller and per subject and
// reports when one rises above Ratio times its own baseline. A key needs a
// baseline (one full window of at least Min decisions) before it can
// alarm; an alarm holds until the ratio of a window (of at least Min
// decisions) is back under the threshold, or the key goes quiet for a window. Windows under alarm do not move the
// baseline. Safe for concurrent use.
type SpikeDetector struct {
	opts  SpikeOptions
	mu    sync.Mutex
	keys  map[spikeKey]*keyState
	swept time.Time
}

type spikeKey struct{ scope, key string }

type keyState struct {
	start, last   time.Time
	total, denies int
	baseline      float64
	learned       bool
	alarm         bool
}

// NewSpikeDetector builds a detector; zero options take the defaults.
func NewSpikeDetector(opts SpikeOptions) *SpikeDetector {
	if opts.Ratio <= 0 {
		opts.Ratio = DefaultSpikeRatio
	}
	if opts.Min <= 0 {
		opts.Min = DefaultSpikeMin
	}
	if opts.Window <= 0 {
		opts.Window = DefaultSpikeWindow
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	return &SpikeDetector{opts: opts, keys: map[spikeKey]*keyState{}, swept: opts.Clock()}
}

// Observe counts one decision of caller about subject (empty keys are not
// tracked) and returns the alarms it raised or cleared, usually none.
func (d *SpikeDetector) Observe(caller, subject string, allow bool) []Spike {
	now := d.opts.Clock()
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.sweep(now)
	for _, k := range [...]spikeKey{{ScopeCaller, caller}, {ScopeSubject, subject}} {
		if k.key == "" {
			continue
		}
		if s, ok := d.observe(k, now, allow); ok {
			out = append(out, s)
		}
	}
	return out
}

func (d *SpikeDetector) observe(k spikeKey, now time.Time, allow bool) (Spike, bool) {
	st := d.keys[k]
	if st == nil {
		st = &keyState{start: now}
		d.keys[k] = st
	}
	s, cleared := d.roll(k, st, now)
	st.last = now
	st.total++
	if !allow {
		st.denies++
	}
	if cleared {
		return s, true
	}
	if !st.learned || st.total < d.opts.Min || st.alarm == (st.ratio() > d.threshold(st)) {
		return Spike{}, false
	}
	st.alarm = !st.alarm
	return d.spike(k, st, now, st.alarm), true
}

// roll closes the window of st when it is over: a window of enough volume
// clears an alarm under the threshold, or (without alarm) feeds the
// baseline. A quiet window clears an alarm too.
func (d *SpikeDetector) roll(k spikeKey, st *keyState, now time.Time) (Spike, bool) {
	if now.Sub(st.start) < d.opts.Window {
		return Spike{}, false
	}
	var s Spike
	cleared := false
	switch {
	case st.alarm && (st.total < d.opts.Min || st.ratio() <= d.threshold(st)):
		st.alarm, cleared = false, true
		s = d.spike(k, st, now, false)
	case !st.alarm && st.total >= d.opts.Min:
		st.learn(st.ratio())
	}
	st.start, st.total, st.denies = now, 0, 0
	return s, cleared
}

// sweep, once a window, rolls quiet keys under alarm and forgets idle keys.
func (d *SpikeDetector) sweep(now time.Time) []Spike {
	if now.Sub(d.swept) < d.opts.Window {
		return nil
	}
	d.swept = now
	var out []Spike
	for k, st := range d.keys {
		if s, cleared := d.roll(k, st, now); cleared {
			out = append(out, s)
		}
		if !st.alarm && now.Sub(st.last) > idleWindows*d.opts.Window {
			delete(d.keys, k)
		}
	}
	return out
}

func (d *SpikeDetector) threshold(st *keyState) float64 {
	return d.opts.Ratio * max(st.baseline, baselineFloor)
}

func (d *SpikeDetector) spike(k spikeKey, st *keyState, now time.Time, raised bool) Spike {
	return Spike{Scope: k.scope, Key: k.key, Denies: st.denies, Total: st.total, Ratio: st.ratio(),
		Baseline: st.baseline, Time: now, Raised: raised}
}

func (st *keyState) ratio() float64 {
	if st.total == 0 {
		return 0
	}
	return float64(st.denies) / float64(st.total)
}

func (st *keyState) learn(r float64) {
	if !st.learned {
		st.baseline, st.learned = r, true
		return
	}
	st.baseline = baselineWeight*r + (1-baselineWeight)*st.baseline
}
