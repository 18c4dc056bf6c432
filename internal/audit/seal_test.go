package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/pdp-project/pdp/internal/pdp"
)

// fataler is what checkSeal needs of a *testing.T or a *rapid.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

// checkSeal fails t unless Seal and the reference agree on the hash and on
// the error, which must wrap ErrInvalidRecord.
func checkSeal(t fataler, prev string, seq int64, r pdp.Record) error {
	t.Helper()
	got, err := Seal(prev, seq, r)
	want, wantErr := refSeal(prev, seq, r)
	if got != want || (err == nil) != (wantErr == nil) {
		t.Fatalf("Seal = %q, %v; reference = %q, %v", got, err, want, wantErr)
	}
	if err != nil && (!errors.Is(err, ErrInvalidRecord) || err.Error() != wantErr.Error()) {
		t.Fatalf("Seal error %q; reference %q", err, wantErr)
	}
	return err
}

// Any record, including values only encoding/json handles and values it
// rejects: the same hash, or the same error.
func TestSealMatchesReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		checkSeal(t, prevGen().Draw(t, "prev"), rapid.Int64().Draw(t, "seq"), recordGen(false).Draw(t, "record"))
	})
}

// Records of the values the direct encoder handles are written by it,
// never by the fallback, byte for byte as JCS(Document) is.
func TestSealDirectEncoding(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seq, r := rapid.Int64().Draw(t, "seq"), recordGen(true).Draw(t, "record")
		doc, err := Document(seq, r)
		if err != nil {
			t.Fatalf("reference Document: %v", err)
		}
		want, err := refCanonical(doc)
		if err != nil {
			t.Fatalf("reference Canonical: %v", err)
		}
		s := &sealer{}
		if !s.record(seq, &r) {
			t.Fatalf("direct encoder fell back on a native record")
		}
		if !bytes.Equal(s.buf, want) {
			t.Fatalf("direct encoding\n%q\nwant\n%q", s.buf, want)
		}
		checkSeal(t, GenesisHash, seq, r)
	})
}

// SealEntry keeps the bytes Seal hashes, and its column texts are the
// canonical JSON of those members, whichever encoder wrote them.
func TestSealEntryKeepsCanonicalBytes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		prev, seq := prevGen().Draw(t, "prev"), rapid.Int64().Draw(t, "seq")
		r := recordGen(rapid.Bool().Draw(t, "native")).Draw(t, "record")
		got, err := SealEntry(prev, seq, r)
		hash, herr := Seal(prev, seq, r)
		if (err != nil) != (herr != nil) || err != nil {
			return // rejected by both (checked against the reference elsewhere)
		}
		doc, _ := Document(seq, r)
		for name, c := range map[string]struct {
			got []byte
			v   any
		}{"canon": {got.Canon, doc}, "reasons": {got.Reasons, doc["reasons"]}, "obligations": {got.Obligations, doc["obligations"]},
			"input": {got.Input, doc["input"]}, "masked": {got.Masked, doc["masked"]}} {
			want, _ := refCanonical(c.v)
			if !bytes.Equal(c.got, want) {
				t.Fatalf("%s = %q, want %q", name, c.got, want)
			}
		}
		if got.Hash != hash || got.Seq != seq || got.PrevHash != prev {
			t.Fatalf("entry (%d, %q, %q), want (%d, %q, %q)", got.Seq, got.PrevHash, got.Hash, seq, prev, hash)
		}
	})
}

