package audittest

import (
	"context"
	"errors"
	"testing"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/pdp"
)

// testAtomic checks that a failing Append leaves no trace: none of the
// batch's other records is stored, and earlier records are untouched.
func testAtomic(t *testing.T, newStore func(t *testing.T) audit.Store) {
	existing := NewRecord(100)
	cases := []struct {
		name    string
		bad     pdp.Record
		invalid bool // the error must wrap audit.ErrInvalidRecord
	}{
		{"duplicate within the batch", pdp.Record{}, false},
		{"duplicate of a stored record", existing, false},
		{"empty decision id", pdp.Record{Allow: true}, true},
		{"input JSON cannot represent", nanInput(), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			ctx := context.Background()
			if err := s.Append(ctx, []pdp.Record{existing}); err != nil {
				t.Fatalf("Append existing: %v", err)
			}
			batch := NewRecords(5)
			if tc.bad.DecisionID == "" && !tc.invalid {
				tc.bad = batch[0]
			}
			batch = append(batch[:3], append([]pdp.Record{tc.bad}, batch[3:]...)...)
			err := s.Append(ctx, batch)
			if err == nil {
				t.Fatal("Append of a batch with a bad record succeeded")
			}
			if tc.invalid && !errors.Is(err, audit.ErrInvalidRecord) {
				t.Errorf("err = %v, want it to wrap audit.ErrInvalidRecord", err)
			}
			assertAbsent(t, s, batch, tc.bad)
			assertPresent(t, s, []pdp.Record{existing})
		})
	}
}

func assertAbsent(t *testing.T, s audit.Store, batch []pdp.Record, bad pdp.Record) {
	t.Helper()
	for _, r := range batch {
		if r.DecisionID == "" || r.DecisionID == bad.DecisionID {
			continue
		}
		if _, err := s.Get(context.Background(), r.DecisionID); !errors.Is(err, audit.ErrNotFound) {
			t.Errorf("record %s of a failed Append: Get err = %v, want ErrNotFound", r.DecisionID, err)
		}
	}
}
