package postgres_test

import (
	"context"
	neturl "net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit/postgres"
	"github.com/pdp-project/pdp/internal/audit/postgres/pgtest"
)

// TestOpensRaceToMigrateOnce opens five stores on one empty database at
// once: the advisory lock lets one migrate, the rest find it done.
func TestOpensRaceToMigrateOnce(t *testing.T) {
	url := pgtest.NewDatabase(t)
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for range 5 {
		wg.Go(func() {
			s, err := postgres.Open(context.Background(), postgres.Options{URL: url})
			if err == nil {
				err = s.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Open: %v", err)
		}
	}
	var versions []int32
	rows, err := connect(t, url).Query(context.Background(), `SELECT version FROM audit_schema ORDER BY version`)
	if err == nil {
		for rows.Next() {
			var v int32
			_ = rows.Scan(&v)
			versions = append(versions, v)
		}
		err = rows.Err()
	}
	if err != nil || len(versions) != postgres.SchemaVersion || versions[len(versions)-1] != postgres.SchemaVersion {
		t.Fatalf("schema versions %v, %v; want 1..%d once each", versions, err, postgres.SchemaVersion)
	}
}

func TestOpenRefusesANewerSchema(t *testing.T) {
	url := pgtest.NewDatabase(t)
	openURL(t, url)
	if _, err := connect(t, url).Exec(context.Background(), `INSERT INTO audit_schema (version, change) VALUES (999, 'future')`); err != nil {
		t.Fatal(err)
	}
	_, err := postgres.Open(context.Background(), postgres.Options{URL: url})
	if err == nil || !strings.Contains(err.Error(), "999") {
		t.Fatalf("Open of a newer schema: %v, want an error naming version 999", err)
	}
}

// TestPasswordApart: the password may come apart from the URL (a file),
// and no error carries it.
func TestPasswordApart(t *testing.T) {
	srv := pgtest.Start(t, pgtest.Options{})
	db := srv.CreateDatabase(t)
	ctx := context.Background()
	s, err := postgres.Open(ctx, postgres.Options{URL: srv.URLWithoutPassword(db), Password: srv.Password()})
	if err != nil {
		t.Fatalf("Open with the password apart: %v", err)
	}
	_ = s.Close()
	const wrong = "not-the-password-4711"
	_, err = postgres.Open(ctx, postgres.Options{URL: srv.URLWithoutPassword(db), Password: wrong})
	if err == nil || strings.Contains(err.Error(), wrong) {
		t.Fatalf("Open with a wrong password: %v; want an error without the password", err)
	}
	bad := "postgres://u:" + wrong + "@127.0.0.1:1/db?sslmode=disable&connect_timeout=bogus"
	_, err = postgres.Open(ctx, postgres.Options{URL: bad})
	if err == nil || strings.Contains(err.Error(), wrong) {
		t.Fatalf("Open of a malformed URL: %v; want an error without the password", err)
	}
}

// TestReadOnlyOpen: an auditor's account with read rights alone opens the
// trail ReadOnly and reads it; ReadOnly creates nothing in a database
// without a trail and refuses it.
func TestReadOnlyOpen(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	if _, err := postgres.Open(ctx, postgres.Options{URL: url, ReadOnly: true}); err == nil || !strings.Contains(err.Error(), "no fleet trail") {
		t.Fatalf("ReadOnly Open of an empty database: %v, want it refused", err)
	}
	var made *string
	if err := connect(t, url).QueryRow(ctx, `SELECT to_regclass('audit_schema')::text`).Scan(&made); err != nil || made != nil {
		t.Fatalf("ReadOnly Open made %v (%v); want nothing created", made, err)
	}
	entries, _ := seal(t, genesis(), recordsAt(3, time.Now(), time.Second))
	ship(t, openURL(t, url), "a", entries, 3)
	for _, stmt := range []string{`CREATE ROLE auditor LOGIN PASSWORD 'auditor-pw'`,
		`GRANT SELECT ON ALL TABLES IN SCHEMA public TO auditor`} {
		if _, err := connect(t, url).Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	u.User = neturl.UserPassword("auditor", "auditor-pw")
	if _, err := postgres.Open(ctx, postgres.Options{URL: u.String()}); err == nil {
		t.Fatal("the read-only account migrated the database; the test no longer shows that ReadOnly is needed")
	}
	s, err := postgres.Open(ctx, postgres.Options{URL: u.String(), ReadOnly: true})
	if err != nil {
		t.Fatalf("ReadOnly Open as the auditor: %v", err)
	}
	defer s.Close()
	if got, err := s.GetEntry(ctx, entries[1].DecisionID); err != nil || got.Hash != entries[1].Hash {
		t.Fatalf("GetEntry as the auditor = %v, %v", got.Hash, err)
	}
}
