package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/config"
)

// TestAuditStats counts the fixture's records per group as audit.Tally
// does, with filters, in every format.
func TestAuditStats(t *testing.T) {
	db, recs := cliTrail(t)
	for _, tc := range []struct {
		by     string
		filter []string
		keep   func(i int) bool
	}{
		{"action", nil, func(int) bool { return true }},
		{"subject", []string{"--action", "write"}, func(i int) bool { return i%2 == 1 }},
		{"reason", []string{"--decision", "deny"}, func(i int) bool { return i%3 != 0 }},
		{"caller", []string{"--trace-id", fmt.Sprintf("%032x", 5)}, func(i int) bool { return i == 4 }},
	} {
		t.Run(tc.by, func(t *testing.T) {
			want := audit.Tally{}
			for i, r := range recs {
				if tc.keep(i) {
					want.Add(audit.Entry{Record: r}, tc.by)
				}
			}
			args := append([]string{"audit", "stats", "--audit-db", db, "--group-by", tc.by, "--format", "csv"}, tc.filter...)
			out, errOut, code := runCLI(args...)
			lines := []string{tc.by + ",allow,deny"}
			for _, g := range want.Groups() {
				lines = append(lines, fmt.Sprintf("%s,%d,%d", g.Key, g.Allow, g.Deny))
			}
			if code != 0 || strings.TrimSpace(out) != strings.Join(lines, "\n") {
				t.Errorf("exit %d, got\n%s\nwant\n%s\nstderr: %s", code, out, strings.Join(lines, "\n"), errOut)
			}
		})
	}
	if _, _, code := runCLI("audit", "stats", "--audit-db", db, "--group-by", "weather"); code != exitUsage {
		t.Errorf("--group-by weather: exit %d, want %d", code, exitUsage)
	}
	if out, _, code := runCLI("audit", "stats", "--audit-db", db, "--group-by", "action"); code != 0 || !strings.Contains(out, "TOTAL") {
		t.Errorf("table: exit %d\n%s", code, out)
	}
}

// TestAuditStatsOverGRPC: a server's trail counted by paging through it
// gives what the database file gives.
func TestAuditStatsOverGRPC(t *testing.T) {
	cfg := config.Default()
	cfg.Server.GRPCAddr, cfg.Server.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.DataDir, cfg.Bundle.Sources = t.TempDir(), []string{exampleBundle}
	cfg.Authz.Auditors = []string{"local"}
	addr := runApp(t, cfg.Complete(), nil)
	for _, subject := range []string{"alice", "bob", "alice"} {
		request := `{"subject": {"id": "` + subject + `", "roles": ["viewer"]}, "resource": {"type": "document", "id": "d1"}, "action": {"name": "read"}}`
		if code, out, errOut := runWith(request, nil, "check", "--addr", addr); code != 0 {
			t.Fatalf("check: exit %d\n%s%s", code, out, errOut)
		}
	}
	remote, errOut, code := runCLI("audit", "stats", "--addr", addr, "--group-by", "subject", "--format", "csv")
	local, _, _ := runCLI("audit", "stats", "--audit-db", filepath.Join(cfg.DataDir, "audit.db"), "--group-by", "subject", "--format", "csv")
	if code != 0 || remote != local || !strings.Contains(remote, ":alice,") {
		t.Errorf("exit %d; over gRPC\n%s\nfrom the file\n%s\nstderr: %s", code, remote, local, errOut)
	}
}
