package server

import (
	"log/slog"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// gRPC turns every decode failure into codes.Internal before any handler or
// interceptor runs. A request whose strings are not valid UTF-8, or whose
// values nest deeper than the decoder allows, is bad input, not a bug: the
// codec finds the field (wirewalk.go), decodes the request as empty and
// marks it with the problem; the interceptors then answer InvalidArgument
// naming the field (wireError).

// badMarker is a field number no message of ours uses; its bytes are the
// field and the reason, separated by a NUL.
const badMarker protowire.Number = 536870911

type codec struct{ base encoding.CodecV2 }

func newCodec() encoding.CodecV2 { return codec{base: encoding.GetCodecV2("proto")} }

func (c codec) Name() string { return "proto" }

func (c codec) Marshal(v any) (mem.BufferSlice, error) { return c.base.Marshal(v) }

func (c codec) Unmarshal(data mem.BufferSlice, v any) error {
	err := c.base.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	m, ok := v.(proto.Message)
	fallback := badInputReason(err)
	if !ok || fallback == "" {
		return err
	}
	p := badField(data.Materialize(), m.ProtoReflect().Descriptor())
	if p == nil {
		p = &wireProblem{"request", fallback}
	}
	proto.Reset(m)
	var raw []byte
	raw = protowire.AppendTag(raw, badMarker, protowire.BytesType)
	raw = protowire.AppendString(raw, p.field+"\x00"+p.reason)
	m.ProtoReflect().SetUnknown(raw)
	return nil
}

// badInputReason says what is wrong with the input when err is a decode
// failure that bad input causes; "" for any other error.
func badInputReason(err error) string {
	switch msg := err.Error(); {
	case strings.Contains(msg, "UTF-8"):
		return "contains a string that is not valid UTF-8"
	case strings.Contains(msg, "recursion depth"):
		return "nests too deeply"
	}
	return ""
}

// wireError is the InvalidArgument error of a request the codec marked;
// nil for any other.
func wireError(req any) error {
	m, ok := req.(proto.Message)
	if !ok {
		return nil
	}
	raw := m.ProtoReflect().GetUnknown()
	for len(raw) > 0 {
		num, typ, n := protowire.ConsumeTag(raw)
		if n < 0 {
			return nil
		}
		if num == badMarker && typ == protowire.BytesType {
			v, _ := protowire.ConsumeString(raw[n:])
			field, reason, _ := strings.Cut(v, "\x00")
			return (&wireProblem{field, reason}).err()
		}
		size := protowire.ConsumeFieldValue(num, typ, raw[n:])
		if size < 0 {
			return nil
		}
		raw = raw[n+size:]
	}
	return nil
}

// wireStream answers InvalidArgument for a streamed message the codec
// marked, as errorsUnary does for a unary request.
func wireStream(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		return h(srv, &checkedStream{ServerStream: ss, log: log, method: info.FullMethod})
	}
}

type checkedStream struct {
	grpc.ServerStream
	log    *slog.Logger
	method string
}

func (s *checkedStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if err := wireError(m); err != nil {
		return toStatus(withTraceID(s.Context(), s.log), s.method, err)
	}
	return nil
}
