package audit

import (
	"bytes"
	"math"
	"testing"

	"pgregory.net/rapid"
)

// The JCS primitives Seal shares with Canonical write what the reference
// writes, for every double and every string.

func TestNumberStringMatchesReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		f := floatGen(false).Draw(t, "f")
		got, err := NumberString(f)
		want, wantErr := refNumberString(f)
		if got != want || (err == nil) != (wantErr == nil) {
			t.Fatalf("NumberString(%v) = %q, %v; reference %q, %v", f, got, err, want, wantErr)
		}
	})
}

func TestAppendStringMatchesReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := textGen(false).Draw(t, "s")
		var want bytes.Buffer
		refWriteString(&want, s)
		if got := appendString([]byte("x"), s); !bytes.Equal(got[1:], want.Bytes()) || got[0] != 'x' {
			t.Fatalf("appendString(%q) = %q; reference %q", s, got, want.Bytes())
		}
	})
}

// Canonical accepts a narrower set of types than Seal, with json.Number
// parsed without the JSON grammar check: outputs and errors stay the
// reference's for all of them and for what it rejects.
func TestCanonicalMatchesReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := canonicalValueGen(3).Draw(t, "v")
		got, err := Canonical(v)
		want, wantErr := refCanonical(v)
		if !bytes.Equal(got, want) || (err == nil) != (wantErr == nil) {
			t.Fatalf("Canonical = %q, %v; reference %q, %v", got, err, want, wantErr)
		}
		if err != nil && err.Error() != wantErr.Error() {
			t.Fatalf("Canonical error %q; reference %q", err, wantErr)
		}
	})
}

func canonicalValueGen(depth int) *rapid.Generator[any] {
	gens := []*rapid.Generator[any]{
		rapid.Just[any](nil), rapid.Bool().AsAny(), textGen(false).AsAny(), floatGen(false).AsAny(),
		rapid.Int().AsAny(), rapid.Int64().AsAny(), numberGen(false).AsAny(), rapid.Int32().AsAny(),
		rapid.SliceOfN(textGen(false), 0, 3).AsAny(), rapid.Just[any](math.Inf(1)),
	}
	if depth > 0 {
		gens = append(gens, rapid.MapOfN(keyGen(false), canonicalValueGen(depth-1), 0, 5).AsAny(),
			rapid.SliceOfN(canonicalValueGen(depth-1), 0, 4).AsAny())
	}
	return rapid.OneOf(gens...)
}

// The checkpoint document keeps its bytes.
func TestSignedBytesMatchesReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := Checkpoint{Seq: rapid.Int64().Draw(t, "seq"), Hash: textGen(false).Draw(t, "hash"),
			Kind: textGen(false).Draw(t, "kind"), Time: timeGen().Draw(t, "time")}
		want, _ := refCanonical(map[string]any{"seq": c.Seq, "hash": c.Hash, "kind": c.Kind,
			"time": c.Time.UTC().Format(TimeFormat)})
		if got := c.SignedBytes(); !bytes.Equal(got, want) {
			t.Fatalf("SignedBytes = %q; reference %q", got, want)
		}
	})
}
