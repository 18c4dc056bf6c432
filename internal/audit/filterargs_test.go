package audit_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/pdp"
)

func TestParseWhen(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := map[string]time.Time{
		"":                     {},
		"90m":                  now.Add(-90 * time.Minute),
		"2026-01-01T00:00:00Z": time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		"2025-12-03":           time.Date(2025, 12, 3, 0, 0, 0, 0, time.UTC),
		"7d":                   now.Add(-7 * 24 * time.Hour),
		"0d":                   now,
		"2026-01-01T10:30":     time.Date(2026, 1, 1, 10, 30, 0, 0, time.UTC),
	}
	for in, want := range cases {
		if got, err := audit.ParseWhen("since", in, now); err != nil || !got.Equal(want) {
			t.Errorf("parseWhen(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"-5m", "-1d", "7x", "d", "1.5d", "2026-13-01", "999999999d"} {
		if _, err := audit.ParseWhen("since", bad, now); err == nil {
			t.Errorf("parseWhen(%q): want an error", bad)
		}
	}
}

func TestFilterArgs(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	deny := false
	for _, tc := range []struct {
		args    audit.FilterArgs
		want    audit.Filter
		errName string
	}{
		{audit.FilterArgs{Subject: "user:alice", Resource: "doc", Decision: "deny", Since: "1h", Instance: "r1"},
			audit.Filter{SubjectType: "user", SubjectID: "alice", ResourceType: "doc", Allow: &deny,
				Since: now.Add(-time.Hour), Instance: "r1"}, ""},
		{audit.FilterArgs{Subject: "alice", Resource: "doc:7", TraceID: "t"},
			audit.Filter{SubjectID: "alice", ResourceType: "doc", ResourceID: "7", TraceID: "t"}, ""},
		{audit.FilterArgs{Decision: "maybe"}, audit.Filter{}, "decision"},
		{audit.FilterArgs{Until: "later"}, audit.Filter{}, "until"},
	} {
		got, err := tc.args.Filter(now)
		var bad *pdp.Error
		switch {
		case tc.errName != "":
			if !errors.As(err, &bad) || bad.Field != tc.errName {
				t.Errorf("%+v: error %v, want one naming %s", tc.args, err, tc.errName)
			}
		case err != nil || !reflect.DeepEqual(got, tc.want):
			t.Errorf("%+v = %+v, %v; want %+v", tc.args, got, err, tc.want)
		}
	}
}