func TestSealCases(t *testing.T) {
	deep, tooDeep, cycle := nested(600), nested(10001), map[string]any{}
	cycle["self"] = cycle
	cases := []struct {
		name    string
		edit    func(*pdp.Record)
		wantErr bool
	}{
		{"typical", func(*pdp.Record) {}, false},
		{"nil collections", func(r *pdp.Record) { r.Reasons, r.Obligations, r.Input, r.Masked = nil, nil, nil, nil }, false},
		{"empty collections", func(r *pdp.Record) {
			r.Reasons, r.Obligations, r.Input, r.Masked = []string{}, map[string]any{}, map[string]any{}, []string{}
		}, false},
		{"no trace id", func(r *pdp.Record) { r.TraceID = "" }, false},
		{"nested nil collections", input(map[string]any{"m": map[string]any(nil), "a": []any(nil), "s": []string(nil), "n": nil}), false},
		{"integers", input(map[string]any{"i8": int8(-128), "u64": uint64(math.MaxUint64), "i64": int64(math.MinInt64),
			"odd": 1<<53 + 1, "ptr": uintptr(7), "u8": uint8(255)}), false},
		{"float edges", input(map[string]any{"a": 1e21, "b": 1e-7, "c": 5e-324, "d": math.Copysign(0, -1), "e": 0.1 + 0.2,
			"f": 9007199254740993.0, "g": -1e300}), false},
		{"float32 takes the long way", input(map[string]any{"f": float32(0.1)}), false},
		{"json numbers", input(map[string]any{"a": json.Number(""), "b": json.Number("1.50"), "c": json.Number("-0"),
			"d": json.Number("1E+2"), "e": json.Number("1e-400")}), false},
		{"json number out of range", input(map[string]any{"n": json.Number("1e400")}), true},
		{"json number in hex", input(map[string]any{"n": json.Number("0x1p4")}), true},
		{"json number with a plus", input(map[string]any{"n": json.Number("+1")}), true},
		{"json number with a leading zero", input(map[string]any{"n": json.Number("01")}), true},
		{"json number ending in a point", input(map[string]any{"n": json.Number("1.")}), true},
		{"json number with an empty exponent", input(map[string]any{"n": json.Number("1e+")}), true},
		{"NaN in input", input(map[string]any{"x": math.NaN()}), true},
		{"infinity in obligations", func(r *pdp.Record) { r.Obligations = map[string]any{"x": math.Inf(-1)} }, true},
		{"NaN in an array", input(map[string]any{"a": []any{1.0, []any{math.NaN()}}}), true},
		{"utf-16 key order", input(map[string]any{"\ufb33": 1.0, "\U0001F600": 2.0, "\u20ac": 3.0, "\ue000": 4.0,
			"\uffff": 5.0, "\U00010000": 6.0, "a": 7.0, "\r": 8.0}), false},
		{"escapes", input(map[string]any{"s": "\x00\x1f\"\\\u2028<>&\u007f/\b\f\n\r\t"}), false},
		{"invalid utf-8 in values", func(r *pdp.Record) { r.Caller, r.Reasons = "\xffcaller", []string{"\xc3"} }, false},
		{"invalid utf-8 keys that collide", input(map[string]any{"\xff": 1.0, "\xfe": 2.0, "\xef\xbf\xbd": 3.0}), false},
		{"nesting beyond the direct encoder", input(deep), false},
		{"nesting beyond encoding/json", input(tooDeep), true},
		{"cycle", input(cycle), true},
		{"bytes, structs, typed maps", input(map[string]any{"b": []byte("hi"), "s": struct{ A int }{1},
			"m": map[string]string{"k": "v"}, "t": time.Unix(1, 2).UTC()}), false},
		{"unsupported type", input(map[string]any{"c": make(chan int)}), true},
		{"time far out, other zone", func(r *pdp.Record) { r.Time = time.Date(12000, 3, 4, 5, 6, 7, 8, time.FixedZone("x", 3600)) }, false},
		{"time before year 0", func(r *pdp.Record) { r.Time = time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC) }, false},
		{"negative latency", func(r *pdp.Record) { r.Latency = -time.Hour }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := benchRecord(0)
			tc.edit(&r)
			if err := checkSeal(t, GenesisHash, 7, r); (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error: %v", err, tc.wantErr)
			}
		})
	}
}

// input returns an edit that sets the record's input to m.
func input(m map[string]any) func(*pdp.Record) {
	return func(r *pdp.Record) { r.Input = m }
}

// nested returns an object n levels deep.
func nested(n int) map[string]any {
	m := map[string]any{"leaf": true}
	for range n - 1 {
		m = map[string]any{"k": m}
	}
	return m
}

// Sealers come from a shared pool: concurrent seals must not see each
// other's buffers.
func TestSealConcurrent(t *testing.T) {
	recs := []pdp.Record{benchRecord(0), benchRecord(30), benchRecord(3)}
	want := make([]string, len(recs))
	for i, r := range recs {
		want[i], _ = refSeal(GenesisHash, int64(i), r)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(recs))
	for g := range 8 {
		wg.Go(func() {
			for n := range 200 {
				i := (g + n) % len(recs)
				if got, err := Seal(GenesisHash, int64(i), recs[i]); got != want[i] || err != nil {
					errs <- got
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for got := range errs {
		t.Errorf("concurrent Seal returned %q", got)
	}
}
