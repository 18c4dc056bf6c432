package authzen

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"math"

	"github.com/pdp-project/pdp/internal/pdp"
)

// tokenVersion leads every page token, so that its layout can change.
const tokenVersion byte = 1

// tokenEncoding is base64url without padding; strict, so that one cursor
// has exactly one token.
var tokenEncoding = base64.RawURLEncoding.Strict()

// cursor is what a page token carries: the search it continues, the bundle
// revision its pages were decided under, and where the next page starts.
// A token is opaque to callers: version, query digest, revision digest,
// then the offset as a uvarint, in base64url.
type cursor struct {
	query    queryDigest
	revision revDigest
	offset   int
}

// revDigest identifies a bundle revision.
type revDigest [8]byte

const tokenHeader = 1 + len(queryDigest{}) + len(revDigest{})

func (c cursor) token() string {
	b := make([]byte, 0, tokenHeader+binary.MaxVarintLen64)
	b = append(b, tokenVersion)
	b = append(b, c.query[:]...)
	b = append(b, c.revision[:]...)
	return tokenEncoding.EncodeToString(binary.AppendUvarint(b, uint64(c.offset)))
}

// parseToken reads a token cursor.token wrote; anything else is refused.
func parseToken(s string) (cursor, error) {
	b, err := tokenEncoding.DecodeString(s)
	if err != nil || len(b) <= tokenHeader || b[0] != tokenVersion {
		return cursor{}, errNotIssued()
	}
	off, n := binary.Uvarint(b[tokenHeader:])
	if n != len(b)-tokenHeader || off == 0 || off > math.MaxInt32 {
		return cursor{}, errNotIssued()
	}
	c := cursor{offset: int(off)}
	copy(c.query[:], b[1:])
	copy(c.revision[:], b[1+len(c.query):])
	return c, nil
}

func errNotIssued() error {
	return pdp.InvalidField("page.token", "is not a token this PDP issued; send the page.next_token of a previous answer, or no token for the first page")
}

func revisionDigest(rev string) revDigest {
	sum := sha256.Sum256([]byte(rev))
	return revDigest(sum[:8])
}

// mixedRevision stands for the pages of a search during which the active
// bundle changed: no lookup runs under it, so its token never continues.
const mixedRevision = "\x00mixed"

// sameRevision is rev when every decision in seen was made under it, else
// mixedRevision.
func sameRevision(rev string, seen []string) string {
	for _, s := range seen {
		if s != rev {
			return mixedRevision
		}
	}
	return rev
}

func revisions(ds []pdp.Decision) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.BundleRevision
	}
	return out
}
