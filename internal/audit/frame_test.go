package audit

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// A record frame decodes into the record that was sealed: the same
// canonical bytes, column texts and hash.
func TestRecordFrameRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := recordGen(true).Draw(t, "record")
		r.DecisionID = "id-" + r.DecisionID
		if y := r.Time.UTC().Year(); y < 0 || y > 9999 {
			t.Skip("RFC 3339 has four-digit years; decision times come from the server's clock")
		}
		s, err := SealEntry(GenesisHash, rapid.Int64Range(1, 1<<50).Draw(t, "seq"), r)
		if err != nil {
			t.Skip("not sealable")
		}
		got, cp, err := DecodeFrame(AppendRecordFrame(nil, s))
		if err != nil || cp != nil {
			t.Fatalf("DecodeFrame: %v, %v", err, cp)
		}
		if got.Hash != s.Hash || got.PrevHash != s.PrevHash || got.Seq != s.Seq || !bytes.Equal(got.Canon, s.Canon) ||
			!bytes.Equal(got.Input, s.Input) || !bytes.Equal(got.Reasons, s.Reasons) {
			t.Fatalf("decoded %+v\nwant %+v", got, s)
		}
		again, err := SealEntry(GenesisHash, got.Seq, got.Record)
		if err != nil || again.Hash != s.Hash {
			t.Fatalf("the decoded record seals to %q (%v), want %q", again.Hash, err, s.Hash)
		}
	})
}

func TestDecodeFrameRefuses(t *testing.T) {
	s, err := SealEntry(GenesisHash, 1, benchRecord(0))
	if err != nil {
		t.Fatal(err)
	}
	good := AppendRecordFrame(nil, s)
	tampered := bytes.Replace(bytes.Clone(good), []byte(`"allow":true`), []byte(`"allow":false`), 1)
	cases := map[string][]byte{
		"empty":          {},
		"unknown kind":   []byte("X{}"),
		"cut short":      good[:100],
		"tampered":       tampered,
		"bad json":       append(bytes.Clone(good[:129]), '{'),
		"bad checkpoint": []byte("C{"),
	}
	for name, p := range cases {
		t.Run(name, func(t *testing.T) {
			if _, _, err := DecodeFrame(p); err == nil {
				t.Fatal("decoded")
			}
		})
	}
}

func TestCheckpointFrameRoundTrip(t *testing.T) {
	cp := Checkpoint{Seq: 7, Hash: strings.Repeat("a", 64), Time: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
		Kind: CheckpointCount, PublicKey: "pk", Signature: "sig"}
	s, got, err := DecodeFrame(CheckpointFrame(cp))
	if err != nil || s != nil || got == nil || *got != cp {
		t.Fatalf("decoded %+v, %v, want %+v", got, err, cp)
	}
}
