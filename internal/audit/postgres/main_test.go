package postgres

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/pdp-project/pdp/internal/audit/postgres/pgtest"
)

// TestMain runs the package's tests against one PostgreSQL server, a fresh
// database per test, and then looks for goroutines left running (a pool
// not closed).
func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	if err := goleak.Find(); code == 0 && err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}
