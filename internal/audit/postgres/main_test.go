package postgres

import (
	"os"
	"testing"

	"github.com/pdp-project/pdp/internal/audit/postgres/pgtest"
)

// TestMain runs the tests against one PostgreSQL server, a fresh database
// per test, then looks for goroutines left running.
func TestMain(m *testing.M) { os.Exit(pgtest.MainNoLeaks(m)) }
