package server

import (
	"errors"
	"strings"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// gRPC turns every decode failure into codes.Internal before any handler or
// interceptor runs. A request whose strings are not valid UTF-8 is bad input,
// not a bug, so the codec decodes it without those strings and marks the
// message; the handler then answers InvalidArgument.

// utf8Marker is a field number no message of ours uses.
const utf8Marker protowire.Number = 536870911

type codec struct{ base encoding.CodecV2 }

func newCodec() encoding.CodecV2 { return codec{base: encoding.GetCodecV2("proto")} }

func (c codec) Name() string { return "proto" }

func (c codec) Marshal(v any) (mem.BufferSlice, error) { return c.base.Marshal(v) }

func (c codec) Unmarshal(data mem.BufferSlice, v any) error {
	err := c.base.Unmarshal(data, v)
	if err == nil || !isUTF8Error(err) {
		return err
	}
	m, ok := v.(proto.Message)
	if !ok {
		return err
	}
	proto.Reset(m)
	var raw []byte
	raw = protowire.AppendTag(raw, utf8Marker, protowire.VarintType)
	raw = protowire.AppendVarint(raw, 1)
	m.ProtoReflect().SetUnknown(raw)
	return nil
}

func isUTF8Error(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if strings.Contains(e.Error(), "UTF-8") {
			return true
		}
	}
	return false
}

// invalidUTF8 reports whether the codec marked m.
func invalidUTF8(m proto.Message) bool {
	raw := m.ProtoReflect().GetUnknown()
	for len(raw) > 0 {
		num, typ, n := protowire.ConsumeTag(raw)
		if n < 0 {
			return false
		}
		if num == utf8Marker {
			return true
		}
		m := protowire.ConsumeFieldValue(num, typ, raw[n:])
		if m < 0 {
			return false
		}
		raw = raw[n+m:]
	}
	return false
}
