package server

import (
	"testing"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
)

// subjectWithID encodes CheckRequest{subject{id: id}} by hand, so that id can
// hold bytes that proto.Marshal would refuse.
func subjectWithID(id string) []byte {
	var sub []byte
	sub = protowire.AppendTag(sub, 2, protowire.BytesType)
	sub = protowire.AppendString(sub, id)
	var req []byte
	req = protowire.AppendTag(req, 1, protowire.BytesType)
	return protowire.AppendBytes(req, sub)
}

func TestCodecMarksInvalidUTF8(t *testing.T) {
	tests := []struct {
		name    string
		wire    []byte
		invalid bool
		wantErr bool
	}{
		{"valid", subjectWithID("alice"), false, false},
		{"invalid utf8", subjectWithID("al\xffice"), true, false},
		{"truncated", []byte{0x0a, 0x05, 0x12}, false, true},
	}
	c := newCodec()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := &pdpv1.CheckRequest{}
			err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(tc.wire)}, msg)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Unmarshal error = %v, want error %v", err, tc.wantErr)
			}
			if got := invalidUTF8(msg); got != tc.invalid {
				t.Errorf("invalidUTF8 = %v, want %v", got, tc.invalid)
			}
			if tc.invalid && checkWire(msg, "") == nil {
				t.Error("checkWire accepted a message with invalid UTF-8")
			}
		})
	}
}

func TestCodecRoundTrip(t *testing.T) {
	c := newCodec()
	in := &pdpv1.CheckResponse{Allow: true, DecisionId: "x"}
	data, err := c.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out := &pdpv1.CheckResponse{}
	if err := c.Unmarshal(data, out); err != nil || !proto.Equal(in, out) {
		t.Fatalf("round trip: %v, %v", out, err)
	}
}
