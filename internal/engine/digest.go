package engine

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"slices"

	"github.com/open-policy-agent/opa/v1/bundle"
)

// digestVersion changes whenever the encoding below changes.
const digestVersion = "pdp-bundle-digest-v1"

// contentDigest identifies the content of a bundle set: a SHA-256 (hex)
// over, per bundle in name order, its name, its manifest (revision, roots,
// metadata, Rego versions), its modules by path with their raw bytes, and
// its data; then the entrypoints. Equal content gives an equal digest in
// any process; any change that can alter a decision gives a new one, whether
// or not the manifest's revision changed. It goes into every cache key.
func contentDigest(bundles map[string]*bundle.Bundle, entrypoints []string) (string, error) {
	d := digester{h: sha256.New()}
	d.str(digestVersion)
	for _, name := range sortedNames(bundles) {
		d.str(name)
		if err := d.bundle(bundles[name]); err != nil {
			return "", fmt.Errorf("digest bundle %q: %w", name, err)
		}
	}
	d.count(len(entrypoints))
	for _, ep := range entrypoints {
		d.str(ep)
	}
	return hex.EncodeToString(d.h.Sum(nil)), nil
}

// digester writes length-prefixed fields into a hash, so that no two
// different field sequences hash the same bytes.
type digester struct{ h hash.Hash }

func (d digester) bundle(b *bundle.Bundle) error {
	if err := d.json(b.Manifest); err != nil {
		return err
	}
	modules := slices.Clone(b.Modules)
	slices.SortFunc(modules, func(x, y bundle.ModuleFile) int { return cmp.Compare(x.Path, y.Path) })
	d.count(len(modules))
	for _, m := range modules {
		d.str(m.Path)
		d.str(moduleSource(m))
	}
	return d.json(b.Data)
}

// moduleSource is the module's raw text, or its parsed form for a bundle
// built in memory without one.
func moduleSource(m bundle.ModuleFile) string {
	if m.Raw == nil && m.Parsed != nil {
		return m.Parsed.String()
	}
	return string(m.Raw)
}

// json writes the JSON encoding of v, which sorts object keys.
func (d digester) json(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	d.str(string(b))
	return nil
}

func (d digester) str(s string) {
	d.count(len(s))
	d.h.Write([]byte(s))
}

func (d digester) count(n int) {
	d.h.Write(binary.AppendUvarint(nil, uint64(n)))
}
