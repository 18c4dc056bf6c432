package server

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
	"github.com/pdp-project/pdp/internal/pdp"
)

// Hand-built wire bytes, so that strings can hold what proto.Marshal would
// refuse. Field numbers are those of api/pdp/v1 and google.protobuf.Struct.
func field(num protowire.Number, payload ...[]byte) []byte {
	b := protowire.AppendTag(nil, num, protowire.BytesType)
	return protowire.AppendBytes(b, bytes.Join(payload, nil))
}

func str(num protowire.Number, s string) []byte { return field(num, []byte(s)) }

// entry is one key of a Struct; the value is a google.protobuf.Value.
func entry(key string, value ...[]byte) []byte { return field(1, str(1, key), field(2, value...)) }

func strValue(s string) []byte             { return str(3, s) }
func structValue(entries ...[]byte) []byte { return field(5, entries...) }
func listValue(values ...[]byte) []byte {
	var items [][]byte
	for _, v := range values {
		items = append(items, field(1, v))
	}
	return field(6, items...)
}

// nested is a Value holding n Structs, each under the key "n".
func nested(n int) []byte {
	v := strValue("x")
	for range n {
		v = structValue(entry("n", v))
	}
	return v
}

func TestCodecNamesTheBadField(t *testing.T) {
	deep := "resource.attributes" + strings.Repeat(".n", pdp.MaxAttributeDepth)
	tests := []struct {
		name  string
		msg   proto.Message
		wire  []byte
		field string // "" when the request is fine
		want  string
	}{
		{"valid", &pdpv1.CheckRequest{}, field(1, str(2, "alice")), "", ""},
		{"subject id", &pdpv1.CheckRequest{}, field(1, str(2, "al\xffice")), "subject.id", "is not valid UTF-8"},
		{"second role", &pdpv1.CheckRequest{}, field(1, str(3, "viewer"), str(3, "ed\xff")), "subject.roles[1]", "is not valid UTF-8"},
		{"attribute key", &pdpv1.CheckRequest{}, field(2, field(3, entry("k\xff", strValue("v")))),
			"resource.attributes", "has a key that is not valid UTF-8"},
		{"value in a list", &pdpv1.CheckRequest{}, field(4, entry("tags", listValue(strValue("a"), strValue("b\xff")))),
			"environment.tags[1]", "is not valid UTF-8"},
		{"batch item", &pdpv1.CheckBatchRequest{}, msgs(field(1, field(3, str(1, "read"))), field(1, field(3, str(1, "re\xffad")))),
			"checks[1].action.name", "is not valid UTF-8"},
		{"beyond the decoder's depth", &pdpv1.CheckRequest{}, field(2, field(3, entry("n", nested(3400)))),
			deep, "nests deeper than 32 levels"},
	}
	c := newCodec()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(tc.wire)}, tc.msg); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			err := wireError(tc.msg)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("wireError = %v, want nil", err)
				}
				return
			}
			if pdp.ErrorCode(err) != pdp.CodeInvalidArgument || err.Error() != tc.field+": "+tc.want {
				t.Errorf("wireError = %v (code %v), want %q", err, pdp.ErrorCode(err), tc.field+": "+tc.want)
			}
		})
	}
}

func msgs(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// TestCodecMalformed: bytes that do not decode at all are marked as a
// "malformed request" without a field, and the message holds nothing of
// what was sent.
func TestCodecMalformed(t *testing.T) {
	tests := map[string][]byte{
		"truncated":           {0x0a, 0x05, 0x12},
		"huge length":         {0x0a, 0xff, 0xff, 0xff, 0xff},
		"role then truncated": msgs(field(1, str(3, "admin")), []byte{0x12, 0x09}),
	}
	for name, wire := range tests {
		t.Run(name, func(t *testing.T) {
			m := &pdpv1.CheckRequest{}
			if err := newCodec().Unmarshal(mem.BufferSlice{mem.SliceBuffer(wire)}, m); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			err := wireError(m)
			if pdp.ErrorCode(err) != pdp.CodeInvalidArgument || err.Error() != "malformed request" {
				t.Errorf("wireError = %v, want InvalidArgument \"malformed request\"", err)
			}
			if len(m.GetSubject().GetRoles()) != 0 {
				t.Errorf("message kept %v of a malformed request", m)
			}
		})
	}
}

// TestErrorsUnaryRefusesMarkedRequests: the handler never sees a request
// the codec marked.
func TestErrorsUnaryRefusesMarkedRequests(t *testing.T) {
	in := &pdpv1.CheckRequest{}
	if err := newCodec().Unmarshal(mem.BufferSlice{mem.SliceBuffer(field(1, str(2, "\xff")))}, in); err != nil {
		t.Fatal(err)
	}
	called := false
	h := func(context.Context, any) (any, error) { called = true; return nil, nil }
	_, err := errorsUnary(slog.New(slog.DiscardHandler))(context.Background(), in, &grpc.UnaryServerInfo{FullMethod: "/m"}, h)
	if called || status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "subject.id") {
		t.Errorf("called %v, err %v; want InvalidArgument naming subject.id without calling the handler", called, err)
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
