package console

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/pdp-project/pdp/internal/audit"
)

func TestPlace(t *testing.T) {
	pub := make(ed25519.PublicKey, ed25519.PublicKeySize)
	other := make(ed25519.PublicKey, ed25519.PublicKeySize)
	other[0] = 1
	cp := func(seq int64, key ed25519.PublicKey) audit.Checkpoint {
		return audit.Checkpoint{Seq: seq, PublicKey: base64.StdEncoding.EncodeToString(key)}
	}
	ok := chainState{Listed: true, Report: audit.Report{Records: 20, Checkpoints: 2, FirstSeq: 1, LastSeq: 20},
		Checkpoints: []audit.Checkpoint{cp(10, pub), cp(15, other)}}
	broken := ok
	broken.Report.LastSeq, broken.Report.Break = 12, &audit.Break{Seq: 13, Reason: "hash mismatch"}
	cases := []struct {
		name      string
		st        chainState
		seq       int64
		cover     string
		cpSeq     int64
		serverKey bool
	}{
		{"before the first checkpoint", ok, 3, CoverSigned, 10, true},
		{"at a checkpoint", ok, 10, CoverSigned, 10, true},
		{"signed by another key", ok, 11, CoverSigned, 15, false},
		{"after the newest checkpoint", ok, 16, CoverChained, 0, false},
		{"after the verified head", ok, 21, CoverUnverified, 0, false},
		{"after a break", broken, 14, CoverUnverified, 0, false},
		{"before a break, no checkpoint before it", broken, 11, CoverChained, 0, false},
		{"a fleet's trail", chainState{Report: ok.Report}, 3, CoverUnknown, 0, false},
		{"verification failed", chainState{Listed: true, Err: errors.New("x")}, 3, CoverUnknown, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := c.st.place(c.seq, pub, func(k ed25519.PublicKey) string { return base64.StdEncoding.EncodeToString(k) })
			var got int64
			if p.Checkpoint != nil {
				got = p.Checkpoint.Seq
			}
			if p.Cover != c.cover || got != c.cpSeq || p.ServerKey != c.serverKey {
				t.Errorf("place(%d) = %s at checkpoint %d (server key %t), want %s at %d (%t)", c.seq, p.Cover, got, p.ServerKey,
					c.cover, c.cpSeq, c.serverKey)
			}
		})
	}
}
