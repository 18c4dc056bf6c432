package audit

import (
	"encoding/json"
	"math"
	"strconv"
	"time"

	"pgregory.net/rapid"

	"github.com/pdp-project/pdp/internal/pdp"
)

// Generators for the sealing properties. native limits values to what the
// direct encoder writes itself (finite numbers, valid json.Number text,
// valid UTF-8 keys, Go types it knows); otherwise anything goes, including
// values only encoding/json handles and values it rejects.

// edgeRunes are the code points where escaping and UTF-16 order are
// decided: controls, quote and backslash, HTML characters encoding/json
// escapes, the last code points before U+E000, the BMP above it, and
// supplementary code points (surrogate pairs in UTF-16).
func edgeRunes() []rune {
	return []rune{0, 0x08, 0x09, 0x0a, 0x0c, 0x0d, 0x1f, ' ', '"', '\\', '/', '<', '>', '&', 'a', 'b', 'Z', '0',
		0x7f, 0x80, 0xe9, 0x2028, 0x2029, 0x20ac, 0xd7ff, 0xe000, 0xe001, 0xfb33, 0xfeff, 0xfffd, 0xffff,
		0x10000, 0x1f600, 0x1f601, 0x10fffd, 0x10ffff}
}

// textGen draws strings: arbitrary Unicode, edge code points, and (unless
// validOnly) arbitrary bytes, mostly invalid UTF-8.
func textGen(validOnly bool) *rapid.Generator[string] {
	gens := []*rapid.Generator[string]{
		rapid.String(),
		rapid.StringOfN(rapid.RuneFrom(edgeRunes()), 0, 6, -1),
	}
	if !validOnly {
		gens = append(gens, rapid.Map(rapid.SliceOfN(rapid.Byte(), 0, 6), func(b []byte) string { return string(b) }))
	}
	return rapid.OneOf(gens...)
}

// floatGen draws doubles of every magnitude: by bit pattern (NaN and the
// infinities included unless finite), over the whole range, integral ones
// around 2^53 where doubles stop holding every integer, and the values
// where ECMAScript switches notation.
func floatGen(finite bool) *rapid.Generator[float64] {
	bits := rapid.Map(rapid.Uint64(), math.Float64frombits)
	if finite {
		bits = bits.Filter(func(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) })
	}
	return rapid.OneOf(bits, rapid.Float64(),
		rapid.Map(rapid.Int64Range(-1<<12, 1<<12), func(k int64) float64 { return float64(1<<53 + k) }),
		rapid.Map(rapid.Int64(), func(i int64) float64 { return float64(i) }),
		rapid.SampledFrom([]float64{0, math.Copysign(0, -1), 1e21, 1e21 - 65536, 1e-7, 9.999999999999997e-7,
			5e-324, math.MaxFloat64, -math.MaxFloat64, 0.1 + 0.2, 1.5, -333333333.3333332}))
}

// intGen draws Go integers of every kind, extremes included.
func intGen() *rapid.Generator[any] {
	return rapid.OneOf(rapid.Int().AsAny(), rapid.Int8().AsAny(), rapid.Int16().AsAny(), rapid.Int32().AsAny(),
		rapid.Int64().AsAny(), rapid.Uint().AsAny(), rapid.Uint8().AsAny(), rapid.Uint16().AsAny(),
		rapid.Uint32().AsAny(), rapid.Uint64().AsAny(), rapid.Uintptr().AsAny(),
		rapid.SampledFrom([]any{int64(math.MaxInt64), int64(math.MinInt64), uint64(math.MaxUint64),
			uint64(1<<63 + 1025), 1<<53 + 1, -(1<<53 + 1), int64(1<<62 + 1)}))
}

// numberGen draws json.Number text: numbers as Go writes them and, unless
// validOnly, text that is not a JSON number or is out of double range.
func numberGen(validOnly bool) *rapid.Generator[json.Number] {
	gens := []*rapid.Generator[json.Number]{
		rapid.Map(floatGen(true), func(f float64) json.Number { return json.Number(strconv.FormatFloat(f, 'g', -1, 64)) }),
		rapid.Map(rapid.Int64(), func(i int64) json.Number { return json.Number(strconv.FormatInt(i, 10)) }),
		rapid.SampledFrom([]json.Number{"", "0", "-0", "1.50", "1E+2", "1e-2", "-0.0e0", "1e-400", "123456789012345678901234567890"}),
	}
	if !validOnly {
		gens = append(gens,
			rapid.SampledFrom([]json.Number{"1e400", "-1e400", "01", "1.", ".5", "1e", "1e+", "-", "+1", "0x10", "Inf", "NaN", " 1", "1_0"}),
			rapid.Map(rapid.StringOfN(rapid.RuneFrom([]rune("0123456789.eE+-")), 0, 8, -1),
				func(s string) json.Number { return json.Number(s) }))
	}
	return rapid.OneOf(gens...)
}

