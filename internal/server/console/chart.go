package console

import (
	"strconv"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
)

// Geometry of the decisions-over-time chart (SVG user units).
const (
	chartW, chartH = 720, 220
	plotTop        = 10
	plotH          = 170 // bars grow up from plotTop+plotH
	labelY         = 205
)

// bucket is the count of one step of the window.
type bucket struct {
	Start, End  time.Time
	Allow, Deny int64
}

// chart is the data of the stacked bar chart: allows above denies.
type chart struct {
	W, H, Base int
	Max        int64
	Bars       []bar
	Ticks      []tick
}

// bar is one bucket drawn: deny at the bottom, allow on top, a link to
// the bucket's decisions.
type bar struct {
	X, W                         int
	DenyY, DenyH, AllowY, AllowH int
	Allow, Deny                  int64
	Label, Link                  string
}

type tick struct {
	X    int
	Text string
}

func newChart(buckets []bucket, step time.Duration) chart {
	ch := chart{W: chartW, H: chartH, Base: plotTop + plotH}
	for _, b := range buckets {
		ch.Max = max(ch.Max, b.Allow+b.Deny)
	}
	if len(buckets) == 0 {
		return ch
	}
	slot := chartW / len(buckets)
	every := max(1, len(buckets)/6)
	for i, b := range buckets {
		ch.Bars = append(ch.Bars, ch.bar(b, i*slot, slot))
		if i%every == 0 {
			ch.Ticks = append(ch.Ticks, tick{X: i*slot + slot/2, Text: tickText(b.Start, step)})
		}
	}
	return ch
}

func (ch chart) bar(b bucket, x, slot int) bar {
	scale := func(n int64) int {
		if ch.Max == 0 {
			return 0
		}
		return int(n * plotH / ch.Max)
	}
	denyH, allowH := scale(b.Deny), scale(b.Allow)
	s := search{FilterArgs: audit.FilterArgs{Since: b.Start.UTC().Format(time.RFC3339), Until: b.End.UTC().Format(time.RFC3339)}}
	return bar{X: x + 1, W: max(1, slot-2), DenyY: ch.Base - denyH, DenyH: denyH,
		AllowY: ch.Base - denyH - allowH, AllowH: allowH, Allow: b.Allow, Deny: b.Deny,
		Label: b.Start.UTC().Format("2006-01-02 15:04") + " UTC: " + strconv.FormatInt(b.Allow, 10) + " allowed, " +
			strconv.FormatInt(b.Deny, 10) + " denied",
		Link: s.link("/ui/decisions")}
}

// tickText labels a bucket: the hour within a day, the date beyond.
func tickText(t time.Time, step time.Duration) string {
	if step < 6*time.Hour {
		return t.UTC().Format("15:04")
	}
	return t.UTC().Format("Jan 2")
}
