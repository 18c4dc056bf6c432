package journal_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pdp-project/pdp/internal/audit/journal"
)

func open(t *testing.T, dir string, segSize int64) (*journal.Journal, []string) {
	t.Helper()
	j, err := journal.Open(journal.Options{Dir: dir, SegmentSize: segSize})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	var got []string
	err = j.Replay(func(p []byte) (uint64, error) {
		got = append(got, string(p))
		var mark uint64
		_, _ = fmt.Sscanf(string(p), "p%d", &mark)
		return mark, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return j, got
}

func appendN(t *testing.T, j *journal.Journal, from, to int) []string {
	t.Helper()
	var want []string
	for i := from; i <= to; i++ {
		p := fmt.Sprintf("p%d-%s", i, "payload")
		want = append(want, p)
		if err := j.Append(uint64(i), []byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	return want
}

func segments(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	return m
}

func TestReplayReturnsWhatWasAppended(t *testing.T) {
	dir := t.TempDir()
	j, got := open(t, dir, 64)
	if len(got) != 0 {
		t.Fatalf("fresh journal replayed %v", got)
	}
	want := appendN(t, j, 1, 20)
	if err := j.Append(21, []byte("p21-a"), []byte("p21-b")); err != nil {
		t.Fatal(err)
	}
	want = append(want, "p21-a", "p21-b")
	_ = j.Close()
	if n := len(segments(t, dir)); n < 2 {
		t.Fatalf("%d segments: a small segment size should rotate", n)
	}
	_, got = open(t, dir, 64)
	if !slices.Equal(got, want) {
		t.Fatalf("replayed %v\nwant %v", got, want)
	}
}

func TestReplayCutsTornTail(t *testing.T) {
	for _, cut := range []int{1, 4, 9, 12} {
		t.Run(fmt.Sprintf("last %d bytes lost", cut), func(t *testing.T) {
			dir := t.TempDir()
			j, _ := open(t, dir, 1<<20)
			want := appendN(t, j, 1, 5)
			_ = j.Close()
			seg := segments(t, dir)[0]
			info, _ := os.Stat(seg)
			if err := os.Truncate(seg, info.Size()-int64(cut)); err != nil {
				t.Fatal(err)
			}
			j, got := open(t, dir, 1<<20)
			if !slices.Equal(got, want[:4]) {
				t.Fatalf("replayed %v, want %v", got, want[:4])
			}
			more := appendN(t, j, 6, 6)
			_ = j.Close()
			if _, got = open(t, dir, 1<<20); !slices.Equal(got, append(want[:4], more...)) {
				t.Fatalf("after the cut, replayed %v", got)
			}
		})
	}
}

func TestReplayRefusesDamageBeforeTheTail(t *testing.T) {
	dir := t.TempDir()
	j, _ := open(t, dir, 32)
	appendN(t, j, 1, 6)
	_ = j.Close()
	first := segments(t, dir)[0]
	data, _ := os.ReadFile(first)
	data[len(data)-1] ^= 0xff
	if err := os.WriteFile(first, data, 0o600); err != nil {
		t.Fatal(err)
	}
	j2, err := journal.Open(journal.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	err = j2.Replay(func([]byte) (uint64, error) { return 1, nil })
	if !errors.Is(err, journal.ErrCorrupt) {
		t.Fatalf("Replay = %v, want ErrCorrupt", err)
	}
}

func TestReleaseRemovesConsumedSegments(t *testing.T) {
	dir := t.TempDir()
	j, _ := open(t, dir, 40)
	appendN(t, j, 1, 10)
	before := len(segments(t, dir))
	if err := j.Release(5); err != nil {
		t.Fatal(err)
	}
	after := len(segments(t, dir))
	if after >= before || after == 0 {
		t.Fatalf("segments %d -> %d after releasing half", before, after)
	}
	_ = j.Release(10)
	if n := len(segments(t, dir)); n != 0 || j.Size() != 0 {
		t.Fatalf("%d segments, %d bytes left after releasing everything", n, j.Size())
	}
	want := appendN(t, j, 11, 12)
	_ = j.Close()
	if _, got := open(t, dir, 40); !slices.Equal(got, want) {
		t.Fatalf("replayed %v, want %v", got, want)
	}
}

// A segment holding only frames of mark 0 (a checkpoint of an empty trail)
// goes once mark 0 is released, so a clean stop leaves no journal behind.
func TestReleaseRemovesMarkZero(t *testing.T) {
	dir := t.TempDir()
	j, _ := open(t, dir, 1<<20)
	appendN(t, j, 0, 0)
	if err := j.Release(0); err != nil {
		t.Fatal(err)
	}
	if n := len(segments(t, dir)); n != 0 || j.Size() != 0 {
		t.Fatalf("%d segments, %d bytes left after releasing mark 0", n, j.Size())
	}
}

func TestReadDirChangesNothing(t *testing.T) {
	dir := t.TempDir()
	j, _ := open(t, dir, 1<<20)
	want := appendN(t, j, 1, 3)
	_ = j.Close()
	seg := segments(t, dir)[0]
	info, _ := os.Stat(seg)
	_ = os.Truncate(seg, info.Size()-3)
	var got []string
	if err := journal.ReadDir(dir, func(p []byte) error { got = append(got, string(p)); return nil }); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(seg)
	if !slices.Equal(got, want[:2]) || after.Size() != info.Size()-3 {
		t.Fatalf("ReadDir gave %v (want %v), size %d", got, want[:2], after.Size())
	}
	if err := journal.ReadDir(filepath.Join(dir, "missing"), func([]byte) error { return nil }); err != nil {
		t.Fatalf("missing directory: %v", err)
	}
}

func TestAppendBeforeReplayFails(t *testing.T) {
	j, err := journal.Open(journal.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(1, []byte("x")); err == nil {
		t.Fatal("Append before Replay succeeded")
	}
}
