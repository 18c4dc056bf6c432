package postgres_test

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/audit/postgres"
	"github.com/pdp-project/pdp/internal/audit/postgres/pgtest"
	"github.com/pdp-project/pdp/internal/pdp"
)

// openStore opens a Store on a fresh database.
func openStore(t testing.TB) *postgres.Store {
	t.Helper()
	return openURL(t, pgtest.NewDatabase(t))
}

func openURL(t testing.TB, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), postgres.Options{URL: url})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// seal returns recs sealed in order after chain, and the chain's new head.
func seal(t testing.TB, chain audit.Chain, recs []pdp.Record) ([]audit.Entry, audit.Chain) {
	t.Helper()
	out := make([]audit.Entry, len(recs))
	for i, r := range recs {
		var err error
		if out[i], chain, err = chain.Next(r); err != nil {
			t.Fatalf("seal record %d: %v", i, err)
		}
	}
	return out, chain
}

func genesis() audit.Chain { return audit.Chain{Hash: audit.GenesisHash} }

func newSigner(t testing.TB) (*audit.Signer, ed25519.PublicKey) {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return audit.NewSigner(key), pub
}

// ship ships entries of instance in batches of size, failing t on error.
func ship(t testing.TB, s *postgres.Store, instance string, entries []audit.Entry, size int) {
	t.Helper()
	for i := 0; i < len(entries); i += size {
		if err := s.Ship(context.Background(), instance, entries[i:min(i+size, len(entries))], nil); err != nil {
			t.Fatalf("Ship %s [%d:]: %v", instance, i, err)
		}
	}
}

// verify runs audit.Verify on instance's chain and fails t on a break.
func verify(t testing.TB, s *postgres.Store, instance string, opts audit.VerifyOptions) audit.Report {
	t.Helper()
	rep, err := s.Trail(instance).Verify(context.Background(), opts)
	if err != nil {
		t.Fatalf("Verify %s: %v", instance, err)
	}
	if rep.Break != nil {
		t.Fatalf("Verify %s: break %v", instance, rep.Break)
	}
	return rep
}

// recordsAt returns n records one every step from base.
func recordsAt(n int, base time.Time, step time.Duration) []pdp.Record {
	recs := audittest.NewRecords(n)
	for i := range recs {
		recs[i].Time = base.Add(time.Duration(i) * step)
	}
	return recs
}
