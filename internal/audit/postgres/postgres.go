// Package postgres is the audit trail of a fleet in one PostgreSQL
// database: each replica's sealed entries and signed checkpoints, shipped
// in batches under the replica's instance id, and the read side auditors
// use across all replicas (query, get, verify per instance).
//
// The decisions table is partitioned by day of the decision time, so that
// retention drops whole partitions; the schema is created and upgraded by
// versioned migrations applied at Open under an advisory lock, so replicas
// starting together migrate once.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Options configure Open.
type Options struct {
	// URL is postgres://USER@HOST:PORT/DB?sslmode=... (a password in it is
	// used unless Password is set).
	URL string
	// Password, when set, replaces any password in URL (it comes from a
	// file, never from the command line).
	Password string
	// Logger receives migrations and partition changes; nil discards.
	Logger *slog.Logger
	// MaxConns bounds the connection pool (0: pgxpool's default).
	MaxConns int32
	// Clock tells which day's partitions to create ahead at Open; nil is
	// time.Now.
	Clock func() time.Time
	// ReadOnly opens for reading only, as auditors' commands do: Open
	// creates, migrates and partitions nothing (an account with read
	// rights alone is enough), and refuses a database whose schema this
	// binary does not read.
	ReadOnly bool
}

// Store is the fleet's audit trail in PostgreSQL. It is safe for
// concurrent use.
type Store struct {
	pool  *pgxpool.Pool
	log   *slog.Logger
	clock func() time.Time
	parts partitionCache
	ins   inserter // how Ship inserts decisions (ship.go)
}

// Open connects, applies the migrations this binary knows and creates the
// partitions of the days around now.
func Open(ctx context.Context, opts Options) (*Store, error) {
	cfg, err := poolConfig(opts)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("audit database: %w", err)
	}
	s := &Store{pool: pool, log: opts.Logger, clock: opts.Clock, ins: copyInsert}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	start := s.start
	if opts.ReadOnly {
		start = s.checkSchema
	}
	if err := start(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) start(ctx context.Context) error {
	if err := migrate(ctx, s.pool, s.log); err != nil {
		return err
	}
	today := dayOf(s.clock())
	return s.ensurePartitions(ctx, []time.Time{today.AddDate(0, 0, -1), today, today.AddDate(0, 0, 1), today.AddDate(0, 0, 2)})
}

// checkSchema refuses a database without the trail, or with a schema
// older or newer than this binary reads.
func (s *Store) checkSchema(ctx context.Context) error {
	var v *int
	err := s.pool.QueryRow(ctx, `SELECT max(version) FROM audit_schema`).Scan(&v)
	switch {
	case err != nil:
		return fmt.Errorf("audit database: no fleet trail here (read its schema version: %w)", err)
	case v == nil || *v != SchemaVersion:
		got := 0
		if v != nil {
			got = *v
		}
		return fmt.Errorf("audit database schema version %d, this binary reads %d: start a pdp serve of this version on it to upgrade it", got, SchemaVersion)
	}
	return nil
}

// poolConfig parses the URL. Its errors never carry the password.
func poolConfig(opts Options) (*pgxpool.Config, error) {
	if opts.URL == "" {
		return nil, errors.New("audit database URL is empty")
	}
	cfg, err := pgxpool.ParseConfig(opts.URL)
	if err != nil {
		return nil, errors.New("audit database URL is malformed (want postgres://USER@HOST:PORT/DB?sslmode=...)")
	}
	if opts.Password != "" {
		cfg.ConnConfig.Password = opts.Password
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	return cfg, nil
}

// Ping reports whether PostgreSQL answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("audit database: %w", err)
	}
	return nil
}

// Close closes the connections.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// partitionCache remembers the days whose partition exists, so that Ship
// asks PostgreSQL only about a day it has not seen.
type partitionCache struct {
	mu   sync.Mutex
	days map[time.Time]bool
}

func (c *partitionCache) missing(days []time.Time) []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []time.Time
	for _, d := range days {
		if !c.days[d] && !containsDay(out, d) {
			out = append(out, d)
		}
	}
	return out
}

func (c *partitionCache) add(days []time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.days == nil {
		c.days = map[time.Time]bool{}
	}
	for _, d := range days {
		c.days[d] = true
	}
}

// forget empties the cache (a partition was dropped under it).
func (c *partitionCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.days = nil
}

func containsDay(days []time.Time, d time.Time) bool {
	for _, x := range days {
		if x.Equal(d) {
			return true
		}
	}
	return false
}
