package ship

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/pdp-project/pdp/internal/audit/postgres/pgtest"
)

// TestMain runs the tests with one PostgreSQL server for those that need
// it, then looks for goroutines left running.
func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	if err := goleak.Find(); code == 0 && err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}
