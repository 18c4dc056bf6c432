package app

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/config"
)

// lockConfig is a servable configuration on dataDir (and auditDB, when
// set) with ports of its own.
func lockConfig(t *testing.T, dataDir, auditDB string) config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.Server.GRPCAddr, cfg.Server.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.DataDir, cfg.Audit.DB = dataDir, auditDB
	cfg.Bundle.Sources = []string{filepath.Join("..", "..", "bundles", "example")}
	cfg = cfg.Complete()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// snapshot maps every file under dirs to its size and modification time.
func snapshot(t *testing.T, dirs ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			info, err := d.Info()
			if err == nil {
				out[p] = strconv.FormatInt(info.Size(), 10) + "@" + info.ModTime().Format(time.RFC3339Nano)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestSecondServerOnATrailIsRefused: a second App on the data directory or
// on the audit database of a running one fails with ErrLocked, names the
// directory and the holder's pid, and changes no file.
func TestSecondServerOnATrailIsRefused(t *testing.T) {
	shared, elsewhere := t.TempDir(), t.TempDir()
	db := filepath.Join(elsewhere, "trail", "audit.db")
	log := slog.New(slog.DiscardHandler)
	first, err := New(context.Background(), lockConfig(t, shared, db), log, WithoutTelemetry())
	if err != nil {
		t.Fatal(err)
	}
	defer first.close()
	cases := map[string]config.Config{
		"same data dir": lockConfig(t, shared, filepath.Join(t.TempDir(), "audit.db")),
		"same audit db": lockConfig(t, t.TempDir(), db),
		"both the same": lockConfig(t, shared, db),
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			before := snapshot(t, shared, elsewhere)
			second, err := New(context.Background(), cfg, log, WithoutTelemetry())
			if err == nil {
				second.close()
				t.Fatal("a second server started on a locked trail")
			}
			if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
				t.Errorf("error %q: want ErrLocked naming pid %d", err, os.Getpid())
			}
			if after := snapshot(t, shared, elsewhere); !maps.Equal(before, after) {
				t.Errorf("files changed:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
	first.close()
	again, err := New(context.Background(), lockConfig(t, shared, db), log, WithoutTelemetry())
	if err != nil {
		t.Fatalf("after the first closed: %v", err)
	}
	again.close()
}
