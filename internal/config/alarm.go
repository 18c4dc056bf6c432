package config

import (
	"flag"
	"time"
)

// AlarmConfig covers the deny-spike alarm: a caller's or subject's deny
// ratio over one window above Ratio times its own baseline, with at least
// Min decisions in the window.
type AlarmConfig struct {
	Ratio  float64       `yaml:"ratio"`  // --deny-spike-ratio
	Min    int           `yaml:"min"`    // --deny-spike-min
	Window time.Duration `yaml:"window"` // --deny-spike-window
}

// defaultAlarm is the alarm section of Default.
func defaultAlarm() AlarmConfig {
	return AlarmConfig{Ratio: 3, Min: 20, Window: time.Minute}
}

func defineAlarm(fs *flag.FlagSet, a *AlarmConfig) {
	fs.Float64Var(&a.Ratio, "deny-spike-ratio", a.Ratio, "deny-spike alarm: deny ratio above this `factor` of its baseline")
	fs.IntVar(&a.Min, "deny-spike-min", a.Min, "deny-spike alarm: least `N` decisions in a window before it counts")
	fs.DurationVar(&a.Window, "deny-spike-window", a.Window, "deny-spike alarm: `duration` of the rolling deny ratio window")
}

func (c Config) validateAlarm(p *problems) {
	if c.Alarm.Ratio <= 1 {
		p.add("deny-spike-ratio", "must be greater than 1, got %g", c.Alarm.Ratio)
	}
	if c.Alarm.Min < 1 {
		p.add("deny-spike-min", "must be at least 1, got %d", c.Alarm.Min)
	}
	if c.Alarm.Window <= 0 {
		p.add("deny-spike-window", "must be positive, got %s", c.Alarm.Window)
	}
}