// keyGen draws object keys: a few short ones that collide and prefix one
// another, edge code points (for the UTF-16 order), anything.
func keyGen(validOnly bool) *rapid.Generator[string] {
	return rapid.OneOf(rapid.SampledFrom([]string{"", "a", "ab", "b", "A", "input", "\ue000", "\U0001F600"}),
		textGen(validOnly))
}

// valueGen draws a JSON-like value nested at most depth deep.
func valueGen(depth int, native bool) *rapid.Generator[any] {
	gens := []*rapid.Generator[any]{
		rapid.Just[any](nil), rapid.Bool().AsAny(), textGen(false).AsAny(), floatGen(native).AsAny(),
		intGen(), numberGen(native).AsAny(), rapid.SliceOfN(textGen(false), 0, 3).AsAny(),
		rapid.SampledFrom([]any{map[string]any(nil), []any(nil), []string(nil), map[string]any{}, []any{}}),
	}
	if !native {
		gens = append(gens, rapid.Float32().AsAny(), rapid.SliceOfN(rapid.Byte(), 0, 3).AsAny(),
			rapid.SampledFrom([]any{time.Unix(0, 0).UTC(), struct{ A int }{1}, map[string]string{"k": "v"},
				[]float64{1, 2}, make(chan int), func() {}, (*int)(nil)}))
	}
	if depth > 0 {
		gens = append(gens, objectGen(depth-1, native).AsAny(), rapid.SliceOfN(valueGen(depth-1, native), 0, 4).AsAny())
	}
	return rapid.OneOf(gens...)
}

func objectGen(depth int, native bool) *rapid.Generator[map[string]any] {
	return rapid.MapOfN(keyGen(native), valueGen(depth, native), 0, 5)
}

// topObjectGen draws Obligations or Input: nil, empty or nested.
func topObjectGen(native bool) *rapid.Generator[map[string]any] {
	return rapid.OneOf(rapid.Just(map[string]any(nil)), rapid.Just(map[string]any{}), objectGen(3, native))
}

func stringsGen() *rapid.Generator[[]string] {
	return rapid.OneOf(rapid.Just([]string(nil)), rapid.SliceOfN(textGen(false), 0, 4))
}

// timeGen draws instants from before year 0 to after year 9999, in zones
// other than UTC too (Document writes them in UTC).
func timeGen() *rapid.Generator[time.Time] {
	return rapid.Custom(func(t *rapid.T) time.Time {
		sec := rapid.OneOf(rapid.Int64Range(-70000000000, 320000000000), rapid.Int64Range(0, 2000000000)).Draw(t, "sec")
		nsec := rapid.Int64Range(0, 999999999).Draw(t, "nsec")
		zone := rapid.SampledFrom([]*time.Location{time.UTC, time.FixedZone("x", 5*3600+1800), time.FixedZone("y", -8*3600)}).Draw(t, "zone")
		return time.Unix(sec, nsec).In(zone)
	})
}

// recordGen draws a record with every field varied.
func recordGen(native bool) *rapid.Generator[pdp.Record] {
	return rapid.Custom(func(t *rapid.T) pdp.Record {
		text := textGen(false)
		return pdp.Record{
			DecisionID: text.Draw(t, "decision_id"), Time: timeGen().Draw(t, "time"),
			Caller: text.Draw(t, "caller"), SubjectType: text.Draw(t, "subject_type"), SubjectID: text.Draw(t, "subject_id"),
			ResourceType: text.Draw(t, "resource_type"), ResourceID: text.Draw(t, "resource_id"), Action: text.Draw(t, "action"),
			Allow: rapid.Bool().Draw(t, "allow"), Reasons: stringsGen().Draw(t, "reasons"),
			Obligations: topObjectGen(native).Draw(t, "obligations"), Input: topObjectGen(native).Draw(t, "input"),
			BundleRevision: text.Draw(t, "bundle_revision"), BundleDigest: rapid.OneOf(rapid.Just(""), text).Draw(t, "bundle_digest"), Entrypoint: text.Draw(t, "entrypoint"),
			CacheHit: rapid.Bool().Draw(t, "cache_hit"), Latency: time.Duration(rapid.Int64().Draw(t, "latency")),
			TraceID: rapid.OneOf(rapid.Just(""), text).Draw(t, "trace_id"), Error: text.Draw(t, "error"),
			Masked: stringsGen().Draw(t, "masked"), MaskError: rapid.Bool().Draw(t, "mask_error"),
			Kind: rapid.OneOf(rapid.Just(""), text).Draw(t, "kind"),
			Plan: rapid.OneOf(rapid.Just(map[string]any(nil)), topObjectGen(native)).Draw(t, "plan"),
		}
	})
}

func prevGen() *rapid.Generator[string] {
	return rapid.OneOf(rapid.Just(GenesisHash), textGen(false))
}
