package postgres

import (
	"os"
	"testing"

	"github.com/pdp-project/pdp/internal/audit/postgres/pgtest"
)

// TestMain runs the package's tests against one PostgreSQL server, a fresh
// database per test.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
