package audittest_test

import (
	"testing"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
)

func TestMemoryConformance(t *testing.T) {
	audittest.Run(t, func(t *testing.T) audit.Store {
		s := audittest.NewMemory()
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}
