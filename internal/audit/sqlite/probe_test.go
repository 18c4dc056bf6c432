package sqlite

import (
	"os"
	"path/filepath"
	"testing"
)

// TestProbeSpace: the probe writes beside the database and leaves nothing;
// a directory that takes no data fails it.
func TestProbeSpace(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		dir     string
		wantErr bool
	}{
		{"writable", dir, false},
		{"missing", filepath.Join(dir, "gone"), true},
		{"a file, not a directory", filepath.Join(dir, "file"), true},
	}
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		if err := probeSpace(tc.dir); (err != nil) != tc.wantErr {
			t.Errorf("%s: probeSpace = %v, want error %v", tc.name, err, tc.wantErr)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the probe left %d entries, want only the file", len(entries))
	}
}
